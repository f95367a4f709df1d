"""``adk-store demo`` and ``adk-store bench``: see the store work, and measure it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from adk_store.cli.common import (
    UrlOption,
    console,
    fail,
    require_database,
    run_reporting_errors,
)
from adk_store.engine import migrates_by_default, redact, resolve_url
from adk_store.errors import SchemaNotReadyError


def demo(
    url: UrlOption = None,
    turns: Annotated[int, typer.Option(min=1, max=10, help="New turns to run.")] = 2,
    migrate: Annotated[
        bool,
        typer.Option(
            "--migrate", help="Create or upgrade the tables at --url first (as db upgrade does)."
        ),
    ] = False,
) -> None:
    """Run a scripted agent through ADK's Runner on the store, a few turns at a time.

    Without --url it uses the embedded SQLite file and creates its tables.
    A database named by --url (or ADK_STORE_URL) is never changed behind
    your back: create its tables first with 'adk-store db upgrade', or add
    --migrate.
    """
    from adk_store.demo import run_demo
    from adk_store.service import SqlSessionService

    async def run() -> None:
        creates = migrate or migrates_by_default(url, resolve_url(url))
        if not creates:
            require_database(url)
        async with SqlSessionService(url, auto_migrate=creates) as service:
            try:
                await service.store.ensure_ready()
            except SchemaNotReadyError as exc:
                raise SchemaNotReadyError(f"{exc} Or add --migrate to this command.") from None
            tables = " (its tables created or upgraded if needed)" if creates else ""
            console.print(Text(f"Store: {redact(resolve_url(url))}{tables}"), soft_wrap=True)
            await run_demo(service, console, turns)

    run_reporting_errors(run)


def bench(
    url: UrlOption = None,
    adk: Annotated[
        bool,
        typer.Option(
            "--adk/--no-adk",
            help="Also measure ADK's DatabaseSessionService there (it creates its own tables).",
        ),
    ] = True,
    quick: Annotated[
        bool, typer.Option(help="Short windows: checks the database works, not its speed.")
    ] = False,
    out: Annotated[
        Path, typer.Option(help="Directory for bench.json, bench.md and bench.png.")
    ] = Path("bench-results"),
) -> None:
    """Measure adk-store, ADK's DatabaseSessionService and a raw insert on your database.

    Appends by 50 callers (each contender at the pool size measured fastest),
    by one caller, and by 50 and 200 callers with default pools; reads of the
    newest 20 of 1,000 events. Timed windows of 5 s in interleaved rounds;
    rates with their spread, CPU per operation, p50/p99/max latency, and the
    performance targets met or missed. Then every acknowledged write is read
    back. Writes under a new app name (bench-...) and a table of its own
    (adk_store_bench_raw) in the database given: use a scratch one. It starts
    no server. Takes about 6 minutes; exits with 1 when a write was lost.
    """
    if url is None:
        fail(
            "give --url (or ADK_STORE_URL): a running scratch database the run may write to; "
            "it creates adk-store's tables there if missing.",
            code=2,
        )

    async def measure() -> bool:
        from adk_store.bench import report, runner

        wide = Console(width=max(console.width, 200))
        result = await runner.run(resolve_url(url), adk=adk, quick=quick, out=out, console=wide)
        return report.lost_writes(result)

    if run_reporting_errors(measure):
        raise typer.Exit(1)
