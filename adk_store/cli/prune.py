"""``adk-store prune``: delete sessions with no recent activity, while the service runs.

Deletes go in short batches (see `adk_store.admin.prune`), so appends
are never held up for long and a session that gets an event during the prune
is kept. Progress goes to stderr; the summary (or its ``--json`` form) to
stdout, for cron logs and scripts.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from adk_store import admin
from adk_store.cli.common import (
    OwnerColumnOption,
    OwnerOption,
    PrefixOption,
    SchemaOption,
    StoreTarget,
    UrlOption,
    console,
    errors,
)
from adk_store.cli.sessions import on_store
from adk_store.identifiers import DEFAULT_TABLE_PREFIX
from adk_store.store import SessionStore


def _duration(text: str) -> timedelta:
    try:
        return admin.parse_duration(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def prune(
    older_than: Annotated[
        timedelta,
        typer.Option(
            "--older-than",
            parser=_duration,
            metavar="DURATION",
            help="Delete sessions with no activity for this long: 30d, 12h, 90m, 45s or 2w.",
            show_default=False,
        ),
    ],
    app_name: Annotated[
        str | None, typer.Option("--app", help="Only this app's sessions (default: every app).")
    ] = None,
    url: UrlOption = None,
    table_prefix: PrefixOption = DEFAULT_TABLE_PREFIX,
    schema: SchemaOption = None,
    owner_column: OwnerColumnOption = None,
    owner: OwnerOption = None,
    batch_size: Annotated[
        int,
        typer.Option(min=1, max=admin.MAX_BATCH_SIZE, help="Sessions deleted per transaction."),
    ] = admin.DEFAULT_BATCH_SIZE,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be deleted; delete nothing.")
    ] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the summary as one JSON document.")
    ] = False,
) -> None:
    """Delete sessions (and their events) last updated longer ago than --older-than.

    app: and user: state is shared by other sessions and is kept. With
    --owner-column, only the --owner's sessions are considered.
    """
    target = StoreTarget.of(url, table_prefix, schema, owner_column, owner)
    cutoff = datetime.now(UTC) - older_than

    async def run(store: SessionStore) -> admin.PruneResult:
        if dry_run:
            return await admin.count_prunable(store, cutoff=cutoff, app_name=app_name)
        expected = await admin.count_prunable(
            store, cutoff=cutoff, app_name=app_name, with_events=False
        )
        with Progress(
            TextColumn("Pruning"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=errors,
            disable=json_output or not errors.is_terminal,
        ) as progress:
            task = progress.add_task("prune", total=expected.sessions)
            return await admin.prune(
                store,
                cutoff=cutoff,
                app_name=app_name,
                batch_size=batch_size,
                on_batch=lambda batch: progress.advance(task, batch.examined),
            )

    result = on_store(target, run)
    if json_output:
        document = {
            "dry_run": result.dry_run,
            "cutoff": result.cutoff.isoformat(timespec="microseconds"),
            "app_name": app_name,
            "sessions": result.sessions,
            "events": result.events,
        }
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    scope = "" if app_name is None else f" of app {app_name}"
    before = result.cutoff.strftime("%Y-%m-%d %H:%M:%S")
    verb = "Would delete" if result.dry_run else "Deleted"
    console.print(
        f"{verb} {_count(result.sessions, 'session')}{scope} and "
        f"{_count(result.events, 'event')} (last activity before {before} UTC)."
        + (" Dry run: nothing was deleted." if result.dry_run else ""),
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
