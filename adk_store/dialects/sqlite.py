"""SQLite's rules: one writer at a time, explicit BEGIN, and the pragmas the store needs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import BindParameter, Boolean, Insert, Table, event, tuple_
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BinaryExpression
from sqlalchemy.sql.visitors import InternalTraversal

from adk_store.dialects.base import WRITE_INTENT, DialectRules

BUSY_TIMEOUT_MS = 30_000


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def is_sqlite_memory(url: URL) -> bool:
    return is_sqlite(url) and url.database in (None, "", ":memory:")


def sqlite_file(url: URL) -> Path | None:
    """The database file a SQLite URL names; None for another database or in memory."""
    if not is_sqlite(url) or is_sqlite_memory(url):
        return None
    return Path(str(url.database)).expanduser()


def missing_sqlite_file(url: URL) -> Path | None:
    """The file a SQLite URL names, if it does not exist; None if it does, or names no file."""
    path = sqlite_file(url)
    return None if path is None or path.exists() else path


class SQLiteRules(DialectRules):
    row_value_seek = True
    # Writers in one process queue on an asyncio lock: SQLite's own busy
    # handler waits by sleeping and polling, which under contention costs far
    # more than the writes themselves. Other processes still wait on
    # ``busy_timeout``.
    single_writer = True
    naive_timestamps = True
    embedded = True

    def insert_if_absent(self, table: Table) -> Insert:
        return sqlite.insert(table).on_conflict_do_nothing()

    def among(
        self, columns: Sequence[ColumnElement[Any]], keys: BindParameter[Any]
    ) -> ColumnElement[bool]:
        return _AmongRows(tuple_(*columns).in_(keys))

    def configure_engine(self, engine: AsyncEngine, url: URL) -> None:
        """Apply the SQLite settings the store's guarantees depend on.

        - ``foreign_keys=ON``: the events cascade is enforced.
        - ``journal_mode=WAL``: readers never block the writer (file databases).
        - ``synchronous=FULL``: a commit that returned survives a power cut.
        - ``busy_timeout``: writers from other processes wait instead of failing.
        - transactions are begun explicitly (the driver's implicit BEGIN is
          disabled), and ``BEGIN IMMEDIATE`` for writers serialises
          read-modify-write units across processes.

        A missing file's directory is made when a connection opens the file
        (which creates it), not when the engine is built: an engine that
        never connects, such as a dry run's towards a new file, leaves
        nothing behind.
        """
        path = sqlite_file(url)
        if path is not None:
            directory = path.parent

            @event.listens_for(engine.sync_engine, "do_connect")
            def _make_directory(*_connect_arguments: Any) -> None:
                directory.mkdir(parents=True, exist_ok=True)

        @event.listens_for(engine.sync_engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            if path is not None:
                _enable_wal(cursor)
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(connection: Any) -> None:
            write = connection.get_execution_options().get(WRITE_INTENT, False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class _AmongRows(ColumnElement[bool]):
    """``(columns) IN (SELECT * FROM (VALUES ...))``, which SQLite answers by seeking an index.

    SQLAlchemy spells a tuple ``IN`` as ``(a, b, c) IN (VALUES ...)``, which
    SQLite 3.40 answers by scanning the whole table (EXPLAIN QUERY PLAN:
    ``SCAN``); the same rows selected from a subquery are looked up one by
    one in the primary key (``SEARCH ... USING INDEX``).
    """

    inherit_cache = True
    type = Boolean()
    # A condition as it stands, not a boolean value to compare with 1.
    _is_implicitly_boolean = True
    # What the statement cache keys on: the columns and the parameter.
    _traverse_internals = [("comparison", InternalTraversal.dp_clauseelement)]  # noqa: RUF012

    def __init__(self, comparison: BinaryExpression[bool]) -> None:
        self.comparison = comparison


@compiles(_AmongRows)
def _compile_among_rows(element: _AmongRows, compiler: SQLCompiler, **kw: Any) -> str:
    columns = compiler.process(element.comparison.left, **kw)
    return f"{columns} IN (SELECT * FROM {compiler.process(element.comparison.right, **kw)})"


def _enable_wal(cursor: Any) -> None:
    """Switch a file database to WAL unless it is already.

    The switch needs the file to itself and does not wait on ``busy_timeout``.
    If another connection holds it, that connection is one of ours opening the
    same new file and makes the same switch, which then applies to every
    connection: so "locked" is not an error here.
    """
    cursor.execute("PRAGMA journal_mode")
    if str(cursor.fetchone()[0]).lower() == "wal":
        return
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
    except Exception as exc:  # the adapted driver's OperationalError
        if "locked" not in str(exc):
            raise


SQLITE = SQLiteRules("sqlite")
