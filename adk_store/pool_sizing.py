"""How many connections a store keeps to a server, and opening them before the first call.

SQLAlchemy's default pool keeps 5 connections and opens 10 more on demand,
closing each of those again as soon as it is returned while 5 sit idle.
Under steady load above 5 callers that is a connect and a disconnect per
call: measured with 50 callers appending on PostgreSQL, 1,255 new
connections in 5 s, each costing about 5 ms of CPU on both sides. A store
therefore keeps every connection it may use (no overflow) and opens them
all when it first starts (`open_pool`), before a burst can pay for them.
The size is the number of statements a store can usefully have in flight on
a 2-core server (see docs/configuration.md for the measurements); callers
beyond it queue in order (`adk_store.admission`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import QueuePool

DEFAULT_POOL_SIZE = 10
DEFAULT_MAX_OVERFLOW = 0


def with_pool_defaults(engine_options: dict[str, Any]) -> dict[str, Any]:
    """``engine_options`` with adk-store's pool size where the caller chose none.

    A caller-chosen pool class or size is kept as given.
    """
    if "poolclass" in engine_options or "pool" in engine_options:
        return engine_options
    return {
        "pool_size": DEFAULT_POOL_SIZE,
        "max_overflow": DEFAULT_MAX_OVERFLOW,
        **engine_options,
    }


async def open_pool(engine: AsyncEngine) -> None:
    """Open every connection the pool keeps, at once, and return them to it.

    A server that cannot be reached is reported by the first real call, not
    here: this only saves that call the connection set-up.
    """
    pool = engine.sync_engine.pool
    if not isinstance(pool, QueuePool):
        return
    missing = pool.size() - pool.checkedin() - pool.checkedout()
    if missing <= 0:
        return
    opened = await asyncio.gather(
        *(engine.connect() for _ in range(missing)), return_exceptions=True
    )
    for connection in opened:
        if isinstance(connection, AsyncConnection):
            await connection.close()
