"""Backfill memory from the sessions a store already holds.

Walks every user of an app (or of every app) and their events a page at a
time, in the order `adk_store.SessionStore.list_user_events` gives them,
and adds each session's events to memory. Adding is idempotent, so an
ingest that stopped part-way is resumed by running it again: what is
remembered already is skipped (one read of a session's remembered ids per
page) and only the rest is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby

from google.adk.events.event import Event
from sqlalchemy import func, select

from adk_store.memory.service import SqlMemoryService
from adk_store.records import EventCursor

# Events read per query.
PAGE_SIZE = 500


@dataclass(frozen=True)
class IngestSummary:
    """What an ingest read and how many memories it added."""

    events: int
    stored: int


async def count_events(memory: SqlMemoryService, app_name: str | None) -> int:
    """How many stored events an ingest of ``app_name`` (or every app) will read."""
    store = memory.store
    e = store.schema.events
    conditions = store.owner_filter(e)
    if app_name is not None:
        conditions.append(e.c.app_name == app_name)
    async with store.unit_of_work(autocommit=True) as connection:
        statement = select(func.count()).select_from(e).where(*conditions)
        return int((await connection.execute(statement)).scalar_one())


async def count_memories(memory: SqlMemoryService) -> int:
    store = memory.store
    m = store.schema.memories
    async with store.unit_of_work(autocommit=True) as connection:
        statement = select(func.count()).select_from(m).where(*store.owner_filter(m))
        return int((await connection.execute(statement)).scalar_one())


async def ingest(
    memory: SqlMemoryService,
    *,
    app_name: str | None = None,
    on_events: Callable[[int], None] = lambda _count: None,
) -> IngestSummary:
    """Remember every stored session's events of ``app_name`` (or of every app).

    ``on_events`` is told how many events each page held, for a progress bar.
    """
    store = memory.store
    s = store.schema.sessions
    before = await count_memories(memory)
    conditions = store.owner_filter(s)
    if app_name is not None:
        conditions.append(s.c.app_name == app_name)
    users = (
        select(s.c.app_name, s.c.user_id)
        .distinct()
        .where(*conditions)
        .order_by(s.c.app_name, s.c.user_id)
    )
    async with store.unit_of_work(autocommit=True) as connection:
        scopes = (await connection.execute(users)).all()
    read = 0
    for app, user in scopes:
        after: EventCursor | None = None
        while True:
            page = await store.list_user_events(
                app_name=app, user_id=user, page_size=PAGE_SIZE, after=after
            )
            if not page:
                break
            for session_id, records in groupby(page, key=lambda record: record.session_id):
                events = [Event.model_validate(record.event_data) for record in records]
                await memory.add_events_to_memory(
                    app_name=app, user_id=user, events=events, session_id=session_id
                )
            read += len(page)
            on_events(len(page))
            after = page[-1].cursor
    return IngestSummary(events=read, stored=await count_memories(memory) - before)
