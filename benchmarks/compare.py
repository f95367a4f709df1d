"""Every contender on the same throwaway databases: the run behind docs/benchmarks.md.

PostgreSQL runs in a throwaway cluster started for the run with the server's
default durability (fsync and synchronous commit on), each contender in its
own database of that cluster; SQLite contenders get their own files. Needs a
checkout (it starts the server with ``tests/servers.py``) and PostgreSQL's
server binaries (``.ci/install-servers`` installs them).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console
from servers import PostgresServer

from adk_store.bench import contenders, report
from adk_store.bench.runner import Bench
from adk_store.bench.workloads import Scale
from benchmarks import references

BACKENDS = ("postgresql", "sqlite")


async def run(*, backends: list[str], quick: bool, out: Path, console: Console) -> dict[str, Any]:
    scale = Scale.quick() if quick else Scale.full()
    bench = Bench(scale, console)
    with bench.progress, tempfile.TemporaryDirectory(prefix="adk-store-bench-") as scratch:
        if "postgresql" in backends:
            await _postgresql(bench)
        if "sqlite" in backends:
            services = [
                await contenders.adk_store(f"sqlite+aiosqlite:///{scratch}/ours.db"),
                await contenders.adk_database(f"sqlite+aiosqlite:///{scratch}/adk.db"),
                await references.adk_sqlite(f"{scratch}/adk_sqlite.db"),
            ]
            try:
                await bench.run_backend("sqlite", services)
            finally:
                for contender in services:
                    await contender.close()
    flags = "".join(f" --backend {name}" for name in backends) + (" --quick" if quick else "")
    result = report.build(f"python -m benchmarks{flags}", scale, bench.started, bench.results)
    report.publish(result, out, console)
    return result


async def _postgresql(bench: Bench) -> None:
    server = PostgresServer.start(durable=True)
    try:
        urls = {name: server.url(server.create_database(name)) for name in ("ours", "adk", "raw")}
        services = [
            await contenders.adk_store(urls["ours"]),
            await contenders.adk_database(urls["adk"]),
            await references.in_memory(),
        ]
        raw = references.RawAsyncpg(urls["raw"])
        try:
            await bench.run_backend("postgresql", services)
            await references.run_raw(bench, "postgresql", raw)
        finally:
            await raw.close()
            for contender in services:
                await contender.close()
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Compare adk-store with ADK's session services on throwaway databases.",
    )
    parser.add_argument(
        "--backend",
        action="append",
        choices=BACKENDS,
        help="postgresql and/or sqlite (default: both); repeat for both.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="Small sizes: checks the harness, not speed."
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("bench-results"),
        help="Directory for bench.json, bench.md and bench.png (default: bench-results).",
    )
    options = parser.parse_args(argv)
    wide = Console(width=max(Console().width, 150))
    result = asyncio.run(
        run(
            backends=options.backend or list(BACKENDS),
            quick=options.quick,
            out=options.out,
            console=wide,
        )
    )
    if report.lost_writes(result):
        sys.exit(1)
