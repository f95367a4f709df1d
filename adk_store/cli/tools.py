"""``adk-store demo`` and ``adk-store bench``: see the store work, and measure it."""

from __future__ import annotations

import asyncio
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
    backend: Annotated[
        list[str] | None,
        typer.Option("--backend", help="postgresql and/or sqlite (default: both)."),
    ] = None,
    quick: Annotated[
        bool, typer.Option(help="Small sizes: checks the harness, not speed.")
    ] = False,
    out: Annotated[Path, typer.Option(help="Directory for bench.json and bench.png.")] = Path(
        "bench-results"
    ),
) -> None:
    """Compare adk-store with ADK's session services on the same databases."""
    from adk_store.bench.runner import run

    chosen = backend or ["postgresql", "sqlite"]
    unknown = set(chosen) - {"postgresql", "sqlite"}
    if unknown:
        errors.print(f"[red]error:[/] unknown backend {sorted(unknown)}; use postgresql or sqlite.")
        raise typer.Exit(2)
    wide = Console(width=max(console.width, 150))
    report = asyncio.run(run(backends=chosen, quick=quick, out=out, console=wide))
    if any(result["verified"] is False for result in report["results"]):
        raise typer.Exit(1)
