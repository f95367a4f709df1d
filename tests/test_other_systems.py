"""PostgreSQL-compatible systems checked without a server: CockroachDB.

CockroachDB (and YugabyteDB, which uses PostgreSQL's own dialect) cannot run
here; what is checked is that the schema and every statement compile for
``sqlalchemy-cockroachdb``'s dialect and take the PostgreSQL code paths.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy.schema import CreateIndex, CreateTable

from adk_store import SessionStore, StoreConfigurationError
from adk_store.dialects.postgresql import POSTGRESQL_COMPATIBLE
from adk_store.engine import create_engine
from adk_store.schema import ONLY_ON_DIALECT


def _cockroach_store() -> SessionStore:
    return SessionStore.from_url("cockroachdb+asyncpg://root@127.0.0.1:9/agents")


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("cockroachdb+asyncpg://root@127.0.0.1:26257/agents", "asyncpg"),
        ("cockroachdb+psycopg://root@127.0.0.1:26257/agents", "psycopg"),
        ("cockroachdb://root@127.0.0.1:26257/agents", "asyncpg"),
    ],
)
def test_cockroachdb_urls_are_accepted(url: str, driver: str) -> None:
    store = SessionStore.from_url(url)
    assert store.engine.dialect.name == "cockroachdb"
    assert store.engine.dialect.driver == driver
    assert store.rules is POSTGRESQL_COMPATIBLE


def test_cockroachdb_with_a_synchronous_driver_is_refused() -> None:
    with pytest.raises(StoreConfigurationError, match="asyncpg, psycopg"):
        create_engine("cockroachdb+psycopg2://root@127.0.0.1:26257/agents")


def test_a_missing_cockroachdb_dialect_names_its_package() -> None:
    """Run where the dialect's package cannot be imported, as without it installed."""
    script = (
        "import sys; sys.modules['sqlalchemy_cockroachdb'] = None\n"
        "from adk_store import SessionStore\n"
        "SessionStore.from_url('cockroachdb+asyncpg://root:pw@127.0.0.1:26257/agents')\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert ran.returncode == 1
    assert "pip install --no-deps sqlalchemy-cockroachdb" in ran.stderr
    assert "StoreConfigurationError" in ran.stderr and ":pw@" not in ran.stderr


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
