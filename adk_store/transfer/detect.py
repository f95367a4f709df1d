"""Which store wrote a database's session tables, and the reader for them.

ADK's ``DatabaseSessionService`` records its schema version in
``adk_internal_metadata`` (v1); its legacy v0 tables are recognised, as ADK
recognises them, by an ``events`` table with an ``actions`` column and no
``event_data``. ``SqliteSessionService`` uses the same table names with REAL
(epoch) times and no version row. sqlspec's tables have names of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import column, inspect, select, table
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from adk_store.engine import connect, redact
from adk_store.errors import StoreConfigurationError
from adk_store.transfer.adk_tables import (
    ADK_TABLES,
    METADATA_TABLE,
    AdkSource,
    AdkSqliteSource,
    AdkV0Source,
)
from adk_store.transfer.sources import Source
from adk_store.transfer.sqlspec_tables import SqlspecSource, SqlspecTableNames

SOURCE_KINDS = ("adk", "adk-v0", "adk-sqlite", "sqlspec")
_SCHEMA_VERSION_KEY = "schema_version"


@dataclass(frozen=True)
class _Found:
    """What the database holds, as far as telling the stores apart needs."""

    tables: frozenset[str]
    event_columns: frozenset[str]
    epoch_times: bool
    schema_version: str | None


async def open_source(
    engine: AsyncEngine, kind: str | None = None, sqlspec_tables: SqlspecTableNames | None = None
) -> Source:
    """The reader for the session tables in ``engine``'s database.

    ``kind`` (one of :data:`SOURCE_KINDS`) skips detection; the tables it
    names must exist either way.
    """
    names = sqlspec_tables or SqlspecTableNames()
    found = await _look(engine)
    kind = kind or _detect(found, names, redact(engine.url))
    if kind not in SOURCE_KINDS:
        raise StoreConfigurationError(
            f"Unknown source kind {kind!r}: use one of {', '.join(SOURCE_KINDS)}."
        )
    source: Source
    if kind == "sqlspec":
        source = SqlspecSource(engine, names)
    elif kind == "adk-v0":
        source = AdkV0Source(engine, found.event_columns)
    elif kind == "adk-sqlite":
        source = AdkSqliteSource(engine)
    else:
        source = AdkSource(engine)
    missing = sorted(source.tables.names - found.tables)
    if missing:
        raise StoreConfigurationError(
            f"{redact(engine.url)} has no table {', '.join(missing)}, which a "
            f"{source.title} database has. Check the --from URL and --source."
        )
    return source


async def _look(engine: AsyncEngine) -> _Found:
    async with connect(engine) as connection:
        found: _Found = await connection.run_sync(_inspect)
    return found


def _inspect(connection: Connection) -> _Found:
    inspector = inspect(connection)
    tables = frozenset(inspector.get_table_names())
    columns: dict[str, Any] = {}
    if "events" in tables:
        columns = {info["name"]: info["type"] for info in inspector.get_columns("events")}
    # SqliteSessionService declares its times REAL; SQLAlchemy's DateTime is text there.
    epoch_times = "REAL" in str(columns.get("timestamp", "")).upper()
    version = None
    if METADATA_TABLE in tables:
        metadata = table(METADATA_TABLE, column("key"), column("value"))
        query = select(metadata.c.value).where(metadata.c.key == _SCHEMA_VERSION_KEY)
        version = connection.execute(query).scalar()
    return _Found(tables, frozenset(columns), epoch_times, version)


def _detect(found: _Found, names: SqlspecTableNames, where: str) -> str:
    """The one store whose tables are there, or an error saying what to pass."""
    kinds = []
    if set(ADK_TABLES) <= found.tables:
        if "actions" in found.event_columns and "event_data" not in found.event_columns:
            kinds.append("adk-v0")
        elif found.schema_version is None and found.epoch_times:
            kinds.append("adk-sqlite")
        else:
            kinds.append("adk")
    if {names.sessions, names.events} <= found.tables:
        kinds.append("sqlspec")
    if len(kinds) == 1:
        return kinds[0]
    if kinds:
        raise StoreConfigurationError(
            f"{where} holds both ADK's and sqlspec's session tables; say which to import "
            "with --source adk|adk-v0|adk-sqlite|sqlspec."
        )
    raise StoreConfigurationError(
        f"{where} has no session tables of ADK (sessions, events, app_states, user_states) "
        f"or sqlspec ({names.sessions}, {names.events}, ...). Check the --from URL; for "
        "sqlspec tables with other names pass --sqlspec-tables, and to move an adk-store "
        "store use 'adk-store copy'."
    )
