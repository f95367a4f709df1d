"""The few statements whose SQL differs between databases.

Everything else the store runs is portable Core; what is here has no portable
spelling: "insert this row unless it exists" and a lock that serialises
concurrent schema upgrades.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Insert, Table, bindparam, exists, insert, select, text
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.engine import Connection, Dialect

from adk_store.types import MYSQL_NAMES

_MIGRATION_LOCK_WAIT_SECONDS = 300


def insert_if_absent(table: Table, dialect: Dialect) -> Insert:
    """An INSERT of one row that does nothing when the primary key exists.

    Executed with a parameter dict holding every primary-key column. Oracle
    has no conflict clause, so it gets an INSERT ... SELECT guarded by NOT
    EXISTS; concurrent inserts of the same key still raise there, which the
    caller's transaction handles like any integrity error.
    """
    name = dialect.name
    if isinstance(dialect, PGDialect):  # PostgreSQL and its derivatives (CockroachDB)
        return postgresql.insert(table).on_conflict_do_nothing()
    if name == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    if name in MYSQL_NAMES:
        first_key = table.primary_key.columns[0]
        # A no-op assignment, unlike INSERT IGNORE, does not also hide
        # truncation and type errors.
        return mysql.insert(table).on_duplicate_key_update({first_key.name: first_key})
    columns = list(table.columns)
    keys = list(table.primary_key.columns)
    guard = ~exists().where(*(column == bindparam(column.name) for column in keys))
    # Typed parameters, so JSON and timestamp values are processed as they
    # would be in a plain INSERT.
    values = [bindparam(column.name, type_=column.type).label(column.name) for column in columns]
    source = select(*values).where(guard)
    return insert(table).from_select([column.name for column in columns], source)


@contextmanager
def migration_lock(connection: Connection, key: str) -> Iterator[None]:
    """Hold a database-wide lock named ``key`` while the schema is upgraded.

    Several processes started with ``auto_migrate=True`` then upgrade one at a
    time, and the later ones find the schema already current. SQLite needs no
    lock here: its migration transaction begins IMMEDIATE.
    """
    name = connection.dialect.name
    if name == "postgresql":
        lock_id = zlib.crc32(key.encode()) - 2**31
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})
        yield
    elif name in MYSQL_NAMES:
        got = connection.execute(
            text("SELECT GET_LOCK(:name, :wait)"),
            {"name": key, "wait": _MIGRATION_LOCK_WAIT_SECONDS},
        ).scalar()
        if got != 1:
            raise TimeoutError(f"Timed out waiting for the migration lock {key!r}.")
        try:
            yield
        finally:
            connection.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": key})
    else:
        yield
