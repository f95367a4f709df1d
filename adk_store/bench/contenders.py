"""The session stores compared by ``adk-store bench``, behind one small interface.

Each contender is an ADK ``BaseSessionService`` (adk-store's, ADK's
``DatabaseSessionService``, ``SqliteSessionService`` and
``InMemorySessionService``), or the physical reference: raw asyncpg single-row
inserts and indexed selects with no session semantics at all.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from google.adk.events import Event
from google.adk.sessions import BaseSessionService, InMemorySessionService
from google.adk.sessions.base_session_service import GetSessionConfig
from google.adk.sessions.session import Session
from sqlalchemy import insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from adk_store.service import SqlSessionService


@dataclass
class Contender:
    """A named service under test; ``seed_sessions`` bulk-loads idle sessions."""

    name: str
    service: BaseSessionService | None
    close: Callable[[], Awaitable[None]]
    seed_sessions: Callable[[str, list[tuple[str, str]]], Awaitable[None]] | None = None


async def adk_store(url: str) -> Contender:
    service = SqlSessionService.from_url(url, auto_migrate=True, pool_size=60, max_overflow=20)
    await service.store.ensure_ready()

    async def seed(app_name: str, keys: list[tuple[str, str]]) -> None:
        now = datetime.now(UTC)
        await _insert_sessions(
            service.store.engine,
            service.store.schema.sessions,
            app_name,
            keys,
            state={},
            revision=0,
            create_time=now,
            update_time=now,
        )

    return Contender("adk-store", service, service.close, seed)


async def _insert_sessions(
    engine: AsyncEngine, table: Any, app_name: str, keys: list[tuple[str, str]], **columns: Any
) -> None:
    """Bulk-load idle sessions (user_id, session_id) with the same other columns."""
    rows = [
        {"app_name": app_name, "user_id": user_id, "id": session_id, **columns}
        for user_id, session_id in keys
    ]
    async with engine.begin() as connection:
        for start in range(0, len(rows), 5000):
            await connection.execute(insert(table), rows[start : start + 5000])


async def adk_database(url: str) -> Contender:
    from google.adk.sessions import DatabaseSessionService

    options: dict[str, Any] = {}
    if not url.startswith("sqlite"):
        options = {"pool_size": 60, "max_overflow": 20}
    service = DatabaseSessionService(url, **options)
    await service.prepare_tables()

    async def seed(app_name: str, keys: list[tuple[str, str]]) -> None:
        from google.adk.sessions.schemas.v1 import StorageSession

        # ADK's tables hold naive UTC timestamps.
        now = datetime.now(UTC).replace(tzinfo=None)
        await _insert_sessions(
            service.db_engine,
            StorageSession.__table__,
            app_name,
            keys,
            state={},
            create_time=now,
            update_time=now,
        )

    return Contender("ADK DatabaseSessionService", service, service.close, seed)


async def adk_sqlite(path: str) -> Contender:
    from google.adk.sessions.sqlite_session_service import SqliteSessionService

    service = SqliteSessionService(path)

    async def close() -> None:
        return None

    return Contender("ADK SqliteSessionService", service, close)


async def in_memory() -> Contender:
    service = InMemorySessionService()

    async def close() -> None:
        return None

    async def seed(app_name: str, keys: list[tuple[str, str]]) -> None:
        for user_id, session_id in keys:
            await service.create_session(app_name=app_name, user_id=user_id, session_id=session_id)

    return Contender("ADK InMemorySessionService", service, close, seed)


class RawAsyncpg:
    """Single-row inserts and indexed selects on a plain table: the physical floor."""

    name = "raw asyncpg"

    def __init__(self, url: str) -> None:
        self._dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._pool: Any = None

    async def open(self, connections: int) -> None:
        import asyncpg

        self._pool = await asyncpg.create_pool(
            self._dsn, min_size=connections, max_size=connections
        )
        await self._pool.execute(
            "CREATE TABLE IF NOT EXISTS bench_raw (session_id text, id text, ts timestamptz,"
            " data jsonb, PRIMARY KEY (session_id, id));"
            "CREATE INDEX IF NOT EXISTS bench_raw_recent ON bench_raw (session_id, ts, id)"
        )

    async def insert(self, session_id: str, event: Event) -> None:
        await self._pool.execute(
            "INSERT INTO bench_raw (session_id, id, ts, data) VALUES ($1, $2, $3, $4)",
            session_id,
            event.id,
            datetime.fromtimestamp(event.timestamp, UTC),
            json.dumps(event.model_dump(mode="json", exclude_none=True)),
        )

    async def recent(self, session_id: str, limit: int | None) -> list[Any]:
        return list(
            await self._pool.fetch(
                "SELECT data FROM bench_raw WHERE session_id = $1 ORDER BY ts DESC, id DESC"
                " LIMIT $2",
                session_id,
                limit,
            )
        )

    async def count(self, session_id: str) -> int:
        return int(
            await self._pool.fetchval(
                "SELECT count(*) FROM bench_raw WHERE session_id = $1", session_id
            )
        )

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()


async def get(service: BaseSessionService, session: Session, limit: int | None) -> Session:
    config = None if limit is None else GetSessionConfig(num_recent_events=limit)
    found = await service.get_session(
        app_name=session.app_name, user_id=session.user_id, session_id=session.id, config=config
    )
    assert found is not None, f"session {session.id} vanished"
    return found


async def gather_limited(limit: int, jobs: list[Callable[[], Awaitable[Any]]]) -> list[Any]:
    """Run ``jobs`` with at most ``limit`` at a time."""
    gate = asyncio.Semaphore(limit)

    async def run(job: Callable[[], Awaitable[Any]]) -> Any:
        async with gate:
            return await job()

    return await asyncio.gather(*(run(job) for job in jobs))
