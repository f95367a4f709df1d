"""Appends to sessions as they age: the same sessions every round, or new ones.

Every append rewrites its session row, and PostgreSQL cannot do that in
place while the row's ``update_time`` is indexed (docs/postgresql.md, "Row
size"): each append leaves a dead row version and new index entries behind.
This measures what that costs. ``--callers`` tasks append the benchmark's
realistic events for ``--rounds`` windows of ``--seconds``, to the same
sessions every round (``--sessions same``) or to new ones (``new``), with
``--lanes`` batches in flight (the store's default otherwise) and, with
``--drop-state-index``, without the GIN index on session state. Prints
appends/s, p99 latency, appends per batch and client CPU per append, per
round, on a throwaway durable PostgreSQL unless ``--url`` names a database.

    python -m benchmarks.append_aging [--sessions same|new] [--lanes N] [--drop-state-index]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from google.adk.sessions.session import Session
from servers import PostgresServer
from sqlalchemy.schema import DropIndex

from adk_store import SqlSessionService
from adk_store.bench.workloads import realistic_event
from adk_store.group_commit import GroupCommit
from adk_store.store import GROUP_COMMIT_MAX_BATCH


async def run(url: str, arguments: argparse.Namespace) -> None:
    service = SqlSessionService.from_url(url, auto_migrate=True)
    store = service.store
    await store.ensure_ready()
    if arguments.drop_state_index:
        (state_index,) = (i for i in store.schema.sessions.indexes if i.name.endswith("_gin"))
        async with store.unit_of_work(autocommit=True) as connection:
            await connection.execute(DropIndex(state_index))
    if arguments.lanes is not None:
        # The store's own writer, with another number of batches in flight.
        store.group_commit = GroupCommit(
            store._write_group, lanes=arguments.lanes, max_batch=GROUP_COMMIT_MAX_BATCH
        )
    sessions: list[Session] = []
    for round_number in range(1, arguments.rounds + 1):
        if arguments.sessions == "new" or not sessions:
            sessions = [
                await service.create_session(app_name="aging", user_id=f"u{n % 10}")
                for n in range(arguments.callers)
            ]
        latencies: list[float] = []
        group = store.group_commit
        batches, requests = group.batches, group.requests
        stop = time.monotonic() + arguments.seconds

        cpu = time.process_time()
        began = time.monotonic()
        await asyncio.gather(*(_caller(service, session, stop, latencies) for session in sessions))
        elapsed = time.monotonic() - began
        cpu = time.process_time() - cpu
        latencies.sort()
        count = len(latencies)
        per_batch = (group.requests - requests) / max(1, group.batches - batches)
        print(
            f"round {round_number}: {count / elapsed:,.0f} appends/s, "
            f"p99 {latencies[int(count * 0.99)] * 1e3:.0f} ms, {per_batch:.1f} appends per batch, "
            f"client CPU {cpu / count * 1e6:,.0f} µs per append",
            flush=True,
        )
    await service.close()


async def _caller(
    service: SqlSessionService, session: Session, stop: float, latencies: list[float]
) -> None:
    """Append to ``session`` until ``stop``, building each event inside the loop."""
    index = 0
    while time.monotonic() < stop:
        started = time.perf_counter()
        await service.append_event(session, realistic_event(index, "aging"))
        latencies.append(time.perf_counter() - started)
        session.events.clear()
        index += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database to append to (default: a throwaway PostgreSQL)")
    parser.add_argument("--sessions", choices=("same", "new"), default="same")
    parser.add_argument("--callers", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--lanes", type=int, help="batches in flight (default: the store's)")
    parser.add_argument("--drop-state-index", action="store_true")
    arguments = parser.parse_args()
    if arguments.url:
        asyncio.run(run(arguments.url, arguments))
        return
    server = PostgresServer.start(durable=True)
    try:
        asyncio.run(run(server.url(server.create_database("aging")), arguments))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
