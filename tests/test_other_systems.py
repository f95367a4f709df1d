"""PostgreSQL-compatible systems checked without a server: CockroachDB.

CockroachDB (and YugabyteDB, which uses PostgreSQL's own dialect) cannot run
here; what is checked is that the schema and every statement compile for
``sqlalchemy-cockroachdb``'s dialect and take the PostgreSQL code paths.
"""

from __future__ import annotations

from sqlalchemy.schema import CreateIndex, CreateTable

from adk_store import SessionStore
from adk_store.engine import create_engine
from adk_store.schema import ONLY_ON_DIALECT


def _cockroach_store() -> SessionStore:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine("cockroachdb+asyncpg://root@127.0.0.1:9/agents")
    return SessionStore(engine)


def test_schema_compiles_for_cockroachdb() -> None:
    store = _cockroach_store()
    dialect = store.engine.dialect
    assert dialect.name == "cockroachdb"
    for table in store.schema.metadata.sorted_tables:
        ddl = str(CreateTable(table).compile(dialect=dialect))
        assert f"CREATE TABLE {table.name}" in ddl
        for index in table.indexes:
            if index.info.get(ONLY_ON_DIALECT, dialect.name) == dialect.name:
                assert index.name in str(CreateIndex(index).compile(dialect=dialect))
    events_ddl = str(CreateTable(store.schema.events).compile(dialect=dialect))
    assert "ON DELETE CASCADE" in events_ddl and "TIMESTAMP WITH TIME ZONE" in events_ddl


def test_statements_compile_for_cockroachdb_with_postgresql_upserts() -> None:
    store = _cockroach_store()
    compiled = {
        name: str(statement.compile(dialect=store.engine.dialect))
        for name, statement in store.statements.by_name().items()
    }
    assert "ON CONFLICT DO NOTHING" in compiled["app_ensure"]
    assert "FOR UPDATE" in compiled["lock_session"]
    assert (
        "LIMIT %(limit)s" in compiled["select_events(True, True)"]
        or "LIMIT $" in compiled["select_events(True, True)"]
    )


def test_yugabytedb_uses_the_postgresql_dialect() -> None:
    """YugabyteDB speaks PostgreSQL's protocol: a postgresql+asyncpg URL gets every PG variant."""
    store = SessionStore(create_engine("postgresql+asyncpg://yugabyte@127.0.0.1:9/agents"))
    ddl = str(CreateTable(store.schema.sessions).compile(dialect=store.engine.dialect))
    assert "JSONB" in ddl and "TIMESTAMP(6) WITH TIME ZONE" in ddl
