"""The session services ``adk-store bench`` measures, behind one small interface.

Both run on the database the user names: adk-store's ``SqlSessionService`` and
ADK's own ``DatabaseSessionService``, the service adk-store replaces. The
comparison harness in ``benchmarks/`` adds contenders that need no user
database (ADK's in-memory and SQLite services, a raw asyncpg loop) through
the same `Contender` interface.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from google.adk.sessions import BaseSessionService
from google.adk.sessions.base_session_service import GetSessionConfig
from google.adk.sessions.session import Session
from sqlalchemy import insert
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
