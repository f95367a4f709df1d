"""Oracle, verified without a server: no Oracle server can run on the test machines.

What is checked: the DDL the migrations render offline, that every statement the
store issues compiles for the Oracle dialect, and that the async engine is built
and a refused connection is reported clearly without the password. What is not:
execution against a real Oracle server.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from adk_store import (
    OwnerColumn,
    SessionStore,
    SqlSessionService,
    StoreConnectionError,
    TableLayout,
)
from adk_store.cli import app
from adk_store.engine import create_engine

ORACLE_URL = "oracle+oracledb://scott:tiger-pw@127.0.0.1:9/?service_name=agents"


@pytest.fixture(scope="module")
def oracle_store() -> SessionStore:
    return SessionStore(create_engine(ORACLE_URL))


def test_async_engine_uses_the_oracledb_async_dialect(oracle_store: SessionStore) -> None:
    dialect = oracle_store.engine.dialect
    assert dialect.name == "oracle"
    assert dialect.driver == "oracledb"
    assert dialect.is_async


def test_every_store_statement_compiles_for_oracle(oracle_store: SessionStore) -> None:
    statements = oracle_store.statements.by_name()
    assert len(statements) >= 20
    compiled = {
        name: str(statement.compile(dialect=oracle_store.engine.dialect))
        for name, statement in statements.items()
    }
    assert "FOR UPDATE" in compiled["lock_session"]
    assert "FETCH FIRST :limit ROWS ONLY" in compiled["select_events(True, True)"]
    assert (
        "ORDER BY adk_events.seq DESC, adk_events.id DESC" in compiled["select_events(True, False)"]
    )
    # Oracle has no ON CONFLICT: scope rows are created by INSERT ... SELECT FROM DUAL.
    assert "FROM DUAL" in compiled["user_ensure"] and "NOT (EXISTS" in compiled["user_ensure"]
    assert all("LIMIT" not in sql for sql in compiled.values())


def test_offline_ddl_is_complete_for_oracle() -> None:
    result = CliRunner().invoke(app, ["db", "sql", "--url", ORACLE_URL])
    assert result.exit_code == 0, result.output
    ddl = result.output
    for table in ("adk_sessions", "adk_events", "adk_app_states", "adk_user_states"):
        assert f"CREATE TABLE {table}" in ddl
    assert "VARCHAR2(128 CHAR)" in ddl
    assert "TIMESTAMP WITH TIME ZONE" in ddl
    assert "state JSON NOT NULL" in ddl
    assert "partial SMALLINT" in ddl or "partial BOOLEAN" in ddl
    assert "ON DELETE CASCADE" in ddl
    assert "CREATE INDEX ix_adk_events_recent" in ddl
    assert "CREATE INDEX ix_adk_sessions_listing" in ddl
    assert "USING gin" not in ddl
    assert "tiger-pw" not in ddl


async def test_refused_connection_is_clear_and_hides_the_password() -> None:
    async with SqlSessionService.from_url(ORACLE_URL) as service:
        with pytest.raises(StoreConnectionError) as raised:
            await service.create_session(app_name="a", user_id="u")
    message = str(raised.value)
    assert "Cannot connect to oracle+oracledb://scott:***@127.0.0.1:9/" in message
    assert "tiger-pw" not in message


def test_before_21c_json_is_stored_as_blob(oracle_store: SessionStore) -> None:
    """What a live 19c connection makes SQLAlchemy render (set here as its version check would)."""
    from sqlalchemy.dialects.oracle.oracledb import OracleDialect_oracledb
    from sqlalchemy.schema import CreateTable

    dialect = OracleDialect_oracledb()
    dialect._supports_oracle_json = False  # server_version_info < (21,)
    dialect.supports_native_boolean = False  # server_version_info < (23,)
    ddl = str(CreateTable(oracle_store.schema.events).compile(dialect=dialect))
    assert "event_data BLOB NOT NULL" in ddl
    assert "partial SMALLINT" in ddl


def test_owner_column_layout_compiles_for_oracle() -> None:
    """The owner column leads every key and filter in the DDL and the statements."""
    owner = OwnerColumn("tenant_id", type="bigint", references="tenants.id")
    store = SessionStore(create_engine(ORACLE_URL), layout=TableLayout(owner_column=owner), owner=7)
    compiled = {
        name: str(statement.compile(dialect=store.engine.dialect))
        for name, statement in store.statements.by_name().items()
    }
    for name in ("select_session", "delete_session", "lock_session", "user_lock", "app_read"):
        assert "tenant_id = :tenant_id_1" in compiled[name], name
    assert "user_events_page" in compiled
    result = CliRunner().invoke(
        app, ["db", "sql", "--url", ORACLE_URL, "--owner-column", owner.spec]
    )
    assert result.exit_code == 0, result.output
    assert "PRIMARY KEY (tenant_id, app_name, user_id, session_id, id)" in result.output
    assert "FOREIGN KEY(tenant_id) REFERENCES tenants (id) ON DELETE CASCADE" in result.output
