"""Every contender on the same throwaway databases: the run behind docs/benchmarks.md.

PostgreSQL and MariaDB run as throwaway servers started for the run with
durable settings (PostgreSQL's defaults: fsync and synchronous commit on;
MariaDB with ``innodb_flush_log_at_trx_commit=1``), each contender in its own
database of that server, and their CPU is read from ``/proc``; SQLite
contenders get their own files. Needs a checkout (servers start through
``tests/servers.py``) and the servers' binaries (``.ci/install-servers``).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from servers import MariaDBServer, PostgresServer

from adk_store.bench import contenders, raw, report
from adk_store.bench.contenders import Entrant
from adk_store.bench.runner import Bench
from adk_store.bench.timing import ServerCpu
from adk_store.bench.workloads import Scale
from benchmarks import references

BACKENDS = ("postgresql", "mariadb", "sqlite")
POOLS: tuple[int | None, ...] = (None, 10, 20, 50)
DOCS = Path(__file__).resolve().parents[1] / "docs"
START, END = "<!-- bench-results:start -->", "<!-- bench-results:end -->"
MEASURED = "measured: the server's process tree on this machine"


def _services(ours: str, adk: str, raw_url: str) -> list[Entrant]:
    entrants = [
        Entrant(contenders.ADK_STORE, lambda p: contenders.adk_store(ours, p), POOLS),
        Entrant(contenders.ADK_DATABASE, lambda p: contenders.adk_database(adk, p), POOLS),
    ]
    baseline = raw.entrant(raw_url)
    assert baseline is not None
    return [*entrants, baseline]


@contextmanager
def _postgresql() -> Iterator[tuple[list[Entrant], ServerCpu]]:
    server = PostgresServer.start(durable=True)
    try:
        urls = [server.url(server.create_database(name)) for name in ("ours", "adk", "raw")]
        yield _services(*urls), ServerCpu(server.pid)
    finally:
        server.stop()


@contextmanager
def _mariadb() -> Iterator[tuple[list[Entrant], ServerCpu]]:
    server = MariaDBServer.start(durable=True)
    try:
        ours, adk, raw_db = (server.create_database(name) for name in ("ours", "adk", "raw"))
        # ADK's service needs the mysql dialect name: under "mariadb" it skips its
        # MySQL variants and fails appends. adk-store treats both names alike.
        yield (
            _services(server.url(ours, dialect="mariadb"), server.url(adk), server.url(raw_db)),
            ServerCpu(server.pid),
        )
    finally:
        server.stop()


def _sqlite(scratch: str) -> list[Entrant]:
    return [
        Entrant(
            contenders.ADK_STORE,
            lambda p: contenders.adk_store(f"sqlite+aiosqlite:///{scratch}/ours.db", p),
        ),
        Entrant(
            contenders.ADK_DATABASE,
            lambda p: contenders.adk_database(f"sqlite+aiosqlite:///{scratch}/adk.db", p),
        ),
        references.adk_sqlite(f"{scratch}/adk_sqlite.db"),
        *filter(None, [raw.entrant(f"sqlite+aiosqlite:///{scratch}/raw.db")]),
    ]


async def run(*, backends: list[str], quick: bool, out: Path, console: Console) -> dict[str, Any]:
    scale = Scale.quick() if quick else Scale.full()
    bench = Bench(scale, console)
    crowds = (scale.sessions, scale.crowd)
    with bench.progress:
        for name, start in (("postgresql", _postgresql), ("mariadb", _mariadb)):
            if name in backends:
                with start() as (entrants, cpu):
                    await bench.run_backend(
                        name, entrants, server=cpu, server_note=MEASURED, crowds=crowds
                    )
        if "sqlite" in backends:
            with tempfile.TemporaryDirectory(prefix="adk-store-bench-") as scratch:
                # The services have no pool on SQLite: 50 callers is the main workload.
                await bench.run_backend(
                    "sqlite",
                    _sqlite(scratch),
                    server=None,
                    server_note="in-process: SQLite runs inside the client",
                    crowds=(scale.crowd,),
                )
    flags = "".join(f" --backend {name}" for name in backends) + (" --quick" if quick else "")
    result = report.build(f"python -m benchmarks{flags}", bench)
    report.publish(result, out, console)
    return result


def update_docs(out: Path, docs: Path = DOCS) -> None:
    """Copy the run's report and chart into docs/ and its tables into docs/benchmarks.md."""
    shutil.copyfile(out / "bench.json", docs / "bench.json")
    parts = [START, "Raw JSON: [`bench.json`](bench.json)."]
    if (out / "bench.png").exists():
        (docs / "img").mkdir(exist_ok=True)
        shutil.copyfile(out / "bench.png", docs / "img" / "bench.png")
        parts.append("![python -m benchmarks](img/bench.png)")
    page = docs / "benchmarks.md"
    section = "\n\n".join([*parts, (out / "bench.md").read_text(), END])
    text, found = re.subn(
        re.escape(START) + ".*?" + re.escape(END), lambda _: section, page.read_text(), flags=re.S
    )
    if found != 1:
        raise SystemExit(f"{page} has no section between {START} and {END} to replace.")
    page.write_text(text)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Compare adk-store with ADK's session services and a raw insert loop "
        "on throwaway PostgreSQL and MariaDB servers and SQLite files.",
    )
    parser.add_argument(
        "--backend",
        action="append",
        choices=BACKENDS,
        help="postgresql, mariadb and/or sqlite (default: all three); repeat for several.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="Short windows: checks the harness, not speed."
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("bench-results"),
        help="Directory for bench.json, bench.md and bench.png (default: bench-results).",
    )
    parser.add_argument(
        "--docs",
        action="store_true",
        help="Also copy the results into docs/ (bench.json, img/bench.png, benchmarks.md).",
    )
    options = parser.parse_args(argv)
    wide = Console(width=max(Console().width, 200))
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
    if options.docs:
        update_docs(options.out)
