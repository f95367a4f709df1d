"""What every ``adk-store`` command shares: options, consoles and error handling."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from sqlalchemy.exc import DBAPIError

from adk_store.engine import create_engine, describe_error
from adk_store.errors import SchemaNotReadyError, StoreConfigurationError, StoreConnectionError

console = Console()
errors = Console(stderr=True, soft_wrap=True)

UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        envvar="ADK_STORE_URL",
        help="Database URL, e.g. postgresql+asyncpg://user@host/db. "
        "Default: the embedded SQLite file.",
        show_default=False,
    ),
]
PrefixOption = Annotated[
    str,
    typer.Option("--table-prefix", envvar="ADK_STORE_TABLE_PREFIX", help="Table name prefix."),
]

T = TypeVar("T")


def run_reporting_errors(action: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine, turning expected failures into one clear line."""
    try:
        return asyncio.run(action())
    except (StoreConfigurationError, SchemaNotReadyError, StoreConnectionError) as exc:
        errors.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    except (DBAPIError, OSError) as exc:
        errors.print(f"[red]error:[/] database operation failed: {describe_error(exc)}")
        raise typer.Exit(1) from None


def on_engine(url: str | None, action: Callable[[Any], Coroutine[Any, Any, T]]) -> T:
    async def run() -> T:
        engine = create_engine(url)
        try:
            return await action(engine)
        finally:
            await engine.dispose()

    return run_reporting_errors(run)
