"""The contenders no user database is needed for: ADK's other services and raw asyncpg.

``InMemorySessionService`` is the ceiling (no storage at all);
``SqliteSessionService`` is ADK's own SQLite store; the raw asyncpg loop is
the physical reference: one single-row ``INSERT`` or one indexed ``SELECT``
per operation, with no session semantics.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from google.adk.events import Event
from google.adk.sessions import InMemorySessionService
from google.adk.sessions.sqlite_session_service import SqliteSessionService
from sqlalchemy.engine import make_url

from adk_store.bench.contenders import Contender, gather_limited
from adk_store.bench.runner import Bench
from adk_store.bench.workloads import Measurement, realistic_event


async def _nothing_to_close() -> None:
    return None


async def adk_sqlite(path: str) -> Contender:
    return Contender("ADK SqliteSessionService", SqliteSessionService(path), _nothing_to_close)


async def in_memory() -> Contender:
    service = InMemorySessionService()

    async def seed(app_name: str, keys: list[tuple[str, str]]) -> None:
        for user_id, session_id in keys:
            await service.create_session(app_name=app_name, user_id=user_id, session_id=session_id)

    return Contender("ADK InMemorySessionService", service, _nothing_to_close, seed)


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


async def run_raw(bench: Bench, backend: str, raw: RawAsyncpg) -> None:
    """The appends and reads of `Bench.run_backend` that have a raw equivalent."""
    s = bench.scale
    await raw.open(50)
    await bench.step(
        backend,
        raw.name,
        "append, 1 concurrent session",
        s.appends_serial,
        lambda: _insert(bench, raw, 1, s.appends_serial),
    )
    await bench.step(
        backend,
        raw.name,
        "append, 50 concurrent sessions",
        s.appends_concurrent,
        lambda: _insert(bench, raw, 50, s.appends_concurrent),
    )
    for length in s.histories:
        session_id = f"raw-history-{length}-{uuid.uuid4().hex[:6]}"
        for k in range(length):
            await raw.insert(session_id, realistic_event(k, "raw"))
        for limit, reads in ((20, s.recent_reads), (None, s.full_reads)):
            label = f"get_session {'recent 20' if limit else 'full history'}, {length:,} events"
            await bench.step(
                backend,
                raw.name,
                label,
                reads,
                lambda sid=session_id, lim=limit, r=reads, lab=label: _read(
                    bench, raw, sid, lim, r, lab
                ),
            )


async def _insert(bench: Bench, raw: RawAsyncpg, sessions: int, total: int) -> Measurement:
    per_session = total // sessions
    prefix = uuid.uuid4().hex[:8]
    events = {
        f"{prefix}-{i}": [realistic_event(n, "raw") for n in range(per_session)]
        for i in range(sessions)
    }

    async def writer(session_id: str) -> None:
        for event in events[session_id]:
            await raw.insert(session_id, event)
            bench.tick(1)

    start = time.perf_counter()
    await gather_limited(sessions, [lambda s=s: writer(s) for s in events])
    seconds = time.perf_counter() - start
    counts = [await raw.count(session_id) for session_id in events]
    return Measurement(
        f"append, {sessions} concurrent session{'s' * (sessions > 1)}",
        raw.name,
        per_session * sessions,
        seconds,
        verified=all(count == per_session for count in counts),
    )


async def _read(
    bench: Bench, raw: RawAsyncpg, session_id: str, limit: int | None, reads: int, label: str
) -> Measurement:
    start = time.perf_counter()
    rows: list[Any] = []
    for _ in range(reads):
        rows = await raw.recent(session_id, limit)
        bench.tick(1)
    seconds = time.perf_counter() - start
    return Measurement(label, raw.name, reads, seconds, verified=bool(rows))
