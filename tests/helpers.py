"""Small builders shared by the tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from google.adk.events import Event, EventActions
from google.adk.sessions import Session
from google.genai import types
from sqlalchemy import TableClause, column, event, table
from sqlalchemy.ext.asyncio import AsyncEngine

from adk_store.layout import TableLayout
from adk_store.records import SessionVersion
from adk_store.schema import build_schema
from adk_store.types import json_type

# Columns that copied parts of the event document until revision 0004 dropped them.
COPIED_BEFORE_0004 = ("content", "grounding_metadata", "custom_metadata")


def make_event(
    text: str | None = "hello",
    *,
    author: str = "agent",
    delta: dict[str, Any] | None = None,
    **fields: Any,
) -> Event:
    content = None
    if text is not None:
        content = types.Content(role="model", parts=[types.Part(text=text)])
    return Event(
        author=author,
        invocation_id=fields.pop("invocation_id", "inv-1"),
        content=content,
        actions=EventActions(state_delta=dict(delta or {})),
        **fields,
    )


@contextmanager
def recorded_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """Collect the SQL text of every statement the engine executes."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


def revision_of(session: Session) -> int:
    """The store revision a session copy was read at, from its marker."""
    version = SessionVersion.parse(session._storage_update_marker or "")
    assert version is not None, f"not a store marker: {session._storage_update_marker!r}"
    return version.revision


def events_before_0004(layout: TableLayout | str = "adk_") -> TableClause:
    """The events table as releases before revision 0004 wrote it.

    Every event also had its document's ``content``, ``grounding_metadata``
    and ``custom_metadata`` copied into columns of their own; a test that
    fills a database as those releases did writes them too.
    """
    events = build_schema(layout).events
    copied = (column(name, json_type(nullable_as_sql_null=True)) for name in COPIED_BEFORE_0004)
    return table(
        events.name,
        *(column(c.name, c.type) for c in events.columns),
        *copied,
        schema=events.schema,
    )


def copied_parts(document: dict[str, Any]) -> dict[str, Any]:
    """The columns an event row had before revision 0004, from its document."""
    return {name: document.get(name) for name in COPIED_BEFORE_0004}
