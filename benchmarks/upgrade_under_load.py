"""Upgrade a filled database of a previous release while that release keeps appending.

``python -m benchmarks.upgrade_under_load --previous REV`` from a checkout:
starts a throwaway PostgreSQL cluster, checks out ``REV`` (a commit of this
repository at the previous schema revision) into a temporary worktree, fills
its schema with sessions and events through that release's tables, starts
20 writers of that release appending in a loop, and upgrades the database to
this checkout's head while they run. Prints how long the upgrade took, how
many appends landed during it and the longest pause between two appends.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from servers import PostgresServer

from adk_store.engine import create_engine
from adk_store.migrations import upgrade

REPO = Path(__file__).resolve().parents[1]

# Run with the previous release on the import path: fill its tables.
FILL = textwrap.dedent(
    """
    import asyncio, sys
    from datetime import UTC, datetime, timedelta
    from sqlalchemy import insert
    from adk_store import SqlSessionService
    from adk_store.schema import build_schema

    async def main(url, sessions, per_session):
        schema = build_schema("adk_")
        async with SqlSessionService.from_url(url, auto_migrate=True) as service:
            store = service.store
            await store.ensure_ready()
            t0 = datetime(2026, 1, 1, tzinfo=UTC)
            rows = [dict(app_name="load", user_id=f"u{n}", id=f"s{n}", state={},
                         revision=per_session, create_time=t0, update_time=t0)
                    for n in range(sessions)]
            async with store.engine.begin() as connection:
                await connection.execute(insert(schema.sessions), rows)
            batch = []
            for n in range(sessions):
                for k in range(per_session):
                    when = t0 + timedelta(seconds=k)
                    content = {"role": "user", "parts": [{"text": "hello " * 20}]}
                    document = {"id": f"e{n}-{k}", "author": "user", "invocation_id": "i",
                                "timestamp": when.timestamp(), "content": content}
                    batch.append(dict(app_name="load", user_id=f"u{n}", session_id=f"s{n}",
                                      id=document["id"], invocation_id="i", author="user",
                                      timestamp=when, event_data=document, content=content))
                    if len(batch) == 10000 or (n == sessions - 1 and k == per_session - 1):
                        async with store.engine.begin() as connection:
                            await connection.execute(insert(schema.events), batch)
                        batch = []

    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
    """
)

# Run with the previous release on the import path: append until told to stop.
APPEND = textwrap.dedent(
    """
    import asyncio, json, sys, time
    from google.adk.events.event import Event
    from adk_store import SqlSessionService

    async def main(url, seconds):
        async with SqlSessionService.from_url(url) as service:
            stamps, errors = [], []
            deadline = time.time() + seconds

            async def writer(n):
                session = await service.get_session(
                    app_name="load", user_id=f"u{n}", session_id=f"s{n}")
                while time.time() < deadline:
                    try:
                        await service.append_event(session, Event(author="user", invocation_id="w"))
                        stamps.append(time.time())
                    except Exception as error:
                        errors.append(type(error).__name__)
                        session = await service.get_session(
                            app_name="load", user_id=f"u{n}", session_id=f"s{n}")

            await asyncio.gather(*(writer(n) for n in range(20)))
            print(json.dumps({"stamps": stamps, "errors": errors}))

    asyncio.run(main(sys.argv[1], float(sys.argv[2])))
    """
)


def _previous_release(revision: str, into: Path) -> Path:
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "add", "--detach", str(into), revision],
        check=True,
        capture_output=True,
    )
    return into


def _run_previous(tree: Path, script: str, *args: str) -> subprocess.Popen[str]:
    environment = dict(os.environ, PYTHONPATH=str(tree))
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        cwd=tempfile.gettempdir(),
        env=environment,
        stdout=subprocess.PIPE,
        text=True,
    )


async def _upgrade(url: str) -> tuple[float, float]:
    engine = create_engine(url)
    try:
        started = time.time()
        await upgrade(engine, "adk_")
        return started, time.time()
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--previous", required=True, help="commit of the previous release")
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--events-per-session", type=int, default=1000)
    options = parser.parse_args()
    server = PostgresServer.start()
    with tempfile.TemporaryDirectory() as scratch:
        tree = _previous_release(options.previous, Path(scratch) / "previous")
        try:
            url = server.url(server.create_database("upgrade"))
            total = options.sessions * options.events_per_session
            print(f"Filling {total:,} events with the previous release...", flush=True)
            fill = _run_previous(
                tree, FILL, url, str(options.sessions), str(options.events_per_session)
            )
            if fill.wait() != 0:
                raise SystemExit("filling the previous release's tables failed")
            writers = _run_previous(tree, APPEND, url, "90")
            time.sleep(5)  # the writers have read their sessions and are appending
            started, ended = asyncio.run(_upgrade(url))
            output, _ = writers.communicate()
        finally:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)],
                check=False,
                capture_output=True,
            )
            server.stop()
    result = json.loads(output)
    stamps = sorted(result["stamps"])
    during = [stamp for stamp in stamps if started <= stamp <= ended]
    edges = [started, *during, ended]
    longest = max(later - earlier for earlier, later in itertools.pairwise(edges))
    print(
        f"upgrade of {total:,} events took {ended - started:.1f} s; "
        f"{len(during):,} appends landed during it; longest pause between appends "
        f"{longest:.2f} s; errors seen by the writers: {len(result['errors'])}"
    )


if __name__ == "__main__":
    main()
