"""The raw baselines: one driver-level ``INSERT`` of the event's JSON per append.

Each appends with one autocommitted single-row insert on a pool of driver
connections, with no session semantics (no state, no stale-session check),
and reads the newest events with one indexed ``SELECT``: the floor a store
on the same database and driver is measured against. The event is built and
dumped to JSON inside the timed loop, as every contender's is. Rows go to
one table of the benchmark's own, ``adk_store_bench_raw``, keyed by session.
"""

from __future__ import annotations

import asyncio
from abc import abstractmethod
from datetime import UTC, datetime
from typing import Any, ClassVar

from google.adk.events import Event
from sqlalchemy.engine import URL, make_url

from adk_store.bench.contenders import RAW, Contender, Entrant

TABLE = "adk_store_bench_raw"


def _row(event: Event) -> tuple[str, datetime, str]:
    return (
        event.id,
        datetime.fromtimestamp(event.timestamp, UTC),
        event.model_dump_json(exclude_none=True),
    )


def _events(documents: list[Any]) -> list[Event]:
    """Rows newest first, as read, to events oldest first."""
    return [Event.model_validate_json(document) for document in reversed(documents)]


class RawContender(Contender):
    """A raw baseline on one driver; ``pools`` are the sizes calibration tries."""

    name = RAW
    driver: ClassVar[str]
    default_pool: ClassVar[str]
    pools: ClassVar[tuple[int, ...]] = (5, 10, 20, 50)

    def __init__(self, url: URL, pool: int | None) -> None:
        self.url = url
        self.pool = pool
        size = self.default_pool if pool is None else f"{pool} connections"
        self.configuration = f"{self.driver}, {size}, autocommit"

    @abstractmethod
    async def open(self) -> None: ...

    async def new_session(self, app_name: str, user_id: str, session_id: str) -> str:
        return f"{app_name}/{user_id}/{session_id}"


class RawAsyncpg(RawContender):
    driver = "asyncpg"
    default_pool = "asyncpg's default pool (10 connections)"

    async def open(self) -> None:
        import asyncpg

        dsn = self.url.set(drivername="postgresql").render_as_string(hide_password=False)
        sizes = {} if self.pool is None else {"min_size": self.pool, "max_size": self.pool}
        self._pool: Any = await asyncpg.create_pool(dsn, **sizes)
        await self._pool.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (session_id text, id text, ts timestamptz,"
            " data jsonb, PRIMARY KEY (session_id, id));"
            f"CREATE INDEX IF NOT EXISTS {TABLE}_recent ON {TABLE} (session_id, ts, id)"
        )

    async def append(self, session: str, event: Event) -> None:
        await self._pool.execute(
            f"INSERT INTO {TABLE} (session_id, id, ts, data) VALUES ($1, $2, $3, $4)",
            session,
            *_row(event),
        )

    async def recent(self, session: str, limit: int) -> list[Event]:
        rows = await self._pool.fetch(
            f"SELECT data FROM {TABLE} WHERE session_id = $1 ORDER BY ts DESC, id DESC LIMIT $2",
            session,
            limit,
        )
        return _events([row[0] for row in rows])

    async def stored_ids(self, session: str) -> list[str]:
        rows = await self._pool.fetch(
            f"SELECT id FROM {TABLE} WHERE session_id = $1 ORDER BY ts, id", session
        )
        return [row[0] for row in rows]

    async def close(self) -> None:
        await self._pool.close()


class RawAiomysql(RawContender):
    driver = "aiomysql"
    default_pool = "aiomysql's default pool (up to 10 connections)"

    async def open(self) -> None:
        import aiomysql

        sizes = {} if self.pool is None else {"minsize": self.pool, "maxsize": self.pool}
        self._pool: Any = await aiomysql.create_pool(
            host=self.url.host or "localhost",
            port=self.url.port or 3306,
            user=self.url.username or "root",
            password=self.url.password or "",
            db=self.url.database,
            charset="utf8mb4",
            autocommit=True,
            **sizes,
        )
        await self._run(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (session_id VARCHAR(255) NOT NULL,"
            " id VARCHAR(64) NOT NULL, ts DATETIME(6) NOT NULL, data LONGTEXT NOT NULL,"
            " PRIMARY KEY (session_id, id), INDEX recent (session_id, ts, id)) ENGINE=InnoDB"
        )

    async def _run(self, sql: str, *args: Any) -> list[Any]:
        async with self._pool.acquire() as connection, connection.cursor() as cursor:
            await cursor.execute(sql, args)
            return list(await cursor.fetchall())

    async def append(self, session: str, event: Event) -> None:
        event_id, ts, data = _row(event)
        await self._run(
            f"INSERT INTO {TABLE} (session_id, id, ts, data) VALUES (%s, %s, %s, %s)",
            session,
            event_id,
            ts.replace(tzinfo=None),
            data,
        )

    async def recent(self, session: str, limit: int) -> list[Event]:
        rows = await self._run(
            f"SELECT data FROM {TABLE} WHERE session_id = %s ORDER BY ts DESC, id DESC LIMIT %s",
            session,
            limit,
        )
        return _events([row[0] for row in rows])

    async def stored_ids(self, session: str) -> list[str]:
        rows = await self._run(
            f"SELECT id FROM {TABLE} WHERE session_id = %s ORDER BY ts, id", session
        )
        return [row[0] for row in rows]

    async def close(self) -> None:
        self._pool.close()
        await self._pool.wait_closed()


class RawAiosqlite(RawContender):
    """aiosqlite connections in WAL mode with ``synchronous=FULL``: adk-store's durability."""

    driver = "aiosqlite"
    default_pool = "1 connection"
    pools = (1, 2, 4)

    async def open(self) -> None:
        import aiosqlite

        self._idle: asyncio.Queue[Any] = asyncio.Queue()
        for _ in range(self.pool or 1):
            connection = await aiosqlite.connect(self.url.database or "", isolation_level=None)
            await connection.execute("PRAGMA journal_mode=WAL")
            await connection.execute("PRAGMA synchronous=FULL")
            await connection.execute("PRAGMA busy_timeout=30000")
            self._idle.put_nowait(connection)
        await self._run(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (session_id TEXT NOT NULL, id TEXT NOT NULL,"
            " ts REAL NOT NULL, data TEXT NOT NULL, PRIMARY KEY (session_id, id))"
        )
        await self._run(
            f"CREATE INDEX IF NOT EXISTS {TABLE}_recent ON {TABLE} (session_id, ts, id)"
        )

    async def _run(self, sql: str, *args: Any) -> list[Any]:
        connection = await self._idle.get()
        try:
            async with connection.execute(sql, args) as cursor:
                return list(await cursor.fetchall())
        finally:
            self._idle.put_nowait(connection)

    async def append(self, session: str, event: Event) -> None:
        await self._run(
            f"INSERT INTO {TABLE} (session_id, id, ts, data) VALUES (?, ?, ?, ?)",
            session,
            event.id,
            event.timestamp,
            event.model_dump_json(exclude_none=True),
        )

    async def recent(self, session: str, limit: int) -> list[Event]:
        rows = await self._run(
            f"SELECT data FROM {TABLE} WHERE session_id = ? ORDER BY ts DESC, id DESC LIMIT ?",
            session,
            limit,
        )
        return _events([row[0] for row in rows])

    async def stored_ids(self, session: str) -> list[str]:
        rows = await self._run(
            f"SELECT id FROM {TABLE} WHERE session_id = ? ORDER BY ts, id", session
        )
        return [row[0] for row in rows]

    async def close(self) -> None:
        while not self._idle.empty():
            await self._idle.get_nowait().close()


_BY_BACKEND: dict[str, type[RawContender]] = {
    "postgresql": RawAsyncpg,
    "mysql": RawAiomysql,
    "mariadb": RawAiomysql,
    "sqlite": RawAiosqlite,
}


def entrant(url: str) -> Entrant | None:
    """The raw baseline for ``url``'s database, or None for one without a baseline here."""
    parsed = make_url(url)
    kind = _BY_BACKEND.get(parsed.get_backend_name())
    if kind is None:
        return None

    async def make(pool: int | None) -> Contender:
        contender = kind(parsed, pool)
        await contender.open()
        return contender

    return Entrant(RAW, make, kind.pools)
