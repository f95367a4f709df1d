"""Revision 0004 drops the copied event parts in place, and its downgrade restores them.

The events are written by the current store on a database at head, taken
down to 0003 (which puts the columns back, filled from the documents, as
0003's store would have written them), and up again: every event must read
back the same, and the store keeps appending after it.
"""

from __future__ import annotations

import json
from typing import Any

from conftest import Database
from google.genai import types
from helpers import make_event
from sqlalchemy import inspect

from adk_store import SqlSessionService, TableLayout
from adk_store.engine import create_engine
from adk_store.migrations import current, downgrade, upgrade

LAYOUT = TableLayout()
COPIED = ("content", "grounding_metadata", "custom_metadata")


async def _event_columns(engine: Any) -> set[str]:
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: {column["name"] for column in inspect(sync).get_columns("adk_events")}
        )


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
