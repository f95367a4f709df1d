"""The driver-level path: cancelled calls, and who watches the statements.

A call cancelled while its statement runs leaves the driver connection in
the middle of its protocol; the pool must never hand that connection out
again. And a statement listener that is not adk-store's own must see every
statement, so the path steps aside for it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from conftest import Database
from google.adk.sessions.base_session_service import GetSessionConfig
from helpers import make_event, recorded_statements
from sqlalchemy import event

from adk_store import SqlSessionService
from adk_store.dialects.base import INTERNAL_LISTENER

APP = "app"


async def test_cancelled_calls_leave_every_pooled_connection_usable(
    shared_database: Database,
) -> None:
    async with SqlSessionService.from_url(shared_database.url, auto_migrate=True) as service:
        await _cancel_then_use(service)


async def _cancel_then_use(service: SqlSessionService) -> None:
    sessions = [
        await service.create_session(app_name=APP, user_id="u", session_id=f"s{n}")
        for n in range(8)
    ]
    recent = GetSessionConfig(num_recent_events=5)
    # Cancelled at many points of the calls' round trips, early and late.
    for delay in (0.0, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.008, 0.012, 0.02) * 2:
        calls = [
            asyncio.ensure_future(call)
            for session in sessions
            for call in (
                service.append_event(session, make_event("maybe")),
                service.get_session(
                    app_name=APP, user_id="u", session_id=session.id, config=recent
                ),
            )
        ]
        await asyncio.sleep(delay)
        for call in calls:
            call.cancel()
        await asyncio.gather(*calls, return_exceptions=True)
    # Every connection the pool holds is used again, some many times over.
    for round_ in range(3):
        for session in sessions:
            fresh = await service.get_session(app_name=APP, user_id="u", session_id=session.id)
            assert fresh is not None
            await service.append_event(fresh, make_event(f"after {round_}"))
    pool = service.store.engine.sync_engine.pool
    assert pool.checkedout() == 0
    for session in sessions:
        stored = await service.get_session(app_name=APP, user_id="u", session_id=session.id)
        assert stored is not None
        texts = [e.content.parts[0].text for e in stored.events if e.content and e.content.parts]
        assert texts[-3:] == ["after 0", "after 1", "after 2"]


async def test_a_listener_of_its_own_sees_every_statement(service: SqlSessionService) -> None:
    session = await service.create_session(app_name=APP, user_id="u", session_id="s")
    internal_calls: list[str] = []

    def internal(
        _connection: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any
    ) -> tuple[str, Any]:
        internal_calls.append(statement)
        return statement, parameters

    setattr(internal, INTERNAL_LISTENER, True)
    engine = service.store.engine.sync_engine
    event.listen(engine, "before_cursor_execute", internal, retval=True)
    try:
        with recorded_statements(service.store.engine) as watched:
            await service.append_event(session, make_event("seen"))
            await service.get_session(app_name=APP, user_id="u", session_id="s")
        events_table = service.store.schema.events.name
        assert any(events_table in sql for sql in watched), "a user's listener sees the append"
        seen_by_internal = len(internal_calls)
        internal_calls.clear()
        # Reads take the driver-level path on every driver that has one.
        await service.get_session(app_name=APP, user_id="u", session_id="s")
    finally:
        event.remove(engine, "before_cursor_execute", internal)
    assert seen_by_internal > 0
    if service.store.hot_path.__class__.__name__ == "_DriverPath":
        # With only adk-store's own listener, the statements skip SQLAlchemy.
        assert internal_calls == []
    else:
        assert internal_calls
