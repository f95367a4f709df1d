"""Revision 0004 drops the copied event parts in place, and its downgrade restores them.

A database filled as the previous release (revision 0002) wrote it is
upgraded to head and read back; and events written by the current store are
taken down to 0003 (which puts the columns back, filled from the documents)
and up again. Every event must read back the same, and the store keeps
appending after it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from conftest import Database
from google.genai import types
from helpers import copied_parts, events_before_0004, make_event
from sqlalchemy import insert, inspect

from adk_store import SqlSessionService, TableLayout
from adk_store.engine import create_engine
from adk_store.migrations import current, downgrade, head_revision, upgrade
from adk_store.schema import build_schema

LAYOUT = TableLayout()
COPIED = ("content", "grounding_metadata", "custom_metadata")


async def _event_columns(engine: Any) -> set[str]:
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: {column["name"] for column in inspect(sync).get_columns("adk_events")}
        )


T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _document(number: int) -> dict[str, Any]:
    """An event document as the previous release stored it, with every copied part."""
    return {
        "id": f"e{number}",
        "invocation_id": "inv",
        "author": "model",
        "timestamp": (T0 + timedelta(seconds=number)).timestamp(),
        "content": {"role": "model", "parts": [{"text": f"answer {number}"}]},
        "grounding_metadata": {"web_search_queries": [f"query {number}"]},
        "custom_metadata": {"turn": number},
        "actions": {"state_delta": {}, "artifact_delta": {}, "requested_auth_configs": {}},
    }


async def test_0004_upgrades_a_database_the_previous_release_filled(
    shared_database: Database,
) -> None:
    url = shared_database.url
    schema = build_schema(LAYOUT)
    documents = [_document(number) for number in range(1, 6)]
    engine = create_engine(url)
    try:
        await upgrade(engine, LAYOUT, "0002")
        async with engine.begin() as connection:
            await connection.execute(
                insert(schema.sessions),
                {
                    "app_name": "app",
                    "user_id": "u",
                    "id": "s",
                    "state": {"topic": "billing"},
                    "revision": len(documents),
                    "incarnation": "0",
                    "create_time": T0,
                    "update_time": T0 + timedelta(seconds=len(documents)),
                },
            )
            for seq, document in enumerate(documents, start=1):
                await connection.execute(
                    insert(events_before_0004(LAYOUT)),
                    {
                        "app_name": "app",
                        "user_id": "u",
                        "session_id": "s",
                        "id": document["id"],
                        "invocation_id": "inv",
                        "author": "model",
                        "timestamp": T0 + timedelta(seconds=seq),
                        "seq": seq,
                        "event_data": document,
                        **copied_parts(document),
                    },
                )
        assert set(COPIED) <= await _event_columns(engine)
    finally:
        await engine.dispose()

    async with SqlSessionService.from_url(url, auto_migrate=True) as service:
        stored = await service.get_session(app_name="app", user_id="u", session_id="s")
        assert stored is not None
        assert [event.id for event in stored.events] == [d["id"] for d in documents]
        assert [event.custom_metadata for event in stored.events] == [
            d["custom_metadata"] for d in documents
        ]
        assert stored.events[0].grounding_metadata is not None
        assert stored.events[0].grounding_metadata.web_search_queries == ["query 1"]
        assert stored.state == {"topic": "billing"}
        await service.append_event(stored, make_event("after the upgrade"))
        again = await service.get_session(app_name="app", user_id="u", session_id="s")
        assert again is not None and len(again.events) == len(documents) + 1
    engine = create_engine(url)
    try:
        assert await current(engine, LAYOUT) == head_revision()
        assert not set(COPIED) & await _event_columns(engine)
    finally:
        await engine.dispose()


async def test_0004_round_trip_keeps_every_event(shared_database: Database) -> None:
    url = shared_database.url
    async with SqlSessionService.from_url(url, auto_migrate=True) as service:
        session = await service.create_session(app_name="app", user_id="u", session_id="s")
        with_parts = make_event("hello", custom_metadata={"trace": {"id": "t1"}})
        with_parts.grounding_metadata = types.GroundingMetadata(web_search_queries=["adk"])
        without_parts = make_event(None)
        for event in (with_parts, without_parts):
            await service.append_event(session, event)
        before = await service.get_session(app_name="app", user_id="u", session_id="s")
    assert before is not None

    engine = create_engine(url)
    try:
        assert not set(COPIED) & await _event_columns(engine)
        await downgrade(engine, LAYOUT, "0003")
        assert await current(engine, LAYOUT) == "0003"
        assert set(COPIED) <= await _event_columns(engine)
        async with engine.connect() as connection:
            rows = {
                row.id: row
                for row in (
                    await connection.exec_driver_sql(
                        "SELECT id, content, grounding_metadata, custom_metadata FROM adk_events"
                    )
                ).all()
            }
        assert _json(rows[with_parts.id].content)["parts"][0]["text"] == "hello"
        assert _json(rows[with_parts.id].custom_metadata) == {"trace": {"id": "t1"}}
        assert _json(rows[with_parts.id].grounding_metadata)["web_search_queries"] == ["adk"]
        assert [rows[without_parts.id].content, rows[without_parts.id].custom_metadata] == [
            None,
            None,
        ], "a part the document lacks comes back as SQL NULL"
        await upgrade(engine, LAYOUT)
        assert not set(COPIED) & await _event_columns(engine)
    finally:
        await engine.dispose()

    async with SqlSessionService.from_url(url) as service:
        after = await service.get_session(app_name="app", user_id="u", session_id="s")
        assert after is not None
        assert after.events == before.events
        await service.append_event(after, make_event("after the round trip"))
        again = await service.get_session(app_name="app", user_id="u", session_id="s")
        assert again is not None and len(again.events) == 3


def _json(value: Any) -> Any:
    """A JSON column as the driver hands it back: parsed, or text on some drivers."""
    return json.loads(value) if isinstance(value, str | bytes) else value
