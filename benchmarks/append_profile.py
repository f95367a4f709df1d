"""Where an append's client CPU goes: a profile of concurrent appends, summed by library.

Runs ``--callers`` tasks appending the benchmark's realistic events (built
inside the loop) for ``--seconds`` under ``cProfile``, then sums each
function's own time by the package it lives in (SQLAlchemy, the driver,
pydantic and ADK, asyncio, adk-store, ...) and prints it per append.
Profiling slows everything down alike, so the shares matter more than the
microseconds. Starts a throwaway PostgreSQL (from ``tests/servers.py``)
unless ``--url`` names a database.

    python -m benchmarks.append_profile [--url URL] [--callers 50] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import time
from collections import defaultdict

from google.adk.sessions.session import Session
from servers import PostgresServer

from adk_store import SqlSessionService
from adk_store.bench.workloads import realistic_event

# Where a function's file lives -> the group its time is counted in; first match wins.
GROUPS = (
    ("/sqlalchemy/", "SQLAlchemy"),
    ("/asyncpg/", "driver (asyncpg, aiomysql, aiosqlite, ...)"),
    ("/aiomysql/", "driver (asyncpg, aiomysql, aiosqlite, ...)"),
    ("/pymysql/", "driver (asyncpg, aiomysql, aiosqlite, ...)"),
    ("/asyncmy/", "driver (asyncpg, aiomysql, aiosqlite, ...)"),
    ("/aiosqlite/", "driver (asyncpg, aiomysql, aiosqlite, ...)"),
    ("/greenlet/", "SQLAlchemy"),
    ("/json/", "json"),
    ("/pydantic", "pydantic, ADK and genai models"),
    ("/google/", "pydantic, ADK and genai models"),
    ("/adk_store/", "adk-store"),
    ("/asyncio/", "asyncio"),
    ("selectors.py", "asyncio"),
)


def group_of(filename: str, function: str) -> str:
    for marker, group in GROUPS:
        if marker in filename:
            return group
    if filename == "~":  # C functions: name them by what they belong to
        for marker, group in (
            ("greenlet", "SQLAlchemy"),
            ("pydantic", "pydantic, ADK and genai models"),
            ("json", "json"),
            ("poll", "asyncio"),
            ("socket", "sockets"),
        ):
            if marker in function:
                return group
        return "other builtins"
    return "other"


async def run(url: str, callers: int, seconds: float) -> tuple[int, float, pstats.Stats]:
    service = SqlSessionService.from_url(url, auto_migrate=True)
    sessions = [
        await service.create_session(app_name="profile", user_id=f"u{n % 10}")
        for n in range(callers)
    ]
    for session in sessions:  # warm-up: connections open, statements prepared
        await service.append_event(session, realistic_event(0, "warm"))
    appended = 0
    stop = time.monotonic() + seconds

    async def caller(session: Session) -> None:
        nonlocal appended
        index = 1
        while time.monotonic() < stop:
            await service.append_event(session, realistic_event(index, "profile"))
            session.events.clear()
            index += 1
            appended += 1

    profile = cProfile.Profile()
    started = time.process_time()
    profile.enable()
    await asyncio.gather(*(caller(session) for session in sessions))
    profile.disable()
    cpu = time.process_time() - started
    await service.close()
    return appended, cpu, pstats.Stats(profile)


def summary(appended: int, cpu: float, stats: pstats.Stats) -> list[tuple[str, float, float]]:
    """(group, µs per append, share of the profiled time), largest first."""
    by_group: dict[str, float] = defaultdict(float)
    for (filename, _line, function), row in stats.stats.items():
        by_group[group_of(filename, function)] += row[2]  # own time
    total = sum(by_group.values())
    return sorted(
        ((group, seconds / appended * 1e6, seconds / total) for group, seconds in by_group.items()),
        key=lambda item: -item[1],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database to append to (default: a throwaway PostgreSQL)")
    parser.add_argument("--callers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5.0)
    arguments = parser.parse_args()
    if arguments.url:
        result = asyncio.run(run(arguments.url, arguments.callers, arguments.seconds))
    else:
        server = PostgresServer.start(durable=True)
        try:
            url = server.url(server.create_database("profile"))
            result = asyncio.run(run(url, arguments.callers, arguments.seconds))
        finally:
            server.stop()
    appended, cpu, stats = result
    print(
        f"{appended:,} appends by {arguments.callers} callers in {arguments.seconds:g} s; "
        f"client CPU under the profiler {cpu / appended * 1e6:,.0f} µs per append"
    )
    print(f"{'where':<45} {'µs/append':>10} {'share':>7}")
    for group, per_append, share in summary(appended, cpu, stats):
        print(f"{group:<45} {per_append:>10,.0f} {share:>7.0%}")


if __name__ == "__main__":
    main()
