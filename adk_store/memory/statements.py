"""Every statement of the memory service, built once per service from the engine's search."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Delete, Insert, Select, Update, and_, bindparam, delete, select, update
from sqlalchemy.sql import ColumnElement

from adk_store.memory.engines import MemoryEngine
from adk_store.statements import owner_filter


@dataclass(frozen=True)
class MemoryStatements:
    """The memory service's statements: executed with parameter dicts, never rebuilt.

    ``stored_ids`` lists a session's remembered ids (tombstones included),
    so an ingest sends only new events; ``insert`` writes one memory unless
    its key is stored, so concurrent ingests of one session store it once.
    ``search`` is a user's best matches, ``:limit`` of them.
    """

    stored_ids: Select[Any]
    insert: Insert
    search: Select[Any]
    clear: Update
    forget_user: Delete
    forget_session: Delete

    def by_name(self) -> dict[str, Any]:
        """Every statement by name: for the dialect checks."""
        return dict(vars(self))


def build_memory_statements(engine: MemoryEngine, owner_values: dict[str, Any]) -> MemoryStatements:
    m = engine.memories

    def scope(*more: str) -> list[ColumnElement[bool]]:
        """The owner, app and user (and ``more`` key columns), from ``key_<name>`` parameters."""
        names = ("app_name", "user_id", *more)
        return [
            *owner_filter(m, owner_values),
            *(m.c[name] == bindparam(f"key_{name}") for name in names),
        ]

    search = (
        select(m.c.entry)
        .select_from(engine.source())
        .where(*scope(), m.c.entry.is_not(None), engine.matches())
        # Equal ranks keep the order memories were stored in, as ADK's own
        # service keeps insertion order among equal counts.
        .order_by(engine.rank(), m.c.seq)
        .limit(bindparam("limit"))
    )
    return MemoryStatements(
        stored_ids=select(m.c.id).where(*scope("session_id")),
        insert=engine.insert_new(),
        search=search,
        clear=update(m).where(and_(*scope("id"))).values(engine.cleared()),
        forget_user=delete(m).where(*scope()),
        forget_session=delete(m).where(*scope("session_id")),
    )
