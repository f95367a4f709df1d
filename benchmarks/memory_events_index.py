"""The memory table against a full-text index over the stored events' JSON, on the same events.

``python -m benchmarks.memory_events_index --backend postgresql --backend sqlite --sizes 10000``
from a checkout. Revision 0003 keeps memory as a table of extracted text;
the alternative it was chosen over is an index over the events table's
JSON, which stores no second copy of the text. This stores the corpus of
``benchmarks.memory_search`` both ways in one scratch database (as sessions'
events through the store's tables, and as memories), builds that index
there only, never in a revision, and times 50 two-word queries of one user
each way, interleaved, reporting medians and sizes:

- PostgreSQL: a GIN index on
  ``jsonb_to_tsvector(config, event_data -> 'content', '["string"]')``,
  queried and ranked (``ts_rank``) on the same expression, so a ranked
  match recomputes the vector from the JSON.
- SQLite: FTS5 cannot index an expression, so a contentless FTS5 table
  filled from the parts' text (``json_each``), joined to the events by
  ``rowid``, the closest it comes; keeping it in step would take triggers.
- MySQL/MariaDB: not measured. ``FULLTEXT`` takes stored columns only, so
  indexing the events' text needs a stored generated column: a second copy
  of the text, in the events table.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from google.adk.events.event import Event
from sqlalchemy import TextClause, insert, text
from sqlalchemy.ext.asyncio import AsyncConnection

from adk_store import SqlMemoryService, SqlSessionService
from adk_store.service import event_row
from adk_store.store import SessionStore
from benchmarks.memory_search import (
    APP,
    BATCH,
    QUERIES,
    USERS,
    VOCABULARY,
    corpus,
    scratch_database,
    size_bytes,
)

SESSION = "s"
INDEX = "bench_events_text"
# The same configuration and tokenizer as the memory table's search.
_PG_VECTOR = "jsonb_to_tsvector('english'::regconfig, event_data -> 'content', '[\"string\"]')"
_PG_QUERY = "websearch_to_tsquery('english'::regconfig, :query)"
_FTS5_TOKENIZE = "porter unicode61 remove_diacritics 2"


class EventsIndex:
    """One engine's full-text index over the events' JSON: its DDL, search and size."""

    explain = "EXPLAIN "

    def __init__(self, events: str) -> None:
        self.events = events

    def ddl(self) -> list[str]:
        raise NotImplementedError

    def search(self) -> str:
        raise NotImplementedError

    def size(self) -> str:
        raise NotImplementedError

    def query_text(self, words: list[str]) -> str:
        raise NotImplementedError


class PostgreSQLEventsIndex(EventsIndex):
    def ddl(self) -> list[str]:
        return [
            f"DROP INDEX IF EXISTS {INDEX}",
            f"CREATE INDEX {INDEX} ON {self.events} USING gin ({_PG_VECTOR})",
            "ANALYZE",
        ]

    def search(self) -> str:
        return (
            f"SELECT event_data FROM {self.events} WHERE app_name = :app AND user_id = :user "
            f"AND {_PG_VECTOR} @@ {_PG_QUERY} "
            f"ORDER BY ts_rank({_PG_VECTOR}, {_PG_QUERY}) DESC LIMIT 10"
        )

    def size(self) -> str:
        return f"SELECT pg_relation_size('{INDEX}')"

    def query_text(self, words: list[str]) -> str:
        return " or ".join(f'"{word}"' for word in words)


class SQLiteEventsIndex(EventsIndex):
    explain = "EXPLAIN QUERY PLAN "

    def ddl(self) -> list[str]:
        parts = (
            "(SELECT group_concat(json_extract(part.value, '$.text'), ' ') "
            "FROM json_each(event_data, '$.content.parts') AS part)"
        )
        return [
            f"DROP TABLE IF EXISTS {INDEX}",
            f"CREATE VIRTUAL TABLE {INDEX} USING fts5(body, content='', "
            f"tokenize='{_FTS5_TOKENIZE}')",
            f"INSERT INTO {INDEX}(rowid, body) SELECT rowid, {parts} FROM {self.events}",
        ]

    def search(self) -> str:
        return (
            f"SELECT e.event_data FROM {INDEX} JOIN {self.events} AS e "
            f"ON e.rowid = {INDEX}.rowid WHERE {INDEX} MATCH :query "
            f"AND e.app_name = :app AND e.user_id = :user ORDER BY {INDEX}.rank LIMIT 10"
        )

    def size(self) -> str:
        return f"SELECT sum(pgsize) FROM dbstat WHERE name LIKE '{INDEX}%'"

    def query_text(self, words: list[str]) -> str:
        return " OR ".join(f'"{word}"' for word in words)


INDEXES: dict[str, type[EventsIndex]] = {
    "postgresql": PostgreSQLEventsIndex,
    "sqlite": SQLiteEventsIndex,
}


async def _timed(action: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await action()
    return (time.perf_counter() - started) * 1000


async def _store_events(
    sessions: SqlSessionService, memory: SqlMemoryService, size: int, have: int
) -> None:
    """The corpus's new events as sessions' events (rows as the store writes them) and memories."""
    events = sessions.store.schema.events
    rows: list[dict[str, Any]] = []
    for user, history in corpus(size).items():
        new = history[have // USERS :]
        for start in range(0, len(new), BATCH):
            await memory.add_events_to_memory(
                app_name=APP, user_id=user, events=new[start : start + BATCH], session_id=SESSION
            )
        rows.extend(
            {
                **event_row(event),
                "app_name": APP,
                "user_id": user,
                "session_id": SESSION,
                "seq": have // USERS + position + 1,
            }
            for position, event in enumerate(new)
        )
    for start in range(0, len(rows), BATCH):
        async with sessions.store.unit_of_work(write=True) as connection:
            await connection.execute(insert(events), rows[start : start + BATCH])


async def _search_events(
    store: SessionStore, search: TextClause, params: dict[str, str]
) -> list[Event]:
    """The matching events, as ADK events again (as the memory service returns its entries)."""
    async with store.unit_of_work(autocommit=True) as connection:
        rows = (await connection.execute(search, params)).all()
    return [Event.model_validate(row.event_data) for row in rows]


async def _scalar(connection: AsyncConnection, statement: str) -> int:
    return int((await connection.execute(text(statement))).scalar_one() or 0)


async def measure(url: str, sizes: list[int]) -> None:
    async with SqlSessionService.from_url(url, auto_migrate=True) as sessions:
        dialect = sessions.store.engine.dialect.name
        index = INDEXES[dialect](sessions.store.schema.events.name)
        memory = SqlMemoryService(store=sessions.store)
        for n in range(USERS):
            await sessions.create_session(app_name=APP, user_id=f"u{n}", session_id=SESSION)
        have = 0
        for size in sizes:
            await _store_events(sessions, memory, size, have)
            have = size
            started = time.perf_counter()
            async with sessions.store.unit_of_work(write=True) as connection:
                for statement in index.ddl():
                    await connection.exec_driver_sql(statement)
            build_s = time.perf_counter() - started
            event_data = sessions.store.schema.events.c.event_data
            search = text(index.search()).columns(event_data)
            rng = random.Random(size)
            times: dict[str, list[float]] = {"memory table": [], "events JSON": []}
            for _ in range(QUERIES):
                user = f"u{rng.randrange(USERS)}"
                words = [f"w{rng.randrange(VOCABULARY):04d}x" for _ in range(2)]
                params = {"app": APP, "user": user, "query": index.query_text(words)}
                times["memory table"].append(
                    await _timed(
                        partial(
                            memory.search_memory, app_name=APP, user_id=user, query=" ".join(words)
                        )
                    )
                )
                times["events JSON"].append(
                    await _timed(partial(_search_events, sessions.store, search, params))
                )
            async with sessions.store.unit_of_work(autocommit=True) as connection:
                index_mb = await _scalar(connection, index.size()) / 2**20
                # Whether the engine searched the index or the user's rows.
                plan = await connection.execute(text(index.explain + index.search()), params)
                steps = " / ".join(str(row[-1]).strip() for row in plan)
            table_mb = await size_bytes(memory) / 2**20
            medians = ", ".join(
                f"{name} {statistics.median(values):.2f} ms" for name, values in times.items()
            )
            print(
                f"{dialect:<10} {size:>9,} events: {medians}; memory table {table_mb:.1f} MB, "
                f"events JSON index {index_mb:.1f} MB (built in {build_s:.1f} s)",
                flush=True,
            )
            print(f"  plan: {steps}", flush=True)


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
        "--backend", action="append", default=[], choices=sorted(INDEXES), help="a throwaway one"
    )
    parser.add_argument("--sizes", default="10000,100000")
    options = parser.parse_args()
    if not options.url and not options.backend:
        parser.error("give at least one --url or --backend")
    sizes = [int(size) for size in options.sizes.split(",")]
    asyncio.run(_all(options.url, options.backend, sizes))


if __name__ == "__main__":
    main()
