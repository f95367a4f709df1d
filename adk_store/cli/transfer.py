"""``adk-store import`` and ``adk-store copy``: bring sessions in, move a store between databases."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
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
from adk_store.engine import create_engine, is_sqlite_memory, redact, resolve_url
from adk_store.errors import SchemaNotReadyError, StoreConfigurationError
from adk_store.identifiers import DEFAULT_TABLE_PREFIX
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
            help="sqlspec's table names if not the defaults: sessions,events,app_states,user_states.",
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
    """
    layout = layout_of(table_prefix, schema, owner_column)
    names = _sqlspec_names(sqlspec_tables)
    options = _Options(dry_run, batch_size, limit, replace_changed)
    kind = None if source is None else source.value

    async def run() -> bool:
        source_url = _source_url(from_url)
        destination_url = source_url if to_url is None else _destination_url(to_url)
        in_place = _same_database(source_url, destination_url)
        store = StoreTarget(destination_url, layout, owner).open(
            auto_migrate=migrate and not dry_run
        )
        source_engine = store.engine
        try:
            if not in_place:
                source_engine = _source_engine(source_url)
            reader = await open_source(source_engine, kind, names)
            if (
                in_place
                and layout.schema is None
                and reader.tables.names & store.schema.table_names
            ):
                raise StoreConfigurationError(
                    f"The source tables {sorted(reader.tables.names)} are adk-store's own "
                    f"table names for prefix {layout.prefix!r}; choose another --table-prefix."
                )
            console.print(
                f"Importing {reader.title} from {redact(source_url)} into "
                f"{redact(destination_url)} (prefix {layout.prefix!r})."
            )
            return await _transfer_and_verify(reader, store, options)
        finally:
            await store.close()
            if source_engine is not store.engine:
                await source_engine.dispose()

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
    options = _Options(dry_run, batch_size, limit, replace_changed)
    from_layout = layout_of(table_prefix, from_schema, owner_column)
    to_layout = layout_of(table_prefix, to_schema, owner_column)

    async def run() -> bool:
        source_url, destination_url = _source_url(from_url), _destination_url(to_url)
        if _same_database(source_url, destination_url) and from_layout == to_layout:
            raise StoreConfigurationError(
                f"--from and --to name the same tables ({redact(source_url)}, "
                f"{from_layout.describe()}); copy to another database or schema."
            )
        origin = StoreTarget(source_url, from_layout, owner).open()
        store = StoreTarget(destination_url, to_layout, owner).open(
            auto_migrate=migrate and not dry_run
        )
        try:
            await _ready(origin, "--from")
            console.print(f"Copying {redact(source_url)} into {redact(destination_url)}.")
            return await _transfer_and_verify(StoreSource(origin), store, options)
        finally:
            await origin.close()
            await store.close()

    if not run_reporting_errors(run):
        raise typer.Exit(1)


# -- the shared run -----------------------------------------------------------

_MEMORY_MESSAGE = (
    "An in-memory SQLite database lives inside one process, so another process cannot read "
    "or fill it; give a file path or a server URL."
)


@dataclass(frozen=True)
class _Options:
    dry_run: bool
    batch_size: int
    limit: int | None
    replace_changed: bool


async def _transfer_and_verify(source: Source, store: SessionStore, options: _Options) -> bool:
    """Run the transfer, print what happened and the verification; True if all is well."""
    exists = True
    if options.dry_run:
        exists = await migrations.current(store.engine, store.layout) == migrations.head_revision()
        if not exists:
            console.print(
                "The destination's tables are not at the current revision: a real run needs "
                "--migrate. Counted as if they were empty."
            )
    else:
        await _ready(store, "--to")
    with RichProgress(console) as progress:
        report = await transfer(
            source,
            store,
            batch_size=options.batch_size,
            dry_run=options.dry_run,
            limit=options.limit,
            replace_changed=options.replace_changed,
            progress=progress,
            destination_exists=exists,
        )
    _print_report(report)
    if options.dry_run or report.stopped_at_limit:
        return report.refused.count == 0
    verification = await verify(source, store, batch_size=options.batch_size)
    _print_verification(verification)
    return report.refused.count == 0 and verification.ok


async def _ready(store: SessionStore, option: str) -> None:
    try:
        await store.ensure_ready()
    except SchemaNotReadyError as exc:
        hint = " Or add --migrate to this command." if option == "--to" else ""
        raise SchemaNotReadyError(f"{option}: {exc}{hint}") from None


def _print_report(report: TransferReport) -> None:
    verb = "Would write" if report.dry_run else "Wrote"
    console.print(
        f"{verb} {report.sessions_written} sessions ({report.events_written} events), "
        f"{report.app_states_written} app state and {report.user_states_written} user state rows."
    )
    if report.sessions_replaced or report.states_replaced:
        console.print(
            f"Of these, {report.sessions_replaced} sessions and {report.states_replaced} state "
            "rows replace copies in the destination that differed."
        )
    if report.sessions_present or report.states_present:
        console.print(
            f"Already in the destination, skipped: {report.sessions_present} sessions, "
            f"{report.states_present} state rows."
        )
    left_sessions = report.sessions_changed.count - report.sessions_replaced
    left_states = report.states_changed.count - report.states_replaced
    if left_sessions or left_states:
        console.print(
            f"[yellow]Left as they are:[/] {left_sessions} sessions and {left_states} state rows "
            "that the destination holds differently (changed since they were imported). Rerun "
            "with --replace-changed to overwrite them with the source's."
        )
        for line in [*report.sessions_changed.first, *report.states_changed.first]:
            console.print(f"  {line}", markup=False)
    if report.refused.count:
        errors.print(f"[red]Not imported:[/] {report.refused.count} rows that cannot be read.")
        for line in report.refused.first:
            errors.print(f"  {line}", markup=False)
    if report.stopped_at_limit:
        console.print("Stopped at --limit; run the same command again to continue.")
    if report.dry_run:
        console.print("Dry run: nothing was written.")


def _print_verification(verification: Verification) -> None:
    table = Table(title="Verification")
    table.add_column("")
    table.add_column("source", justify="right")
    table.add_column("destination", justify="right")
    for label, tally in verification.rows():
        style = "" if tally.matches else "red"
        table.add_row(label, str(tally.source), str(tally.destination), style=style)
    console.print(table)
    if verification.ok:
        console.print("[green]Source and destination match.[/]")
        return
    errors.print(f"[red]{verification.differences.count} differences:[/]")
    for line in verification.differences.first:
        errors.print(f"  {line}", markup=False)


# -- options ------------------------------------------------------------------


def _source_url(value: str) -> URL:
    """A URL, or the path of a SQLite file (as ADK's SqliteSessionService takes it)."""
    if "://" in value:
        url = resolve_url(value)
    else:
        url = URL.create("sqlite+aiosqlite", database=str(Path(value).expanduser().resolve()))
    if url.get_backend_name() == "sqlite":
        if is_sqlite_memory(url):
            raise StoreConfigurationError(_MEMORY_MESSAGE)
        if not Path(str(url.database)).expanduser().is_file():
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
    if url.get_backend_name() == "sqlite":
        return create_async_engine(url)
    return create_engine(url)


def _sqlspec_names(spec: str | None) -> SqlspecTableNames | None:
    if spec is None:
        return None
    try:
        return SqlspecTableNames.parse(spec)
    except StoreConfigurationError as exc:
        raise typer.BadParameter(str(exc)) from None
