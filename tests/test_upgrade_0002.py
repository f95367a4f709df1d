"""Revision 0002 upgrades a filled 0001 database in place, and downgrades back.

The data is written as the previous release wrote it: rows in 0001's
columns, events whose timestamps tie and one whose clock ran behind. After
the upgrade the new code must read everything back, in the order the
previous release returned it, and keep appending after it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import Database
from google.adk.sessions.base_session_service import GetSessionConfig
from helpers import copied_parts, events_before_0004, make_event
from sqlalchemy import func, insert, inspect, select

from adk_store import SqlSessionService, TableLayout
from adk_store.engine import create_engine
from adk_store.migrations import current, downgrade, upgrade
from adk_store.schema import build_schema

LAYOUT = TableLayout()
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
# (event id, seconds after T0): "b" and "a" tie; "late" was stamped by a slow clock.
EVENTS = [("b", 10), ("a", 10), ("c", 20), ("late", 5), ("d", 30)]
# What 0001's store returned: timestamp order, ties by id.
OLD_ORDER = ["late", "a", "b", "c", "d"]


def _event_row(event_id: str, seconds: int) -> dict[str, Any]:
    when = T0 + timedelta(seconds=seconds)
    document = {
        "id": event_id,
        "invocation_id": "inv",
        "author": "user",
        "timestamp": when.timestamp(),
        "actions": {"state_delta": {}, "artifact_delta": {}, "requested_auth_configs": {}},
        "content": {"role": "user", "parts": [{"text": event_id}]},
    }
    return {
        "app_name": "app",
        "user_id": "u",
        "session_id": "s",
        "id": event_id,
        "invocation_id": "inv",
        "author": "user",
        "timestamp": when,
        "event_data": document,
        **copied_parts(document),
    }


async def _fill_as_0001(url: str) -> None:
    """Rows as the previous release wrote them, in 0001's columns only."""
    schema = build_schema(LAYOUT)
    engine = create_engine(url)
    try:
        await upgrade(engine, LAYOUT, "0001")
        async with engine.begin() as connection:
            await connection.execute(
                insert(schema.sessions),
                {
                    "app_name": "app",
                    "user_id": "u",
                    "id": "s",
                    "state": {"topic": "billing"},
                    "revision": len(EVENTS),
                    "create_time": T0,
                    "update_time": T0 + timedelta(seconds=30),
                },
            )
            await connection.execute(
                insert(schema.user_states),
                {"app_name": "app", "user_id": "u", "state": {"plan": "pro"}, "update_time": T0},
            )
            await connection.execute(
                insert(schema.app_states),
                {"app_name": "app", "state": {"region": "eu"}, "update_time": T0},
            )
            for event_id, seconds in EVENTS:
                await connection.execute(
                    insert(events_before_0004(LAYOUT)), _event_row(event_id, seconds)
                )
    finally:
        await engine.dispose()


async def test_0002_upgrades_a_filled_0001_database_in_place(shared_database: Database) -> None:
    url = shared_database.url
    await _fill_as_0001(url)
    async with SqlSessionService.from_url(url, auto_migrate=True) as service:
        stored = await service.get_session(app_name="app", user_id="u", session_id="s")
        assert stored is not None
        assert [e.id for e in stored.events] == OLD_ORDER
        assert stored.state == {"topic": "billing", "app:region": "eu", "user:plan": "pro"}
        newest = await service.get_session(
            app_name="app",
            user_id="u",
            session_id="s",
            config=GetSessionConfig(num_recent_events=2),
        )
        assert newest is not None and [e.id for e in newest.events] == ["c", "d"]
        # A new event with a clock further behind still comes after all of them.
        await service.append_event(stored, make_event("new", id="new", timestamp=T0.timestamp()))
        after = await service.get_session(app_name="app", user_id="u", session_id="s")
        assert after is not None and [e.id for e in after.events] == [*OLD_ORDER, "new"]
        assert after._storage_update_marker == f"{len(EVENTS) + 1}:0"
        # An id that differs only by a trailing space is another session everywhere now.
        await service.create_session(app_name="app", user_id="u ", session_id="s")
        assert len((await service.list_sessions(app_name="app", user_id="u")).sessions) == 1
        assert len((await service.list_sessions(app_name="app")).sessions) == 2
        await service.delete_session(app_name="app", user_id="u ", session_id="s")

    engine = create_engine(url)
    try:
        await downgrade(engine, LAYOUT, "0001")
        assert await current(engine, LAYOUT) == "0001"
        schema = build_schema(LAYOUT)
        async with engine.connect() as connection:
            columns = await connection.run_sync(
                lambda sync: {
                    table: {c["name"] for c in inspect(sync).get_columns(table)}
                    for table in ("adk_sessions", "adk_events")
                }
            )
            events = await connection.execute(select(func.count()).select_from(schema.events))
            count = events.scalar_one()
        assert "incarnation" not in columns["adk_sessions"] and "seq" not in columns["adk_events"]
        assert count == len(EVENTS) + 1
        # And up again: the numbering runs over what the downgrade kept.
        await upgrade(engine, LAYOUT)
    finally:
        await engine.dispose()
    async with SqlSessionService.from_url(url) as service:
        again = await service.get_session(app_name="app", user_id="u", session_id="s")
        assert again is not None
        # Renumbered by time: the new event's slow clock now puts it first.
        assert [e.id for e in again.events] == ["new", *OLD_ORDER]


async def test_downgrade_refuses_ids_that_differ_only_by_trailing_spaces(
    shared_database: Database,
) -> None:
    """0001's PAD SPACE collation on MySQL/MariaDB cannot hold 'a' and 'a ' apart."""
    if not shared_database.url.startswith(("mysql", "mariadb")):
        return  # Only MySQL/MariaDB ever compared them equal.
    url = shared_database.url
    async with SqlSessionService.from_url(url, auto_migrate=True) as service:
        await service.create_session(app_name="app", user_id="alice", session_id="s")
        await service.create_session(app_name="app", user_id="alice", session_id="s2")
        await service.create_session(app_name="app", user_id="alice ", session_id="s")
    engine = create_engine(url)
    try:
        await downgrade(engine, LAYOUT, "0002")
        with pytest.raises(RuntimeError, match="differ only by trailing spaces"):
            await downgrade(engine, LAYOUT, "0001")
        # Refused before anything changed: still at 0002, every session there.
        assert await current(engine, LAYOUT) == "0002"
    finally:
        await engine.dispose()
    async with SqlSessionService.from_url(url, auto_migrate=True) as service:
        assert len((await service.list_sessions(app_name="app")).sessions) == 3
