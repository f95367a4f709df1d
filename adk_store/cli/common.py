"""What every ``adk-store`` command shares: options, consoles, confirmation and error handling."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.text import Text
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DBAPIError
from typer import _click as click
from typer.core import TyperGroup
from typer.exceptions import TyperException

from adk_store.cli.output import one_line
from adk_store.dialects.sqlite import missing_sqlite_file
from adk_store.engine import URL_ENV, create_engine, describe_error, redact, resolve_url
from adk_store.errors import (
    AdkStoreError,
    SchemaNotReadyError,
    StoreConfigurationError,
    StoreConnectionError,
)
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
ReplicaUrlOption = Annotated[
    list[str] | None,
    typer.Option(
        "--replica-url",
        metavar="URL",
        help="A read replica of --url to read from instead (repeat for several).",
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


YesOption = Annotated[
    bool,
    typer.Option(
        "--yes",
        "-y",
        help="Go ahead without asking. Without a terminal to ask in (cron, CI, a pipe), "
        "the command refuses to delete data unless given --yes.",
    ),
]
DebugOption = Annotated[
    bool,
    typer.Option(
        "--debug", help="On an unexpected error, show its full traceback instead of one line."
    ),
]

T = TypeVar("T")
_ARGUMENTS = "adk_store.arguments"


def fail(message: str, *, code: int = 1) -> NoReturn:
    """End the command with ``message`` as its one error line on stderr.

    Printed as plain text, never markup: messages carry URLs, file paths and
    driver text, whose ``[...]`` (a pip extra, a bracketed directory) a
    console would take for a style and drop.
    """
    errors.print(Text.assemble(("error:", "red"), " ", one_line(message)))
    raise typer.Exit(code)


def confirm_loss(loss: str, *, yes: bool) -> None:
    """Go on only if the person running the command agreed to lose what ``loss`` says.

    In a terminal the command asks, after saying what will go. Anywhere else
    (cron, CI, a pipe) nobody can answer, so it refuses unless ``--yes`` was
    given: a script never deletes data because an option was left out.
    """
    if yes:
        return
    if not sys.stdin.isatty():
        fail(
            f"{loss} Nothing was changed: there is no terminal to confirm in; "
            "add --yes to go ahead."
        )
    errors.print(Text(loss))
    if not typer.confirm("Go ahead?", default=False, err=True):
        fail("Cancelled; nothing was changed.")


def require_database(url: str | URL | None) -> None:
    """Refuse a SQLite file that does not exist, before anything opens it.

    Opening one creates it, empty (and adk-store its directory), so a
    mistyped path would leave files behind and be reported as a database
    without tables. Only what creates tables may create the file: ``db
    upgrade``, ``--migrate`` and a service with ``auto_migrate``.
    """
    resolved = resolve_url(url)
    path = missing_sqlite_file(resolved)
    if path is not None:
        raise StoreConfigurationError(
            f"no such file: {path}. Nothing was created: check the path, or create the "
            f"database with 'adk-store db upgrade --url {redact(resolved)}'."
        )


def run_reporting_errors(
    action: Callable[[], Coroutine[Any, Any, T]],
    *urls: str | URL | None,
    expected: tuple[type[Exception], ...] = (),
) -> T:
    """Run a coroutine, turning expected failures into one clear line.

    A driver's message is shown with the password of each URL masked: the
    ``urls`` given, ``ADK_STORE_URL``, and the URL of every engine that
    connected during the run, whichever module opened it (see
    `adk_store.engine.describe_error`). ``expected`` are further errors
    whose message is shown as it is. Any other error is left to
    `ReportingGroup`, which reports it in one line too.
    """
    in_use: set[str | URL] = {url for url in (*urls, os.environ.get(URL_ENV)) if url}
    known: tuple[type[Exception], ...] = (
        StoreConfigurationError,
        SchemaNotReadyError,
        StoreConnectionError,
        *expected,
    )

    def note(connection: Connection) -> None:
        in_use.add(connection.engine.url)

    event.listen(Engine, "engine_connect", note)
    try:
        return asyncio.run(action())
    except known as exc:
        fail(str(exc))
    except (DBAPIError, OSError) as exc:
        fail(f"database operation failed: {describe_error(exc, *in_use)}")
    finally:
        event.remove(Engine, "engine_connect", note)


def on_engine(
    url: str | None, action: Callable[[Any], Coroutine[Any, Any, T]], *, creates: bool = False
) -> T:
    """Run ``action`` on an engine for ``url``, which must exist unless ``action`` creates it."""

    async def run() -> T:
        if not creates:
            require_database(url)
        engine = create_engine(url)
        try:
            return await action(engine)
        finally:
            await engine.dispose()

    return run_reporting_errors(run, url)


class ReportingGroup(TyperGroup):
    """The ``adk-store`` command group: every unexpected failure is one line on stderr.

    Errors the commands expect are reported where they happen, with the fix;
    anything else (a bug, a library's own error) still names its type and
    message, password masked, in one line, with exit code 1. ``--debug``
    shows the traceback instead.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # Kept for masking: the URLs given on the command line may hold passwords.
        ctx.meta[_ARGUMENTS] = list(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (TyperException, typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            if ctx.params.get("debug"):
                raise
            if isinstance(exc, AdkStoreError):
                fail(str(exc))
            urls = _urls_in(ctx.meta.get(_ARGUMENTS, ()))
            described = (
                describe_error(exc, *urls, os.environ.get(URL_ENV))
                if str(exc)
                else f"{type(exc).__name__}, without a message."
            )
            fail(f"{described} Run 'adk-store --debug ...' for the traceback.")


def _urls_in(arguments: Sequence[str]) -> list[str]:
    """The command-line arguments that are URLs, including ``--url=...`` forms."""
    found = []
    for argument in arguments:
        value = argument.partition("=")[2] if argument.startswith("--") else argument
        if "://" in value:
            found.append(value)
    return found


@dataclass(frozen=True)
class StoreTarget:
    """Which store a command works on: the database, its table layout and the owner served."""

    url: str | URL | None
    layout: TableLayout
    owner: str | None
    # Read replicas of ``url`` that a read-only command reads from.
    replica_urls: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        url: str | None,
        table_prefix: str,
        schema: str | None,
        owner_column: str | None,
        owner: str | None,
        replica_urls: Sequence[str] | None = None,
    ) -> StoreTarget:
        """The target the options name, or a usage error saying what is wrong with them."""
        layout = layout_of(table_prefix, schema, owner_column)
        return cls(url, layout, owner, tuple(replica_urls or ()))

    def open(self, *, auto_migrate: bool = False, missing_ok: bool = False) -> SessionStore:
        """The store, which never migrates unless asked to.

        A SQLite file that does not exist is refused unless ``auto_migrate``
        will create it, or ``missing_ok`` says the caller deals with it before
        connecting (a transfer's dry run counts a new destination as empty).
        """
        if not (auto_migrate or missing_ok):
            require_database(self.url)
        return SessionStore.from_url(
            self.url,
            layout=self.layout,
            owner=self._owner_value(),
            auto_migrate=auto_migrate,
            replica_urls=self.replica_urls,
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
