"""Small builders shared by the tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from google.adk.events import Event, EventActions
from google.adk.sessions import Session
from google.genai import types
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from adk_store.records import SessionVersion


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
