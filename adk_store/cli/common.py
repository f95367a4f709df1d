"""What every ``adk-store`` command shares: options, consoles and error handling."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DBAPIError

from adk_store.engine import URL_ENV, create_engine, describe_error
from adk_store.errors import SchemaNotReadyError, StoreConfigurationError, StoreConnectionError
from adk_store.layout import OwnerColumn, TableLayout
from adk_store.store import SessionStore

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
SchemaOption = Annotated[
    str | None,
    typer.Option(
        "--schema",
        envvar="ADK_STORE_SCHEMA",
        help="PostgreSQL schema holding the tables (default: the search path's first).",
        show_default=False,
    ),
]
OwnerColumnOption = Annotated[
    str | None,
    typer.Option(
        "--owner-column",
        envvar="ADK_STORE_OWNER_COLUMN",
        help="Owner (tenant) column of the tables: name[:type[:table.column[:on_delete]]], "
        "e.g. tenant_id:integer:tenants.id.",
        show_default=False,
    ),
]

OwnerOption = Annotated[
    str | None,
    typer.Option(
        "--owner",
        envvar="ADK_STORE_OWNER",
        help="The owner (tenant) whose rows to work on, with --owner-column.",
        show_default=False,
    ),
]


def layout_of(table_prefix: str, schema: str | None, owner_column: str | None) -> TableLayout:
    """The layout named by the command-line options, or a usage error saying what is wrong."""
    try:
        return TableLayout(
            prefix=table_prefix,
            schema=schema,
            owner_column=None if owner_column is None else OwnerColumn.parse(owner_column),
        )
    except StoreConfigurationError as exc:
        raise typer.BadParameter(str(exc)) from None


T = TypeVar("T")


def run_reporting_errors(
    action: Callable[[], Coroutine[Any, Any, T]], *urls: str | URL | None
) -> T:
    """Run a coroutine, turning expected failures into one clear line.

    A driver's message is shown with the password of each URL masked: the
    ``urls`` given, ``ADK_STORE_URL``, and the URL of every engine that
    connected during the run, whichever module opened it (see
    `adk_store.engine.describe_error`). It is printed as plain text: driver
    messages hold brackets that are not markup.
    """
    in_use: set[str | URL] = {url for url in (*urls, os.environ.get(URL_ENV)) if url}

    def note(connection: Connection) -> None:
        in_use.add(connection.engine.url)

    event.listen(Engine, "engine_connect", note)
    try:
        return asyncio.run(action())
    except (StoreConfigurationError, SchemaNotReadyError, StoreConnectionError) as exc:
        errors.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(1) from None
    except (DBAPIError, OSError) as exc:
        described = describe_error(exc, *in_use)
        errors.print(f"[red]error:[/] database operation failed: {escape(described)}")
        raise typer.Exit(1) from None
    finally:
        event.remove(Engine, "engine_connect", note)


def on_engine(url: str | None, action: Callable[[Any], Coroutine[Any, Any, T]]) -> T:
    async def run() -> T:
        engine = create_engine(url)
        try:
            return await action(engine)
        finally:
            await engine.dispose()

    return run_reporting_errors(run, url)


@dataclass(frozen=True)
class StoreTarget:
    """Which store a command works on: the database, its table layout and the owner served."""

    url: str | URL | None
    layout: TableLayout
    owner: str | None

    @classmethod
    def of(
        cls,
        url: str | None,
        table_prefix: str,
        schema: str | None,
        owner_column: str | None,
        owner: str | None,
    ) -> StoreTarget:
        """The target the options name, or a usage error saying what is wrong with them."""
        return cls(url, layout_of(table_prefix, schema, owner_column), owner)

    def open(self, *, auto_migrate: bool = False) -> SessionStore:
        return SessionStore.from_url(
            self.url,
            layout=self.layout,
            owner=self._owner_value(),
            auto_migrate=auto_migrate,
        )

    def _owner_value(self) -> object:
        """--owner as the owner column stores it: a number for integer columns."""
        column = self.layout.owner_column
        if self.owner is None or column is None or column.type not in ("integer", "bigint"):
            return self.owner
        try:
            return int(self.owner)
        except ValueError:
            raise StoreConfigurationError(
                f"--owner {self.owner!r}: the owner column {column.name} is {column.type}; "
                "give a whole number."
            ) from None
