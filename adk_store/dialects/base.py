"""The portable rules, which every database family starts from.

What is spelled here works on any SQL database adk-store supports and is
what Oracle (and an unknown PostgreSQL derivative, for what it does not
share) gets: an INSERT guarded by NOT EXISTS, no migration lock beyond the
migration's own transaction, keyset conditions spelled out column by column.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BindParameter,
    Insert,
    Select,
    Table,
    TextClause,
    bindparam,
    exists,
    insert,
    select,
    tuple_,
    update,
)
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import ColumnElement, Executable

if TYPE_CHECKING:
    from adk_store.schema import StoreSchema

# ``mariadb+driver://`` URLs give ``dialect.name == "mariadb"``: both names
# must get the MySQL behaviour.
MYSQL_NAMES = ("mysql", "mariadb")

# Execution option that marks a connection whose transaction will write;
# a database that takes write locks at BEGIN (SQLite) reads it.
WRITE_INTENT = "adk_store_write"

# Attribute marking a statement listener adk-store installs itself, so the
# driver-level path (`adk_store.hot_path`) knows it watches nothing for a user.
INTERNAL_LISTENER = "adk_store_internal"


@dataclass(frozen=True)
class GroupAppend:
    """The statement writing many appends at once, and how a batch becomes its parameters.

    Each named parameter of the single-append statement is sent as an array
    ``batch_<name>`` with one element per append, in batch order.
    """

    statement: Select[Any]
    parameters: tuple[str, ...]

    def params(self, batch: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
        return {f"batch_{name}": [append[name] for append in batch] for name in self.parameters}


class DialectRules:
    """How one database family does what the store needs.

    A subclass per family overrides only what differs; every attribute
    documents the portable answer.
    """

    # Tables can be placed in a named schema of the database.
    schemas = False
    # The planner seeks an index with a row-value comparison ``(a, b) > (x, y)``;
    # elsewhere the comparison is spelled out column by column (Oracle has no
    # row values, MariaDB scans the whole index for one).
    row_value_seek = False
    # The database admits one writer at a time, so writers in one process
    # queue on an asyncio lock instead of the database's busy handler.
    single_writer = False
    # Isolation level every connection gets unless the caller chose one.
    isolation_level: str | None = None
    # Timestamps are stored without a zone: written and read as naive UTC.
    naive_timestamps = False
    # The database is a file in this process, not a server: no connections to
    # lose, no server-side settings.
    embedded = False

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    def insert_if_absent(self, table: Table) -> Insert:
        """An INSERT of one row that does nothing when its primary key exists.

        Executed with a parameter dict holding every column. The portable
        spelling is an INSERT ... SELECT guarded by NOT EXISTS; concurrent
        inserts of the same key can still raise, which the caller's
        transaction handles like any integrity error.
        """
        keys = list(table.primary_key.columns)
        guard = ~exists().where(*(column == bindparam(column.name) for column in keys))
        # Typed parameters, so JSON and timestamp values are processed as they
        # would be in a plain INSERT.
        values = [bindparam(c.name, type_=c.type).label(c.name) for c in table.columns]
        source = select(*values).where(guard)
        return insert(table).from_select([c.name for c in table.columns], source)

    def among(
        self, columns: Sequence[ColumnElement[Any]], keys: BindParameter[Any]
    ) -> ColumnElement[bool]:
        """Rows whose ``columns`` equal one of the tuples of the expanding parameter ``keys``."""
        return tuple_(*columns).in_(keys)

    def rewrite_rows(
        self,
        table: Table,
        owner_values: Mapping[str, Any],
        key: Sequence[str],
        columns: Sequence[str],
    ) -> Executable:
        """A statement overwriting ``columns`` of existing, locked rows, run by executemany.

        Each row's parameters are ``key_<name>`` for the ``key`` columns,
        ``new_<name>`` for ``columns`` and ``row_<name>`` for every other
        column (its current value, for a family that writes by INSERT). The
        portable spelling is an UPDATE, which a driver runs once per row.
        """
        return (
            update(table)
            .where(
                *(table.c[name] == value for name, value in owner_values.items()),
                *(
                    table.c[name] == bindparam(f"key_{name}", type_=table.c[name].type)
                    for name in key
                ),
            )
            .values({name: bindparam(f"new_{name}", type_=table.c[name].type) for name in columns})
        )

    @contextmanager
    def migration_lock(self, connection: Connection, key: str) -> Iterator[None]:
        """Hold a database-wide lock named ``key`` while the schema is upgraded.

        Processes started with ``auto_migrate=True`` then upgrade one at a
        time and the later ones find the schema current. Taken outside the
        migration's transactions and held across them: a revision may commit
        part-way (PostgreSQL's concurrent index builds). Without a named lock,
        the migration's own transaction is all there is.
        """
        yield

    def atomic_append(
        self, schema: StoreSchema, owner_values: dict[str, Any]
    ) -> Select[Any] | None:
        """The whole append as one statement, or None where it takes a transaction."""
        return None

    def session_with_events(
        self,
        select_session: Select[Any],
        newest_events: Mapping[tuple[bool, bool], Select[Any]],
    ) -> dict[tuple[bool, bool], Select[Any]] | None:
        """The session row with its newest events in one statement, or None (two statements).

        ``newest_events`` select ``event_data``, ``seq`` and ``id``, newest
        first, keyed like ``StoreStatements.select_events``; the statement
        adds an ``events`` column: the documents, oldest first, as a JSON array.
        """
        return None

    def group_append(self, schema: StoreSchema, owner_values: dict[str, Any]) -> GroupAppend | None:
        """Many appends to different sessions as one statement (see
        `adk_store.group_commit`), or None where appends are written one by one."""
        return None

    def is_conflict(self, error: BaseException) -> bool:
        """Whether a driver error means the database rolled the transaction back to
        break a deadlock or a serialization conflict, so running it again is safe."""
        return False

    def configure_engine(self, engine: AsyncEngine, url: URL) -> None:
        """Apply the connection settings the store's guarantees depend on (none here)."""

    def replication_positions(self) -> tuple[TextClause, TextClause] | None:
        """How far a read replica has got, or None where no check is known.

        Two queries returning one number each: the primary's current position
        in its change log, and the position a replica has applied (NULL when
        it is not replaying the primary's log). A replica that has applied a
        position has every commit the primary had made when it reported it.
        """
        return None
