"""``adk-store demo`` and ``adk-store bench``: see the store work, and measure it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from adk_store.cli.common import UrlOption, console, errors, run_reporting_errors
from adk_store.engine import redact, resolve_url


def demo(
    url: UrlOption = None,
    turns: Annotated[int, typer.Option(min=1, max=10, help="New turns to run.")] = 2,
) -> None:
    """Run a scripted agent through ADK's Runner on the store, a few turns at a time."""
    from adk_store.demo import run_demo
    from adk_store.service import SqlSessionService

    async def run() -> None:
        # The demo owns its database: creating the tables on first use is expected.
        async with SqlSessionService(url, auto_migrate=True) as service:
            console.print(f"Store: {redact(resolve_url(url))}")
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
        bool, typer.Option(help="Small sizes: checks the database works, not its speed.")
    ] = False,
    out: Annotated[
        Path, typer.Option(help="Directory for bench.json, bench.md and bench.png.")
    ] = Path("bench-results"),
) -> None:
    """Measure adk-store, and ADK's DatabaseSessionService, on your database.

    Appends (one session, and 50 at once), get_session on histories up to
    10,000 events, listing one user's sessions among many, and concurrent
    create_session; then every acknowledged write is read back. Writes under
    a new app name (bench-...) in the database given: use a scratch one. It
    starts no server. Exits with 1 when a write was lost.
    """
    if url is None:
        errors.print(
            "[red]error:[/] give --url (or ADK_STORE_URL): a running scratch database the run "
            "may write to; it creates adk-store's tables there if missing."
        )
        raise typer.Exit(2)

    async def measure() -> bool:
        from adk_store.bench import report, runner

        wide = Console(width=max(console.width, 150))
        result = await runner.run(resolve_url(url), adk=adk, quick=quick, out=out, console=wide)
        return report.lost_writes(result)

    if run_reporting_errors(measure):
        raise typer.Exit(1)
