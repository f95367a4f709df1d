"""The ``import`` and ``copy`` commands: bring sessions in, move a store between databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from adk_store import migrations
from adk_store.cli.common import (
    OwnerColumnOption,
    OwnerOption,
    PrefixOption,
    SchemaOption,
    StoreTarget,
    console,
    errors,
    layout_of,
    run_reporting_errors,
)
from adk_store.dialects.sqlite import is_sqlite_memory, missing_sqlite_file, sqlite_file
from adk_store.engine import create_engine, redact, resolve_url
from adk_store.errors import SchemaNotReadyError, StoreConfigurationError
from adk_store.identifiers import DEFAULT_TABLE_PREFIX
from adk_store.layout import TableLayout
from adk_store.store import SessionStore
from adk_store.transfer import (
    SqlspecTableNames,
    StoreSource,
    TransferReport,
    Verification,
    open_source,
    transfer,
    verify,
)
from adk_store.transfer.pipeline import DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE
from adk_store.transfer.progress import RichProgress
from adk_store.transfer.sources import Source


class SourceKind(StrEnum):
    adk = "adk"
    adk_v0 = "adk-v0"
    adk_sqlite = "adk-sqlite"
    sqlspec = "sqlspec"


ToOption = Annotated[
    str | None,
    typer.Option(
        "--to",
        help="Destination database URL. Default: the source database (our tables beside theirs).",
        show_default=False,
    ),
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Read and convert everything, write nothing.")
]
BatchSizeOption = Annotated[
    int,
    typer.Option(min=1, max=MAX_BATCH_SIZE, help="Rows per page read and (about) per transaction."),
]
LimitOption = Annotated[
    int | None,
    typer.Option(
        min=1, help="Stop after writing this many sessions; a rerun continues.", show_default=False
    ),
]
ReplaceChangedOption = Annotated[
    bool,
    typer.Option(
        "--replace-changed",
        help="Overwrite sessions and state rows the destination holds differently (a final "
        "run at cut-over, before the application writes to the destination).",
    ),
]
MigrateOption = Annotated[
    bool, typer.Option("--migrate", help="Create or upgrade the destination's tables first.")
]


def import_command(
    from_url: Annotated[
        str,
        typer.Option(
            "--from",
            help="Source database URL, or the path of an ADK SqliteSessionService file.",
            show_default=False,
        ),
    ],
    to_url: ToOption = None,
    source: Annotated[
        SourceKind | None,
        typer.Option(
            help="The source's kind. Default: detected from its tables.", show_default=False
        ),
    ] = None,
    sqlspec_tables: Annotated[
        str | None,
        typer.Option(
            help="sqlspec's table names if not the defaults: "
            "sessions,events,app_states,user_states.",
            show_default=False,
        ),
    ] = None,
    table_prefix: PrefixOption = DEFAULT_TABLE_PREFIX,
    schema: SchemaOption = None,
    owner_column: OwnerColumnOption = None,
    owner: OwnerOption = None,
    dry_run: DryRunOption = False,
    batch_size: BatchSizeOption = DEFAULT_BATCH_SIZE,
    limit: LimitOption = None,
    replace_changed: ReplaceChangedOption = False,
    migrate: MigrateOption = False,
) -> None:
    """Import sessions from ADK's DatabaseSessionService (v1 or v0), SqliteSessionService or sqlspec.

    Safe to run again: sessions already imported are skipped, so a run that
    stopped continues. Ends with a comparison of source and destination.
    """  # noqa: E501 - the first line is the command's one-line help
    request = _ImportRequest(
        from_url,
        to_url,
        None if source is None else source.value,
        _sqlspec_names(sqlspec_tables),
        layout_of(table_prefix, schema, owner_column),
        owner,
        migrate=migrate and not dry_run,
    )
    options = _Options(dry_run, batch_size, limit, replace_changed)

    async def run() -> bool:
        async with _open_import(request) as route:
            _print_import_heading(route, console)
            return await _transfer_and_verify(route, options)

    if not run_reporting_errors(run):
        raise typer.Exit(1)


def copy_command(
    from_url: Annotated[
        str,
        typer.Option(
            "--from",
            help="The adk-store database to copy (URL or SQLite file path).",
            show_default=False,
        ),
    ],
    to_url: Annotated[
        str, typer.Option("--to", help="The database to copy it into.", show_default=False)
    ],
    table_prefix: PrefixOption = DEFAULT_TABLE_PREFIX,
    from_schema: Annotated[
        str | None,
        typer.Option(help="PostgreSQL schema of the source tables.", show_default=False),
    ] = None,
    to_schema: Annotated[
        str | None,
        typer.Option(help="PostgreSQL schema of the destination tables.", show_default=False),
    ] = None,
    owner_column: OwnerColumnOption = None,
    owner: OwnerOption = None,
    dry_run: DryRunOption = False,
    batch_size: BatchSizeOption = DEFAULT_BATCH_SIZE,
    limit: LimitOption = None,
    replace_changed: ReplaceChangedOption = False,
    migrate: MigrateOption = False,
) -> None:
    """Copy a whole adk-store store to another database (SQLite to PostgreSQL, say).

    Rows are copied as stored (revisions, times, whole event documents). Safe
    to run again: sessions already copied are skipped. Ends with a comparison.
    """
    request = _CopyRequest(
        from_url,
        to_url,
        layout_of(table_prefix, from_schema, owner_column),
        layout_of(table_prefix, to_schema, owner_column),
        owner,
        migrate=migrate and not dry_run,
    )
    options = _Options(dry_run, batch_size, limit, replace_changed)

    async def run() -> bool:
        async with _open_copy(request) as route:
            _print_copy_heading(route, console)
            return await _transfer_and_verify(route, options)

    if not run_reporting_errors(run):
        raise typer.Exit(1)


# -- opening both ends --------------------------------------------------------


@dataclass(frozen=True)
class _ImportRequest:
    """What the import options name, before any URL is resolved or database opened."""

    from_url: str
    to_url: str | None
    kind: str | None
    sqlspec_tables: SqlspecTableNames | None
    layout: TableLayout
    owner: str | None
    migrate: bool


@dataclass(frozen=True)
class _CopyRequest:
    """What the copy options name, before any URL is resolved or database opened."""

    from_url: str
    to_url: str
    from_layout: TableLayout
    to_layout: TableLayout
    owner: str | None
    migrate: bool


@dataclass(frozen=True)
class TransferRoute:
    """Both ends of a transfer, open, and the URLs that name them to the person running it."""

    source: Source
    store: SessionStore
    source_url: URL
    destination_url: URL


@asynccontextmanager
async def _open_import(request: _ImportRequest) -> AsyncIterator[TransferRoute]:
    """The import's source and destination, closed again on the way out.

    Without --to the destination is the source database itself: one engine
    then serves both, and our tables must not take the source's names.
    """
    source_url = _source_url(request.from_url)
    destination_url = source_url if request.to_url is None else _destination_url(request.to_url)
    in_place = _same_database(source_url, destination_url)
    layout = request.layout
    store = StoreTarget(destination_url, layout, request.owner).open(
        auto_migrate=request.migrate, missing_ok=True
    )
    source_engine = store.engine
    try:
        if not in_place:
            source_engine = _source_engine(source_url)
        reader = await open_source(source_engine, request.kind, request.sqlspec_tables)
        if in_place and layout.schema is None and reader.tables.names & store.schema.table_names:
            raise StoreConfigurationError(
                f"The source tables {sorted(reader.tables.names)} are adk-store's own "
                f"table names for prefix {layout.prefix!r}; choose another --table-prefix."
            )
        yield TransferRoute(reader, store, source_url, destination_url)
    finally:
        await store.close()
        if source_engine is not store.engine:
            await source_engine.dispose()


@asynccontextmanager
async def _open_copy(request: _CopyRequest) -> AsyncIterator[TransferRoute]:
    """The copy's two stores, the source checked to be ready, closed again on the way out."""
    source_url, destination_url = _source_url(request.from_url), _destination_url(request.to_url)
    if _same_database(source_url, destination_url) and request.from_layout == request.to_layout:
        raise StoreConfigurationError(
            f"--from and --to name the same tables ({redact(source_url)}, "
            f"{request.from_layout.describe()}); copy to another database or schema."
        )
    origin = StoreTarget(source_url, request.from_layout, request.owner).open()
    store = StoreTarget(destination_url, request.to_layout, request.owner).open(
        auto_migrate=request.migrate, missing_ok=True
    )
    try:
        await _ready(origin, "--from")
        yield TransferRoute(StoreSource(origin), store, source_url, destination_url)
    finally:
        await origin.close()
        await store.close()


def _print_import_heading(route: TransferRoute, out: Console) -> None:
    out.print(
        Text(
            f"Importing {route.source.title} from {redact(route.source_url)} into "
            f"{redact(route.destination_url)} (prefix {route.store.layout.prefix!r})."
        )
    )


def _print_copy_heading(route: TransferRoute, out: Console) -> None:
    out.print(Text(f"Copying {redact(route.source_url)} into {redact(route.destination_url)}."))


# -- the shared run -----------------------------------------------------------

_MEMORY_MESSAGE = (
    "An in-memory SQLite database lives inside one process, so another process cannot read "
    "or fill it; give a file path or a server URL."
)
_NOT_AT_HEAD_MESSAGE = (
    "The destination's tables are not at the current revision: a real run needs "
    "--migrate. Counted as if they were empty."
)
_NO_FILE_MESSAGE = (
    "The destination file {path} does not exist (and this dry run does not create it): "
    "a real run needs --migrate. Counted as if it were empty."
)


@dataclass(frozen=True)
class _Options:
    dry_run: bool
    batch_size: int
    limit: int | None
    replace_changed: bool


async def _transfer_and_verify(route: TransferRoute, options: _Options) -> bool:
    """Run the transfer, then compare both ends; True if all is well.

    Each result is printed as soon as it is known: the comparison reads
    both databases again and can take as long as the transfer.
    """
    source, store = route.source, route.store
    missing = await _destination_missing(store, dry_run=options.dry_run)
    if missing is not None:
        console.print(Text(missing))
    with RichProgress(console) as progress:
        report = await transfer(
            source,
            store,
            batch_size=options.batch_size,
            dry_run=options.dry_run,
            limit=options.limit,
            replace_changed=options.replace_changed,
            progress=progress,
            destination_exists=missing is None,
        )
    _print_report(report, console, errors)
    if options.dry_run or report.stopped_at_limit:
        return report.refused.count == 0
    verification = await verify(source, store, batch_size=options.batch_size)
    _print_verification(verification, console, errors)
    return report.refused.count == 0 and verification.ok


async def _destination_missing(store: SessionStore, *, dry_run: bool) -> str | None:
    """What a dry run's destination lacks, in words; None when its tables are current.

    A real run refuses tables that are not current (unless it migrates), and
    a SQLite file that does not exist, which only --migrate may create. A
    dry run counts as if they were empty, so it can preview a migration that
    has not happened yet; it never opens a missing file, which would create it.
    """
    path = missing_sqlite_file(store.engine.url)
    if path is not None and not store.auto_migrate:
        if dry_run:
            return _NO_FILE_MESSAGE.format(path=path)
        raise SchemaNotReadyError(
            f"--to: no such file: {path}. Nothing was created: check the path, or add "
            "--migrate to this command to create it."
        )
    if dry_run:
        current = await migrations.current(store.engine, store.layout)
        return None if current == migrations.head_revision() else _NOT_AT_HEAD_MESSAGE
    await _ready(store, "--to")
    return None


async def _ready(store: SessionStore, option: str) -> None:
    try:
        await store.ensure_ready()
    except SchemaNotReadyError as exc:
        hint = " Or add --migrate to this command." if option == "--to" else ""
        raise SchemaNotReadyError(f"{option}: {exc}{hint}") from None


def _print_report(report: TransferReport, out: Console, err: Console) -> None:
    written = report.sessions_written + report.app_states_written + report.user_states_written
    present = report.sessions_present + report.states_present
    if not written and present:
        # A rerun: what matters is that everything is there already.
        verb = "Nothing to write" if report.dry_run else "Nothing written"
        out.print(
            f"{verb}: {report.sessions_present} sessions and {report.states_present} state rows "
            "are already present in the destination."
        )
    else:
        verb = "Would write" if report.dry_run else "Wrote"
        out.print(
            f"{verb} {report.sessions_written} sessions ({report.events_written} events), "
            f"{report.app_states_written} app state and {report.user_states_written} user "
            "state rows."
        )
    if report.sessions_replaced or report.states_replaced:
        out.print(
            f"Of these, {report.sessions_replaced} sessions and {report.states_replaced} state "
            "rows replace copies in the destination that differed."
        )
    if written and present:
        out.print(
            f"Already in the destination, skipped: {report.sessions_present} sessions, "
            f"{report.states_present} state rows."
        )
    left_sessions = report.sessions_changed.count - report.sessions_replaced
    left_states = report.states_changed.count - report.states_replaced
    if left_sessions or left_states:
        out.print(
            f"[yellow]Left as they are:[/] {left_sessions} sessions and {left_states} state rows "
            "that the destination holds differently (changed since they were imported). Rerun "
            "with --replace-changed to overwrite them with the source's."
        )
        for line in [*report.sessions_changed.first, *report.states_changed.first]:
            out.print(f"  {line}", markup=False)
    if report.refused.count:
        err.print(f"[red]Not imported:[/] {report.refused.count} rows that cannot be read.")
        for line in report.refused.first:
            err.print(f"  {line}", markup=False)
    if report.stopped_at_limit:
        out.print("Stopped at --limit; run the same command again to continue.")
    if report.dry_run:
        out.print("Dry run: nothing was written.")


def _print_verification(verification: Verification, out: Console, err: Console) -> None:
    table = Table(title="Verification")
    table.add_column("")
    table.add_column("source", justify="right")
    table.add_column("destination", justify="right")
    for label, tally in verification.rows():
        style = "" if tally.matches else "red"
        table.add_row(label, str(tally.source), str(tally.destination), style=style)
    out.print(table)
    if verification.ok:
        out.print("[green]Source and destination match.[/]")
        return
    err.print(f"[red]{verification.differences.count} differences:[/]")
    for line in verification.differences.first:
        err.print(f"  {line}", markup=False)


# -- options ------------------------------------------------------------------


def _source_url(value: str) -> URL:
    """A URL, or the path of a SQLite file (as ADK's SqliteSessionService takes it)."""
    if "://" in value:
        url = resolve_url(value)
    else:
        url = URL.create("sqlite+aiosqlite", database=str(Path(value).expanduser().resolve()))
    if is_sqlite_memory(url):
        raise StoreConfigurationError(_MEMORY_MESSAGE)
    path = sqlite_file(url)
    if path is not None and not path.is_file():
        raise StoreConfigurationError(
            f"The source database file {url.database} does not exist; give the path of "
            "the SQLite file (or its sqlite:/// URL)."
        )
    return url


def _destination_url(value: str) -> URL:
    url = resolve_url(value)
    if is_sqlite_memory(url):
        raise StoreConfigurationError(_MEMORY_MESSAGE)
    return url


def _same_database(first: URL, second: URL) -> bool:
    return first.render_as_string(hide_password=False) == second.render_as_string(
        hide_password=False
    )


def _source_engine(url: URL) -> AsyncEngine:
    """An engine that reads the source as it is.

    A SQLite source gets a plain engine: adk-store's own SQLite settings would
    switch the file to WAL, a lasting change to someone else's database.
    """
    if sqlite_file(url) is not None:
        return create_async_engine(url)
    return create_engine(url)


def _sqlspec_names(spec: str | None) -> SqlspecTableNames | None:
    if spec is None:
        return None
    try:
        return SqlspecTableNames.parse(spec)
    except StoreConfigurationError as exc:
        raise typer.BadParameter(str(exc)) from None
