"""``adk-store prune``: delete sessions with no recent activity, while the service runs.

Deletes go in short batches (see `adk_store.admin.prune`), so appends
are never held up for long and a session that gets an event during the prune
is kept. Progress goes to stderr; the summary (or its ``--json`` form) to
stdout, for cron logs and scripts. A prune of more than a handful of sessions
says what it will delete and asks first; a cron job says ``--yes``.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Annotated

import typer
from rich.console import Console

from adk_store import admin
from adk_store.cli.common import (
    OwnerColumnOption,
    OwnerOption,
    PrefixOption,
    SchemaOption,
    StoreTarget,
    UrlOption,
    YesOption,
    confirm_loss,
    console,
    errors,
)
from adk_store.cli.output import iso_utc, print_json, progress_bar, utc_time
from adk_store.cli.sessions import on_store
from adk_store.identifiers import DEFAULT_TABLE_PREFIX
from adk_store.store import SessionStore

UNASKED_SESSIONS = 5
"""A prune of more sessions than this says what it deletes and asks first (or needs --yes)."""


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
    yes: YesOption = False,
) -> None:
    """Delete sessions (and their events) last updated longer ago than --older-than.

    app: and user: state is shared by other sessions and is kept. With
    --owner-column, only the --owner's sessions are considered. More than
    5 sessions to delete: it says how many and asks first, or with no
    terminal to ask in (cron) refuses unless given --yes.
    """
    target = StoreTarget.of(url, table_prefix, schema, owner_column, owner)
    plan = PrunePlan(datetime.now(UTC) - older_than, app_name, batch_size, dry_run, yes)
    track = partial(
        progress_bar, "Pruning", err=errors, hidden=json_output or not errors.is_terminal
    )
    summary = on_store(target, lambda store: prune_store(store, plan, track))
    render_prune(summary, console, as_json=json_output)


@dataclass(frozen=True)
class PrunePlan:
    """What the options ask to prune, fixed before the store is opened."""

    cutoff: datetime
    app_name: str | None
    batch_size: int
    dry_run: bool
    confirmed: bool = False


@dataclass(frozen=True)
class PruneSummary:
    """What a prune deleted (or would), and the app it was limited to, for the summary line."""

    app_name: str | None
    result: admin.PruneResult


TrackProgress = Callable[[int], AbstractContextManager[Callable[[int], None]]]
"""Given the number of sessions to examine, a context that is told how many each batch took."""


async def prune_store(store: SessionStore, plan: PrunePlan, track: TrackProgress) -> PruneSummary:
    """Prune (or, dry, count) as ``plan`` says.

    A real prune first counts the sessions alone, so progress has a total
    without paying for counting every session's events; only a prune that
    must ask counts the events too, to say what will go.
    """
    if plan.dry_run:
        counted = await admin.count_prunable(store, cutoff=plan.cutoff, app_name=plan.app_name)
        return PruneSummary(plan.app_name, counted)
    expected = await admin.count_prunable(
        store, cutoff=plan.cutoff, app_name=plan.app_name, with_events=False
    )
    if expected.sessions > UNASKED_SESSIONS and not plan.confirmed:
        counted = await admin.count_prunable(store, cutoff=plan.cutoff, app_name=plan.app_name)
        confirm_loss(f"This deletes {_what(PruneSummary(plan.app_name, counted))}.", yes=False)
    with track(expected.sessions) as advance:
        result = await admin.prune(
            store,
            cutoff=plan.cutoff,
            app_name=plan.app_name,
            batch_size=plan.batch_size,
            on_batch=lambda batch: advance(batch.examined),
        )
    return PruneSummary(plan.app_name, result)


def render_prune(summary: PruneSummary, out: Console, *, as_json: bool) -> None:
    result = summary.result
    if as_json:
        print_json(
            {
                "dry_run": result.dry_run,
                "cutoff": iso_utc(result.cutoff),
                "app_name": summary.app_name,
                "sessions": result.sessions,
                "events": result.events,
            }
        )
        return
    verb = "Would delete" if result.dry_run else "Deleted"
    out.print(
        f"{verb} {_what(summary)}." + (" Dry run: nothing was deleted." if result.dry_run else ""),
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def _what(summary: PruneSummary) -> str:
    """What a prune takes: "3 sessions of app shop and 6 events (last activity before ...)"."""
    result = summary.result
    scope = "" if summary.app_name is None else f" of app {summary.app_name}"
    return (
        f"{_count(result.sessions, 'session')}{scope} and {_count(result.events, 'event')} "
        f"(last activity before {utc_time(result.cutoff)} UTC)"
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
