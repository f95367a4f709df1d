"""Shared fixtures: every service test runs on each backend.

Backends: SQLite (file and in memory), a PostgreSQL cluster (asyncpg and
psycopg) and a MariaDB server (``mysql+aiomysql``, ``mariadb+aiomysql`` and
``mysql+asyncmy`` URLs), both started by the suite itself on loopback.
``ADK_STORE_TEST_BACKENDS`` narrows the list, e.g.
``ADK_STORE_TEST_BACKENDS=sqlite-file`` for a quick local run.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from servers import MariaDBServer, PostgresServer, ReplicatedPair

from adk_store import SessionStore, SqlSessionService

# backend name -> (server fixture, URL dialect, driver)
SERVER_BACKENDS = {
    "postgresql": ("postgres", "postgresql", "asyncpg"),
    "postgresql-psycopg": ("postgres", "postgresql", "psycopg"),
    "mysql-aiomysql": ("mariadb", "mysql", "aiomysql"),
    "mariadb-aiomysql": ("mariadb", "mariadb", "aiomysql"),
    "mysql-asyncmy": ("mariadb", "mysql", "asyncmy"),
}
ALL_BACKENDS = ("sqlite-file", "sqlite-memory", *SERVER_BACKENDS)
BACKENDS = tuple(
    name
    for name in os.environ.get("ADK_STORE_TEST_BACKENDS", ",".join(ALL_BACKENDS)).split(",")
    if name
)
# Backends that several engines (processes, service instances) can share.
SHARED_BACKENDS = tuple(name for name in BACKENDS if name != "sqlite-memory")

_database_numbers = itertools.count()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer.start(durable=False)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def replicated_pair() -> Iterator[ReplicatedPair]:
    """A PostgreSQL primary with a synchronous hot standby, for tests marked ``replicated``.

    One pair per module: a failover leaves it with a single server.
    """
    if "postgresql" not in BACKENDS:
        pytest.skip("no PostgreSQL backend selected")
    pair = ReplicatedPair.start()
    yield pair
    pair.stop()


@pytest.fixture(scope="session")
def mariadb() -> Iterator[MariaDBServer]:
    server = MariaDBServer.start(durable=False)
    yield server
    server.stop()


@dataclass
class Database:
    """A fresh, empty database on one backend."""

    backend: str
    url: str

    @property
    def shareable(self) -> bool:
        return self.backend != "sqlite-memory"


def _fresh_database(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    if backend == "sqlite-file":
        return Database(backend, f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")
    if backend == "sqlite-memory":
        return Database(backend, "sqlite+aiosqlite://")
    fixture, dialect, driver = SERVER_BACKENDS[backend]
    server = request.getfixturevalue(fixture)
    name = server.create_database(f"t{os.getpid()}_{next(_database_numbers)}")
    if fixture == "postgres":
        return Database(backend, server.url(name, driver=driver))
    return Database(backend, server.url(name, driver=driver, dialect=dialect))


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    return _fresh_database(request.param, request, tmp_path)


@pytest.fixture(params=SHARED_BACKENDS)
def shared_database(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    return _fresh_database(request.param, request, tmp_path)


@pytest.fixture
async def service(database: Database) -> AsyncIterator[SqlSessionService]:
    async with SqlSessionService.from_url(database.url, auto_migrate=True) as svc:
        yield svc


@pytest.fixture
async def store(service: SqlSessionService) -> SessionStore:
    return service.store
