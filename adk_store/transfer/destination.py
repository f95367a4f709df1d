"""adk-store's tables as the target of a transfer: what they hold, and writes that never overwrite.

Every row is written with "insert unless present" on its primary key, with
the store's owner in it; every lookup is limited to the store's owner. A
transfer run twice therefore writes nothing the second time, and a row that
is already there (imported before, or written since by the application) is
never replaced.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Insert, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adk_store.dialects import WRITE_INTENT, rules_for
from adk_store.engine import connect
from adk_store.store import SessionStore
from adk_store.transfer.source_records import Scope, ScopeRecord, SessionKey, SessionRecord
from adk_store.transfer.sources import EVENT_SESSION_KEY, SCOPE_KEYS, SESSION_KEY, any_key


@dataclass(frozen=True)
class StoredFacts:
    """What the destination holds for one session."""

    state: dict[str, Any]
    revision: int
    events: int


class Destination:
    """The store's four tables, read and written a page of keys at a time."""

    def __init__(self, store: SessionStore, *, exists: bool = True) -> None:
        """``exists=False``: the tables are not there yet (a dry run before ``--migrate``)."""
        self.store = store
        self.exists = exists
        schema = store.schema
        rules = rules_for(store.engine.dialect)
        self._insert: dict[str, Insert] = {
            table.name: rules.insert_if_absent(table)
            for table in (schema.sessions, schema.events, schema.app_states, schema.user_states)
        }

    # -- lookups ------------------------------------------------------------

    async def sessions(self, keys: Sequence[SessionKey]) -> dict[SessionKey, StoredFacts]:
        """The sessions among ``keys`` that the store holds, with their event counts."""
        if not keys or not self.exists:
            return {}
        s, e = self.store.schema.sessions, self.store.schema.events
        session_columns = [s.c[name] for name in SESSION_KEY]
        event_columns = [e.c[name] for name in EVENT_SESSION_KEY]
        sessions = select(*session_columns, s.c.state, s.c.revision).where(
            any_key(session_columns, keys), *self.store.owner_filter(s)
        )
        counts = (
            select(*event_columns, func.count())
            .where(any_key(event_columns, keys), *self.store.owner_filter(e))
            .group_by(*event_columns)
        )
        async with connect(self.store.engine) as connection:
            session_rows = (await connection.execute(sessions)).all()
            count_rows = (await connection.execute(counts)).all()
        events = {(row[0], row[1], row[2]): int(row[3]) for row in count_rows}
        return {
            (row[0], row[1], row[2]): StoredFacts(
                row.state, row.revision, events.get((row[0], row[1], row[2]), 0)
            )
            for row in session_rows
        }

    async def scope_states(
        self, scope: Scope, records: Sequence[ScopeRecord]
    ) -> dict[tuple[str, ...], dict[str, Any]]:
        """The state of each of these app (or user) rows that the store holds."""
        if not records or not self.exists:
            return {}
        table = self.table_of(scope)
        columns = [table.c[name] for name in SCOPE_KEYS[scope]]
        keys = [scope_key(scope, record) for record in records]
        query = select(*columns, table.c.state).where(
            any_key(columns, keys), *self.store.owner_filter(table)
        )
        async with connect(self.store.engine) as connection:
            rows = (await connection.execute(query)).all()
        return {tuple(row[: len(columns)]): row.state for row in rows}

    # -- writes -------------------------------------------------------------

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """One write transaction (SQLite: its write lock taken at BEGIN)."""
        async with connect(self.store.engine) as connection:
            connection = await connection.execution_options(**{WRITE_INTENT: True})
            async with connection.begin():
                yield connection

    async def insert_session(
        self, connection: AsyncConnection, record: SessionRecord, revision: int
    ) -> None:
        row = {
            **self.store.owner_values,
            "app_name": record.app_name,
            "user_id": record.user_id,
            "id": record.id,
            "state": record.state,
            "revision": revision,
            "incarnation": record.incarnation,
            "create_time": record.create_time,
            "update_time": record.update_time,
        }
        await connection.execute(self._insert[self.store.schema.sessions.name], row)

    async def insert_events(
        self, connection: AsyncConnection, key: SessionKey, rows: Sequence[dict[str, Any]]
    ) -> None:
        if not rows:
            return
        session = dict(zip(EVENT_SESSION_KEY, key, strict=True), **self.store.owner_values)
        await connection.execute(
            self._insert[self.store.schema.events.name], [{**row, **session} for row in rows]
        )

    async def number_events(self, connection: AsyncConnection, key: SessionKey) -> None:
        """Give the session's events their places, in timestamp, then id, order.

        For sources that keep no order of their own (ADK's and sqlspec's
        tables): the events were written in id order, a page at a time.
        """
        e = self.store.schema.events
        source = e.alias("source")
        same_session = [
            source.c[name] == value for name, value in zip(EVENT_SESSION_KEY, key, strict=True)
        ]
        numbered = (
            select(
                source.c.id,
                func.row_number()
                .over(order_by=(source.c.timestamp, source.c.id))
                .label("position"),
            )
            .where(*same_session, *self.store.owner_filter(source))
            .subquery("numbered")
        )
        await connection.execute(
            update(e)
            .values(seq=numbered.c.position)
            .where(
                *(e.c[name] == value for name, value in zip(EVENT_SESSION_KEY, key, strict=True)),
                *self.store.owner_filter(e),
                e.c.id == numbered.c.id,
            )
        )

    async def set_revision(
        self, connection: AsyncConnection, key: SessionKey, revision: int
    ) -> None:
        s = self.store.schema.sessions
        statement = (
            update(s)
            .where(
                *(s.c[name] == value for name, value in zip(SESSION_KEY, key, strict=True)),
                *self.store.owner_filter(s),
            )
            .values(revision=revision)
        )
        await connection.execute(statement)

    async def insert_scopes(
        self, connection: AsyncConnection, scope: Scope, records: Sequence[ScopeRecord]
    ) -> None:
        if not records:
            return
        rows = []
        for record in records:
            row: dict[str, Any] = {
                **self.store.owner_values,
                "app_name": record.app_name,
                "state": record.state,
                "update_time": record.update_time,
            }
            if scope == "user":
                row["user_id"] = record.user_id
            rows.append(row)
        await connection.execute(self._insert[self.table_of(scope).name], rows)

    async def replace_scopes(
        self, connection: AsyncConnection, scope: Scope, records: Sequence[ScopeRecord]
    ) -> None:
        """Overwrite the state of these existing app (or user) rows."""
        if not records:
            return
        table = self.table_of(scope)
        statement = (
            update(table)
            .where(
                *(table.c[name] == bindparam(f"key_{name}") for name in SCOPE_KEYS[scope]),
                *self.store.owner_filter(table),
            )
            .values(state=bindparam("new_state"), update_time=bindparam("new_update_time"))
        )
        rows = [
            {
                **{
                    f"key_{name}": value
                    for name, value in zip(SCOPE_KEYS[scope], scope_key(scope, record), strict=True)
                },
                "new_state": record.state,
                "new_update_time": record.update_time,
            }
            for record in records
        ]
        await connection.execute(statement, rows)

    async def delete_session(self, connection: AsyncConnection, key: SessionKey) -> None:
        """Remove a session and its events (explicitly, not relying on the cascade)."""
        s, e = self.store.schema.sessions, self.store.schema.events
        for table, names in ((e, EVENT_SESSION_KEY), (s, SESSION_KEY)):
            await connection.execute(
                delete(table).where(
                    *(table.c[name] == value for name, value in zip(names, key, strict=True)),
                    *self.store.owner_filter(table),
                )
            )

    def table_of(self, scope: Scope) -> Any:
        schema = self.store.schema
        return schema.app_states if scope == "app" else schema.user_states


def scope_key(scope: Scope, record: ScopeRecord) -> tuple[str, ...]:
    if scope == "app":
        return (record.app_name,)
    return (record.app_name, str(record.user_id))
