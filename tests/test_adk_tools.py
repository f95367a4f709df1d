"""ADK's own server (`adk api_server`) on adk-store, through ADK's service registry.

The end-to-end tests start the real server as a subprocess on loopback with an
agents directory holding a scripted agent (no model) and a ``services.py`` or
``services.yaml`` that registers adk-store, drive it over HTTP, and then read
the database with SQLAlchemy. The in-process tests pin down how URIs are
resolved: every scheme we register, the query parameters we strip, and what
ADK does with our URLs when nothing is registered.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import BACKENDS, SERVER_BACKENDS
from google.adk.cli import service_registry
from google.adk.cli.service_registry import ServiceRegistry
from google.adk.cli.utils.service_factory import create_session_service_from_options
from google.adk.sessions.database_session_service import DatabaseSessionService
from servers import MariaDBServer, PostgresServer, free_port
from sqlalchemy import inspect, select

from adk_store import SchemaNotReadyError, SqlSessionService, StoreConfigurationError
from adk_store.engine import create_engine
from adk_store.errors import StoreConnectionError
from adk_store.registry import (
    AUTO_MIGRATE_ENV,
    TABLE_PREFIX_ENV,
    RegistrySessionService,
    parse_session_service_uri,
    register_session_services,
    session_service_schemes,
)

APP_NAME = "scripted"
AGENT_PY = (
    "from adk_store.demo import ScriptedAgent\n\n"
    'root_agent = ScriptedAgent(name="scripted_agent")\n'
)
SERVICES_PY = "from adk_store import register_session_services\n\nregister_session_services()\n"
# What ADK's DatabaseSessionService and SqliteSessionService create.
ADK_TABLES = {"sessions", "events", "app_states", "user_states", "adk_internal_metadata"}
SERVER_START_LIMIT_S = 60
# ADK logs which services it uses before it builds ours; the fix must come next.
FIRST_LINES = 4


def _selected(*server_backends: str) -> bool:
    return any(name in BACKENDS for name in server_backends)


HAS_POSTGRES = _selected("postgresql", "postgresql-psycopg")
HAS_MARIADB = _selected(*(name for name, spec in SERVER_BACKENDS.items() if spec[0] == "mariadb"))


@pytest.fixture(autouse=True)
def _no_store_settings_from_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    """The settings these tests give must be the only ones in play."""
    for name in (AUTO_MIGRATE_ENV, TABLE_PREFIX_ENV, "ADK_STORE_URL"):
        monkeypatch.delenv(name, raising=False)


def write_agents_dir(root: Path, *, services_py: bool = False, services_yaml: str = "") -> Path:
    agents = root / "agents"
    agent = agents / APP_NAME
    agent.mkdir(parents=True)
    (agent / "__init__.py").write_text("from . import agent\n")
    (agent / "agent.py").write_text(AGENT_PY)
    if services_py:
        (agents / "services.py").write_text(SERVICES_PY)
    if services_yaml:
        (agents / "services.yaml").write_text(services_yaml)
    return agents


def services_yaml(*schemes: str) -> str:
    entries = "".join(
        f"  - scheme: {scheme}\n"
        "    type: session\n"
        "    class: adk_store.registry.RegistrySessionService\n"
        for scheme in schemes
    )
    return f"services:\n{entries}"


@dataclass
class ApiServer:
    process: subprocess.Popen[bytes]
    log: Path
    base_url: str

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _command(agents: Path, uri: str, port: int, extra: tuple[str, ...]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "google.adk.cli",
        "api_server",
        "--no-reload",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--session_service_uri",
        uri,
        *extra,
        str(agents),
    ]


@asynccontextmanager
async def api_server(
    agents: Path, uri: str, extra: tuple[str, ...] = ()
) -> AsyncIterator[ApiServer]:
    """`adk api_server` on a free loopback port, stopped with SIGTERM on exit.

    ``extra`` are further options of the command, such as ``--memory_service_uri``.
    """
    port = free_port()
    log = agents.parent / f"api_server_{port}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            _command(agents, uri, port, extra),
            stdout=sink,
            stderr=subprocess.STDOUT,
            cwd=agents.parent,
        )
    server = ApiServer(process, log, f"http://127.0.0.1:{port}")
    try:
        await _wait_until_healthy(server)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=SERVER_START_LIMIT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    # Uvicorn shuts down, then re-raises the signal it caught.
    output = server.output()
    assert process.returncode == -signal.SIGTERM, output[-3000:]
    assert "Application shutdown complete." in output, output[-3000:]


async def _wait_until_healthy(server: ApiServer) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SERVER_START_LIMIT_S
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        while loop.time() < deadline:
            if server.process.poll() is not None:
                pytest.fail(f"adk api_server exited at startup:\n{server.output()[-3000:]}")
            try:
                if (await client.get("/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    pytest.fail(f"adk api_server did not answer /health:\n{server.output()[-3000:]}")


async def one_turn_over_http(server: ApiServer, user_id: str, session_id: str) -> dict[str, Any]:
    """Create a session, run one turn, read the session back; return what was read."""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        created = await client.post(
            f"/apps/{APP_NAME}/users/{user_id}/sessions",
            json={"sessionId": session_id, "state": {"greeting": "hi"}},
        )
        assert created.status_code == 200, created.text
        ran = await client.post(
            "/run",
            json={
                "appName": APP_NAME,
                "userId": user_id,
                "sessionId": session_id,
                "newMessage": {"role": "user", "parts": [{"text": "Hello"}]},
            },
        )
        assert ran.status_code == 200, ran.text
        replies = [event for event in ran.json() if event.get("content")]
        assert "Turn 1 of this session" in replies[-1]["content"]["parts"][0]["text"]
        read = await client.get(f"/apps/{APP_NAME}/users/{user_id}/sessions/{session_id}")
        assert read.status_code == 200, read.text
        session: dict[str, Any] = read.json()
        return session


@dataclass
class StoredRows:
    tables: set[str]
    event_ids: list[str]
    session_state: dict[str, Any]
    app_state: dict[str, Any]
    user_state: dict[str, Any]


async def stored_rows(url: str, table_prefix: str, user_id: str, session_id: str) -> StoredRows:
    """Read what the server wrote, straight from the tables."""
    async with SqlSessionService.from_url(url, layout=table_prefix) as service:
        store = service.store
        schema = store.schema
        s, e, a, u = schema.sessions, schema.events, schema.app_states, schema.user_states
        async with store.engine.connect() as connection:
            tables = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
            event_ids = (
                await connection.execute(
                    select(e.c.id)
                    .where(
                        e.c.app_name == APP_NAME,
                        e.c.user_id == user_id,
                        e.c.session_id == session_id,
                        *store.owner_filter(e),
                    )
                    .order_by(e.c.timestamp, e.c.id)
                )
            ).scalars()
            session_state = (
                await connection.execute(
                    select(s.c.state).where(
                        s.c.app_name == APP_NAME,
                        s.c.user_id == user_id,
                        s.c.id == session_id,
                        *store.owner_filter(s),
                    )
                )
            ).scalar_one()
            app_state = (
                await connection.execute(
                    select(a.c.state).where(a.c.app_name == APP_NAME, *store.owner_filter(a))
                )
            ).scalar_one()
            user_state = (
                await connection.execute(
                    select(u.c.state).where(
                        u.c.app_name == APP_NAME, u.c.user_id == user_id, *store.owner_filter(u)
                    )
                )
            ).scalar_one()
        return StoredRows(tables, list(event_ids), session_state, app_state, user_state)


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


def assert_one_turn_stored(rows: StoredRows, read: dict[str, Any], table_prefix: str) -> None:
    ours = {f"{table_prefix}{name}" for name in ("sessions", "events", "app_states", "user_states")}
    assert ours <= rows.tables
    assert not rows.tables & ADK_TABLES, "ADK's own session tables were created"
    # The user's message and the scripted agent's two events.
    assert len(rows.event_ids) == 3
    assert rows.event_ids == [event["id"] for event in read["events"]]
    assert rows.session_state == {"greeting": "hi", "turns": 1}
    assert rows.app_state == {"total_turns": 1}
    assert rows.user_state == {"messages": 1}
    assert read["state"] == {
        "greeting": "hi",
        "turns": 1,
        "app:total_turns": 1,
        "user:messages": 1,
    }


# -- adk api_server end to end ---------------------------------------------


async def test_api_server_on_a_sqlite_file_registered_by_services_yaml(tmp_path: Path) -> None:
    """services.yaml alone routes our URL to adk-store; auto_migrate creates the tables."""
    database = tmp_path / "sessions.db"
    agents = write_agents_dir(tmp_path, services_yaml=services_yaml("sqlite+aiosqlite"))
    uri = f"sqlite+aiosqlite:///{database}?auto_migrate=true&table_prefix=web_"
    async with api_server(agents, uri) as server:
        read = await one_turn_over_http(server, "ann", "s-1")
    rows = await stored_rows(f"sqlite+aiosqlite:///{database}", "web_", "ann", "s-1")
    assert_one_turn_stored(rows, read, "web_")
    assert "web_alembic_version" in rows.tables


@pytest.mark.skipif(not HAS_POSTGRES, reason="no PostgreSQL backend selected")
async def test_api_server_on_postgresql_registered_by_services_py(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    """The tables an operator created beforehand serve `adk api_server` without auto_migrate.

    The ``adk-store+`` scheme with no driver named: asyncpg is chosen, the
    prefix parameter never reaches asyncpg (which would refuse it).
    """
    url = postgres.url(postgres.create_database(f"adk_tools_{os.getpid()}"))
    async with SqlSessionService.from_url(url, layout="web_", auto_migrate=True) as setup:
        await setup.store.ensure_ready()
    agents = write_agents_dir(tmp_path, services_py=True)
    bare = url.replace("postgresql+asyncpg://", "postgresql://")
    async with api_server(agents, f"adk-store+{bare}?table_prefix=web_") as server:
        read = await one_turn_over_http(server, "bob", "s-2")
    assert_one_turn_stored(await stored_rows(url, "web_", "bob", "s-2"), read, "web_")


async def refused_start(agents: Path, uri: str) -> list[str]:
    """What `adk api_server` prints when it stops at startup, line by line."""
    log = agents.parent / "refused.log"
    with log.open("wb") as sink:
        finished = await asyncio.to_thread(
            subprocess.run,
            _command(agents, uri, free_port(), ()),
            stdout=sink,
            stderr=subprocess.STDOUT,
            cwd=agents.parent,
            timeout=SERVER_START_LIMIT_S,
        )
    output = log.read_text(errors="replace")
    assert finished.returncode != 0, output[-3000:]
    return output.splitlines()


def first_lines_say(lines: list[str], *fragments: str) -> None:
    """One of the first lines names every fragment: the fix, not a traceback, comes first."""
    assert any(all(f in line for f in fragments) for line in lines[:FIRST_LINES]), "\n".join(
        lines[: FIRST_LINES + 2]
    )


@pytest.mark.skipif(not HAS_POSTGRES, reason="no PostgreSQL backend selected")
async def test_api_server_refuses_to_start_on_a_database_without_tables(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    """No tables, no auto_migrate: startup stops, says what to run first, and creates nothing."""
    url = postgres.url(postgres.create_database(f"adk_tools_empty_{os.getpid()}"))
    # Trust authentication accepts any password: this one must not be printed.
    with_password = url.replace("postgres@", "postgres:s3cret-pw@")
    lines = await refused_start(write_agents_dir(tmp_path, services_py=True), with_password)
    first_lines_say(
        lines,
        "has no adk-store tables",
        "adk-store db upgrade --url 'postgresql+asyncpg://postgres:***@",
        "auto_migrate=true",
    )
    assert not any("s3cret-pw" in line for line in lines)
    assert await _tables(url) == set()


async def test_api_server_on_an_empty_or_missing_sqlite_file_says_what_to_run_first(
    tmp_path: Path,
) -> None:
    agents = write_agents_dir(tmp_path, services_py=True)
    empty = tmp_path / "empty.db"
    empty.touch()
    lines = await refused_start(agents, f"sqlite+aiosqlite:///{empty}")
    first_lines_say(
        lines,
        "ERROR",
        "has no adk-store tables",
        f"adk-store db upgrade --url 'sqlite+aiosqlite:///{empty}' --table-prefix adk_",
        "auto_migrate=true",
    )

    missing = tmp_path / "no" / "sessions.db"
    lines = await refused_start(agents, f"sqlite+aiosqlite:///{missing}")
    first_lines_say(
        lines,
        f"The SQLite file {missing} does not exist",
        f"adk-store db upgrade --url 'sqlite+aiosqlite:///{missing}'",
        "auto_migrate=true",
    )
    assert not (tmp_path / "no").exists()


# -- the registry, in process ----------------------------------------------

FAMILIES = {
    "sqlite": {"sqlite", "sqlite+aiosqlite"},
    "postgresql": {"postgresql", "postgresql+asyncpg", "postgresql+psycopg"},
    "mysql": {
        "mysql",
        "mysql+aiomysql",
        "mysql+asyncmy",
        "mariadb",
        "mariadb+aiomysql",
        "mariadb+asyncmy",
    },
    "oracle": {"oracle", "oracle+oracledb"},
    # Where the sqlalchemy-cockroachdb dialect is installed (the test extra has it).
    "cockroachdb": {"cockroachdb", "cockroachdb+asyncpg", "cockroachdb+psycopg"},
}
# The driver a URL without one gets.
DEFAULT_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg", "mysql": "aiomysql"}
DEFAULT_DRIVERS["mariadb"] = DEFAULT_DRIVERS["mysql"]
_SKIPPED = {"postgresql": not HAS_POSTGRES, "mysql": not HAS_MARIADB}


@pytest.fixture
def fresh_registry() -> ServiceRegistry:
    """A registry with ADK's built-in services only, as in a new `adk` process."""
    registry = ServiceRegistry()
    service_registry._register_builtin_services(registry)
    return registry


def _expected_drivername(uri: str) -> str:
    scheme = uri.removeprefix("adk-store+").split("://", 1)[0]
    return scheme if "+" in scheme else f"{scheme}+{DEFAULT_DRIVERS[scheme]}"


def _family_uris(family: str, request: pytest.FixtureRequest, tmp_path: Path) -> list[str]:
    """Every registered scheme of ``family``, each as a URI of one test database.

    The first URI asks for auto_migrate and creates the tables; the others
    find them.
    """
    schemes = [
        scheme
        for scheme in session_service_schemes()
        if scheme.removeprefix("adk-store+") in FAMILIES[family]
    ]
    if family == "sqlite":
        location = f"/{tmp_path / 'schemes.db'}"
    else:
        server: PostgresServer | MariaDBServer = request.getfixturevalue(
            "postgres" if family == "postgresql" else "mariadb"
        )
        url = server.url(server.create_database(f"adk_tools_{family}_{os.getpid()}"))
        location = url.split("://", 1)[1]
    separator = "&" if "?" in location else "?"
    return [
        f"{scheme}://{location}{separator}auto_migrate={'true' if number == 0 else 'false'}"
        for number, scheme in enumerate(schemes)
    ]


def test_the_registered_schemes_are_every_database_and_driver_we_serve() -> None:
    plain = set().union(*FAMILIES.values())
    assert set(session_service_schemes()) == plain | {f"adk-store+{s}" for s in plain}


@pytest.mark.parametrize("family", ["sqlite", "postgresql", "mysql"])
async def test_every_registered_scheme_builds_adk_store(
    family: str, request: pytest.FixtureRequest, tmp_path: Path, fresh_registry: ServiceRegistry
) -> None:
    if _SKIPPED.get(family):
        pytest.skip(f"no {family} backend selected")
    register_session_services(fresh_registry)
    uris = _family_uris(family, request, tmp_path)
    assert len(uris) == 2 * len(FAMILIES[family])
    for uri in uris:
        service = fresh_registry.create_session_service(uri, agents_dir=str(tmp_path))
        assert isinstance(service, RegistrySessionService), uri
        try:
            engine_url = service.store.engine.url
            assert engine_url.drivername == _expected_drivername(uri), uri
            assert "auto_migrate" not in engine_url.query
            session = await service.create_session(app_name="a", user_id="u")
            assert await service.get_session(app_name="a", user_id="u", session_id=session.id)
        finally:
            await service.close()


def test_oracle_schemes_reach_adk_store(fresh_registry: ServiceRegistry, tmp_path: Path) -> None:
    """No Oracle server can run here: our connection error proves which service was built."""
    register_session_services(fresh_registry)
    for scheme in ("oracle", "oracle+oracledb", "adk-store+oracle", "adk-store+oracle+oracledb"):
        uri = f"{scheme}://app:hunter2@127.0.0.1:9/?service_name=agents&auto_migrate=0"
        with pytest.raises(StoreConnectionError) as refused:
            fresh_registry.create_session_service(uri, agents_dir=str(tmp_path))
        message = str(refused.value)
        assert "oracle+oracledb://app:***@127.0.0.1:9/?service_name=agents" in message
        assert "hunter2" not in message and "auto_migrate" not in message


async def test_in_memory_sqlite_always_gets_its_tables(fresh_registry: ServiceRegistry) -> None:
    register_session_services(fresh_registry)
    service = fresh_registry.create_session_service("sqlite://", agents_dir="/nonexistent")
    assert isinstance(service, RegistrySessionService)
    try:
        created = await service.create_session(app_name="a", user_id="u", state={"k": 1})
        read = await service.get_session(app_name="a", user_id="u", session_id=created.id)
        assert read is not None and read.state == {"k": 1}
    finally:
        await service.close()


def test_without_registration_adk_falls_back_to_its_own_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why the adk-store+ schemes exist: ADK's fallback takes plain URLs but not those."""
    monkeypatch.setattr(service_registry, "_service_registry_instance", None)
    plain = create_session_service_from_options(
        base_dir=tmp_path, session_service_uri=f"sqlite+aiosqlite:///{tmp_path / 'plain.db'}"
    )
    assert isinstance(plain, DatabaseSessionService)
    with pytest.raises(ValueError, match="Invalid database URL"):
        create_session_service_from_options(
            base_dir=tmp_path,
            session_service_uri=f"adk-store+sqlite+aiosqlite:///{tmp_path / 'closed.db'}",
        )
    assert not (tmp_path / "closed.db").exists()


async def test_session_db_kwargs_reach_the_service(
    tmp_path: Path, fresh_registry: ServiceRegistry
) -> None:
    """ADK's session_db_kwargs carry our settings and engine options, below the URL's own."""
    register_session_services(fresh_registry)
    service = fresh_registry.create_session_service(
        f"sqlite+aiosqlite:///{tmp_path / 'kw.db'}",
        agents_dir=str(tmp_path),
        table_prefix="kw_",
        auto_migrate=True,
        echo=True,
    )
    assert isinstance(service, RegistrySessionService)
    try:
        assert service.store.schema.prefix == "kw_"
        assert service.store.engine.echo is True
    finally:
        await service.close()
    assert "kw_sessions" in await _tables(f"sqlite+aiosqlite:///{tmp_path / 'kw.db'}")


@pytest.mark.parametrize("exists", [True, False], ids=["empty file", "no file"])
async def test_missing_tables_are_reported_with_both_fixes(exists: bool, tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    if exists:
        path.touch()
    url = f"sqlite+aiosqlite:///{path}"
    with pytest.raises(SchemaNotReadyError) as refused:
        RegistrySessionService(url, table_prefix="t1_")
    message = str(refused.value)
    assert f"adk-store db upgrade --url '{url}' --table-prefix t1_" in message
    assert "auto_migrate=true" in message and AUTO_MIGRATE_ENV in message
    assert "to the query of --session_service_uri or set" in message
    assert path.exists() == exists
    if exists:
        assert await _tables(url) == set()


# -- URI parsing -------------------------------------------------------------


def test_our_parameters_are_removed_and_the_driver_keeps_its_own() -> None:
    settings = parse_session_service_uri(
        "adk-store+mysql+asyncmy://root:pw@db/agents"
        "?charset=utf8mb4&table_prefix=t1_&auto_migrate=yes"
    )
    assert settings.url.render_as_string(hide_password=False) == (
        "mysql+asyncmy://root:pw@db/agents?charset=utf8mb4"
    )
    assert (settings.table_prefix, settings.auto_migrate) == ("t1_", True)


def test_url_then_keyword_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TABLE_PREFIX_ENV, "env_")
    monkeypatch.setenv(AUTO_MIGRATE_ENV, "on")
    url = "postgresql+asyncpg://app@db/agents"
    from_env = parse_session_service_uri(url)
    assert (from_env.table_prefix, from_env.auto_migrate) == ("env_", True)
    from_keyword = parse_session_service_uri(url, table_prefix="kw_", auto_migrate=False)
    assert (from_keyword.table_prefix, from_keyword.auto_migrate) == ("kw_", False)
    from_url = parse_session_service_uri(
        f"{url}?table_prefix=url_&auto_migrate=off", table_prefix="kw_", auto_migrate=True
    )
    assert (from_url.table_prefix, from_url.auto_migrate) == ("url_", False)
    monkeypatch.delenv(AUTO_MIGRATE_ENV)
    assert parse_session_service_uri(url).auto_migrate is False


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("postgresql://app:pw@db/x?auto_migrate=maybe", "auto_migrate is 'maybe'"),
        ("postgresql://app:pw@db/x?table_prefix=a_&table_prefix=b_", "given 2 times"),
        ("postgresql://app:pw@db/x?table_prefix=Bad-Prefix", "Invalid table prefix"),
        ("adk-store+postgresql+psycopg2://app:pw@db/x", "not a supported async driver"),
        ("sqlite://sessions.db", "names a host ('sessions.db') instead of a file"),
    ],
)
def test_bad_settings_are_explained_without_the_password(uri: str, expected: str) -> None:
    with pytest.raises(StoreConfigurationError) as refused:
        parse_session_service_uri(uri)
    assert expected in str(refused.value)
    assert ":pw@" not in str(refused.value)


def test_a_bad_environment_flag_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(AUTO_MIGRATE_ENV, "sometimes")
    with pytest.raises(StoreConfigurationError, match=f"{AUTO_MIGRATE_ENV} is 'sometimes'"):
        parse_session_service_uri("sqlite+aiosqlite:///x.db")
