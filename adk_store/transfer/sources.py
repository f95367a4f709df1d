"""Reading a store's four tables page by page, whatever store wrote them.

Every source (ADK's services, sqlspec, adk-store itself) has the same four
logical tables: sessions, events, ``app:`` state and ``user:`` state. A
`Source` pages through them by keyset, in primary-key order, one
bounded query per page on a connection of its own, so no table is ever held in
memory and no read holds a transaction open while the destination writes.
Subclasses say where the tables are and how a row becomes a record.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.expression import TableClause

from adk_store.engine import connect
from adk_store.keyset import beyond
from adk_store.transfer.source_records import (
    Refusal,
    Scope,
    ScopeRecord,
    SessionKey,
    SessionRecord,
    SourceRowError,
    describe,
    prefixed,
    scope_record,
    session_record,
)
from adk_store.transfer.values import json_object

SESSION_KEY = ("app_name", "user_id", "id")
EVENT_SESSION_KEY = ("app_name", "user_id", "session_id")
SCOPE_KEYS: dict[Scope, tuple[str, ...]] = {"app": ("app_name",), "user": ("app_name", "user_id")}


@dataclass(frozen=True)
class SourceTables:
    """The four tables of a source, declared with the columns it reads."""

    sessions: TableClause
    events: TableClause
    app_states: TableClause
    user_states: TableClause

    def scope(self, scope: Scope) -> TableClause:
        return self.app_states if scope == "app" else self.user_states

    @property
    def names(self) -> frozenset[str]:
        return frozenset(
            table.name for table in (self.sessions, self.events, self.app_states, self.user_states)
        )


class Source(ABC):
    """One database's sessions, read as `adk_store.transfer.source_records`."""

    kind: ClassVar[str]
    # What the source is, for messages: "ADK DatabaseSessionService (v1)".
    title: ClassVar[str]

    def __init__(self, engine: AsyncEngine, tables: SourceTables) -> None:
        self.engine = engine
        self.tables = tables

    # -- what subclasses define ---------------------------------------------

    @abstractmethod
    def session_of(self, row: RowMapping) -> SessionRecord:
        """The record of a sessions row; SourceRowError if it cannot be one."""

    @abstractmethod
    def scope_of(self, scope: Scope, row: RowMapping) -> ScopeRecord:
        """The record of an app or user state row; SourceRowError if it cannot be one."""

    @abstractmethod
    def event_of(self, row: RowMapping) -> dict[str, Any]:
        """The adk-store events row (without its session key) of an events row."""

    def condition(self, table: TableClause) -> list[ColumnElement[bool]]:
        """Extra conditions on every query of ``table`` (a store's owner, say)."""
        return []

    # -- reading ------------------------------------------------------------

    async def totals(self) -> tuple[int, int]:
        """How many sessions and events the source holds, for progress."""
        counts = []
        for table in (self.tables.sessions, self.tables.events):
            query = select(func.count()).select_from(table).where(*self.condition(table))
            async with connect(self.engine) as connection:
                counts.append(int((await connection.execute(query)).scalar_one()))
        return counts[0], counts[1]

    async def session_pages(self, page_size: int) -> AsyncIterator[list[SessionRecord | Refusal]]:
        """Every session, a page at a time; rows that cannot be read come as refusals."""
        table = self.tables.sessions
        async for rows in self._pages(table, SESSION_KEY, page_size):
            page: list[SessionRecord | Refusal] = []
            for row in rows:
                try:
                    page.append(self.session_of(row))
                except SourceRowError as exc:
                    key = (row["app_name"], row["user_id"], row["id"])
                    page.append(Refusal(describe(key), str(exc)))
            yield page

    async def scope_pages(
        self, scope: Scope, page_size: int
    ) -> AsyncIterator[list[ScopeRecord | Refusal]]:
        """Every ``app:`` or ``user:`` state row, a page at a time."""
        table = self.tables.scope(scope)
        async for rows in self._pages(table, SCOPE_KEYS[scope], page_size):
            page: list[ScopeRecord | Refusal] = []
            for row in rows:
                try:
                    page.append(self.scope_of(scope, row))
                except SourceRowError as exc:
                    names = ", ".join(repr(row[name]) for name in SCOPE_KEYS[scope])
                    page.append(Refusal(f"{scope} state of {names}", str(exc)))
            yield page

    async def event_counts(self, keys: Sequence[SessionKey]) -> dict[SessionKey, int]:
        """How many events each of these sessions has (absent: none)."""
        if not keys:
            return {}
        table = self.tables.events
        columns = [table.c[name] for name in EVENT_SESSION_KEY]
        query = (
            select(*columns, func.count())
            .where(any_key(columns, keys), *self.condition(table))
            .group_by(*columns)
        )
        async with connect(self.engine) as connection:
            rows = (await connection.execute(query)).all()
        return {(row[0], row[1], row[2]): int(row[3]) for row in rows}

    async def event_pages(
        self, key: SessionKey, page_size: int
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """The session's events as adk-store rows, a page at a time (SourceRowError stops it)."""
        table = self.tables.events
        same_session = [
            table.c[name] == value for name, value in zip(EVENT_SESSION_KEY, key, strict=True)
        ]
        async for rows in self._pages(table, ("id",), page_size, same_session):
            yield [self.event_of(row) for row in rows]

    async def _pages(
        self,
        table: TableClause,
        key: Sequence[str],
        page_size: int,
        where: Sequence[ColumnElement[bool]] = (),
    ) -> AsyncIterator[Sequence[RowMapping]]:
        """Rows in ``key`` order, ``page_size`` at a time, each page one keyset query."""
        columns = [table.c[name] for name in key]
        query: Select[Any] = (
            select(table).where(*where, *self.condition(table)).order_by(*columns).limit(page_size)
        )
        last: list[Any] | None = None
        while True:
            page = query if last is None else query.where(beyond(columns, last))
            async with connect(self.engine) as connection:
                rows = (await connection.execute(page)).mappings().all()
            if rows:
                yield rows
            if len(rows) < page_size:
                return
            last = [rows[-1][name] for name in key]


def any_key(
    columns: Sequence[ColumnElement[Any]], keys: Sequence[Sequence[Any]]
) -> ColumnElement[bool]:
    """Rows whose ``columns`` equal one of ``keys`` (a page of them), bound parameters only."""
    return or_(
        *(
            and_(*(column == value for column, value in zip(columns, key, strict=True)))
            for key in keys
        )
    )


class JsonStateSource(Source):
    """ADK's and sqlspec's tables: JSON state, times that `time` decodes.

    They differ in how times are stored and whether app and user state rows
    keep their keys' ``app:`` / ``user:`` prefixes.
    """

    scope_keys_prefixed: ClassVar[bool] = False

    @abstractmethod
    def time(self, value: Any, what: str) -> datetime:
        """A stored time as an aware UTC datetime; SourceRowError if it is not one."""

    def session_of(self, row: RowMapping) -> SessionRecord:
        what = f"session {row['id']!r}"
        return session_record(
            row["app_name"],
            row["user_id"],
            row["id"],
            json_object(row["state"], f"the state of {what}"),
            self.time(row["create_time"], f"the create_time of {what}"),
            self.time(row["update_time"], f"the update_time of {what}"),
        )

    def scope_of(self, scope: Scope, row: RowMapping) -> ScopeRecord:
        user_id = row["user_id"] if scope == "user" else None
        state = json_object(row["state"], f"the {scope} state of app {row['app_name']!r}")
        when = self.time(row["update_time"], f"the update_time of {scope} state")
        if not self.scope_keys_prefixed:
            state = prefixed(scope, state)
        return scope_record(scope, row["app_name"], user_id, state, when)
