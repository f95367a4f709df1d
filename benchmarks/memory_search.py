"""Memory search latency and index size, against ADK's in-memory service and a LIKE scan.

``python -m benchmarks.memory_search --url URL [--url URL ...] --sizes 10000,100000``
from a checkout, against scratch databases it may fill, or
``--backend sqlite --backend postgresql --backend mariadb`` for a SQLite file
and throwaway servers started for the run (``tests/servers.py``), one
backend after another. At each size it
stores that many events (100 users of one app, 20-word texts drawn from a
2,000-word vocabulary, fixed seed) in the memory table, then times 50
two-word queries of one user with each contender, interleaved round by
round: ``SqlMemoryService.search_memory`` (the engine's full-text index),
``InMemoryMemoryService.search_memory`` on the same events, and a
``LIKE '%word%'`` scan of the same user's rows in the same table (what SQL
memory packages that match keywords do). Medians, in milliseconds; the
size is the memory table with its indexes (SQLite: the table, its indexes
and the FTS5 tables).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

from google.adk.events.event import Event
from google.adk.memory.in_memory_memory_service import InMemoryMemoryService
from google.genai import types
from servers import MariaDBServer, PostgresServer
from sqlalchemy import or_, select, text

from adk_store import SqlMemoryService

USERS = 100
WORDS_PER_EVENT = 20
VOCABULARY = 2000
QUERIES = 50
BATCH = 500
APP = "bench"
BACKENDS = ("sqlite", "postgresql", "mariadb")


@contextmanager
def scratch_database(backend: str) -> Iterator[str]:
    """The URL of a scratch database: a SQLite file, or a throwaway server's database."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="adk-store-memory-") as scratch:
            yield f"sqlite+aiosqlite:///{scratch}/memory.db"
    elif backend == "postgresql":
        postgres = PostgresServer.start(durable=True)
        try:
            yield postgres.url(postgres.create_database("memory"))
        finally:
            postgres.stop()
    else:
        mariadb = MariaDBServer.start(durable=True)
        try:
            yield mariadb.url(mariadb.create_database("memory"), dialect="mariadb")
        finally:
            mariadb.stop()


def corpus(size: int, seed: int = 7) -> dict[str, list[Event]]:
    rng = random.Random(seed)
    words = [f"w{index:04d}x" for index in range(VOCABULARY)]
    by_user: dict[str, list[Event]] = {f"u{n}": [] for n in range(USERS)}
    for n in range(size):
        phrase = " ".join(rng.choices(words, k=WORDS_PER_EVENT))
        by_user[f"u{n % USERS}"].append(
            Event(
                id=f"e{n}",
                author="user",
                invocation_id="bench",
                content=types.Content(role="user", parts=[types.Part(text=phrase)]),
                timestamp=1_750_000_000 + n,
            )
        )
    return by_user


async def size_bytes(memory: SqlMemoryService) -> int:
    table = memory.store.schema.memories.name
    queries = {
        "postgresql": f"SELECT pg_total_relation_size('{table}')",
        "mysql": "SELECT data_length + index_length FROM information_schema.tables "
        f"WHERE table_schema = DATABASE() AND table_name = '{table}'",
        "sqlite": f"SELECT sum(pgsize) FROM dbstat WHERE name LIKE '{table}%' "
        f"OR name LIKE 'sqlite_autoindex_{table}%' OR name LIKE 'ix_{table}%'",
    }
    name = memory.store.engine.dialect.name
    async with memory.store.unit_of_work(autocommit=True) as connection:
        if name in ("mysql", "mariadb"):
            await connection.exec_driver_sql(f"ANALYZE TABLE {table}")
            name = "mysql"
        return int((await connection.execute(text(queries[name]))).scalar_one() or 0)


async def _timed(action: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await action()
    return (time.perf_counter() - started) * 1000


async def measure(url: str, sizes: list[int]) -> None:
    reference = InMemoryMemoryService()
    async with SqlMemoryService.from_url(url, auto_migrate=True) as memory:
        await memory.forget(app_name=APP, user_id="u0")  # the schema, ready
        have = 0
        for size in sizes:
            for user, events in corpus(size).items():
                new = events[have // USERS :]
                for start in range(0, len(new), BATCH):
                    chunk = new[start : start + BATCH]
                    await memory.add_events_to_memory(
                        app_name=APP, user_id=user, events=chunk, session_id="s"
                    )
                    await reference.add_events_to_memory(
                        app_name=APP, user_id=user, events=chunk, session_id="s"
                    )
            have = size
            if memory.store.engine.dialect.name == "postgresql":
                async with memory.store.unit_of_work(autocommit=True) as connection:
                    await connection.exec_driver_sql("ANALYZE")
            m = memory.store.schema.memories
            rng = random.Random(size)
            contenders: dict[str, list[float]] = {"full-text": [], "in-memory": [], "LIKE": []}
            for _ in range(QUERIES):
                user = f"u{rng.randrange(USERS)}"
                words = [f"w{rng.randrange(VOCABULARY):04d}x" for _ in range(2)]
                query = " ".join(words)
                like = (
                    select(m.c.entry)
                    .where(
                        m.c.app_name == APP,
                        m.c.user_id == user,
                        or_(*(m.c.search_text.like(f"%{word}%") for word in words)),
                    )
                    .limit(10)
                )

                async def run_like(statement: object = like) -> None:
                    async with memory.store.unit_of_work(autocommit=True) as connection:
                        (await connection.execute(statement)).all()  # type: ignore[call-overload]

                contenders["full-text"].append(
                    await _timed(
                        lambda u=user, q=query: memory.search_memory(
                            app_name=APP, user_id=u, query=q
                        )
                    )
                )
                contenders["in-memory"].append(
                    await _timed(
                        lambda u=user, q=query: reference.search_memory(
                            app_name=APP, user_id=u, query=q
                        )
                    )
                )
                contenders["LIKE"].append(await _timed(run_like))
            size_mb = await size_bytes(memory) / 2**20
            medians = ", ".join(
                f"{name} {statistics.median(times):.2f} ms" for name, times in contenders.items()
            )
            print(
                f"{memory.store.engine.dialect.name:<10} {size:>9,} events: {medians}; "
                f"memory table {size_mb:.1f} MB",
                flush=True,
            )


async def _all(urls: list[str], backends: list[str], sizes: list[int]) -> None:
    for url in urls:
        await measure(url, sizes)
    for backend in backends:
        with scratch_database(backend) as url:
            await measure(url, sizes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", action="append", default=[], help="a scratch database")
    parser.add_argument(
        "--backend", action="append", default=[], choices=BACKENDS, help="a throwaway database"
    )
    parser.add_argument("--sizes", default="10000,100000")
    options = parser.parse_args()
    if not options.url and not options.backend:
        parser.error("give at least one --url or --backend")
    sizes = [int(size) for size in options.sizes.split(",")]
    asyncio.run(_all(options.url, options.backend, sizes))


if __name__ == "__main__":
    main()
