"""MySQL's and MariaDB's rules: upsert by no-op update, named locks, READ COMMITTED."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Insert, Table, text
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Connection

from adk_store.dialects.base import DialectRules

_MIGRATION_LOCK_WAIT_SECONDS = 300
# ER_LOCK_DEADLOCK rolls the whole transaction back; ER_LOCK_WAIT_TIMEOUT only
# the statement, but the store's transaction is then rolled back by its caller.
_CONFLICT_CODES = frozenset({1213, 1205})


class MySQLRules(DialectRules):
    # Every write locks the rows it changes; READ COMMITTED spares InnoDB the
    # gap locks of REPEATABLE READ, which deadlock concurrent first-time
    # inserts of scope rows.
    isolation_level = "READ COMMITTED"
    naive_timestamps = True

    def insert_if_absent(self, table: Table) -> Insert:
        first_key = table.primary_key.columns[0]
        # A no-op assignment, unlike INSERT IGNORE, does not also hide
        # truncation and type errors.
        return mysql.insert(table).on_duplicate_key_update({first_key.name: first_key})

    def is_conflict(self, error: BaseException) -> bool:
        code = error.args[0] if error.args else None
        return isinstance(code, int) and code in _CONFLICT_CODES

    @contextmanager
    def migration_lock(self, connection: Connection, key: str) -> Iterator[None]:
        """A named server lock (``GET_LOCK``), released explicitly: it outlives transactions."""
        got = connection.execute(
            text("SELECT GET_LOCK(:name, :wait)"),
            {"name": key, "wait": _MIGRATION_LOCK_WAIT_SECONDS},
        ).scalar()
        if got != 1:
            raise TimeoutError(
                f"Timed out after {_MIGRATION_LOCK_WAIT_SECONDS} s waiting for the migration "
                f"lock {key!r}: another upgrade of the same tables is still running. Retry "
                "once it has finished."
            )
        try:
            yield
        finally:
            connection.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": key})


MYSQL = MySQLRules("mysql")
