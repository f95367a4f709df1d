"""``adk-store torture``: many processes on one database, then a check of every promise."""

from __future__ import annotations

from collections import defaultdict
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from adk_store.cli.common import UrlOption, console, fail, run_reporting_errors
from adk_store.dialects.sqlite import is_sqlite_memory
from adk_store.engine import resolve_url

if TYPE_CHECKING:
    from adk_store.reliability.torture import TortureReport

OUTCOME_LABELS = {
    "ok": "returned",
    "stale": "StaleSessionError",
    "exists": "AlreadyExistsError",
    "not_found": "SessionNotFoundError",
    "unavailable": "StoreConnectionError",
    "unexpected": "any other error",
    "in_flight": "no reply (worker died)",
}
RESULTS = tuple(OUTCOME_LABELS)
EXAMPLES_PER_RULE = 3


class ServiceChoice(StrEnum):
    adk_store = "adk-store"
    adk = "adk"


def torture(
    url: UrlOption = None,
    processes: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 4,
    tasks: Annotated[
        int, typer.Option(min=1, max=256, help="Concurrent writers in each process.")
    ] = 8,
    seconds: Annotated[float, typer.Option(min=0.5, help="How long the writers run.")] = 30.0,
    service: Annotated[
        ServiceChoice,
        typer.Option(help="adk-store, or ADK's own DatabaseSessionService to compare."),
    ] = ServiceChoice.adk_store,
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Hammer one database from many processes, then check every call against it.

    Writers append to shared sessions (retrying on StaleSessionError), write
    app: and user: keys, race to create the same sessions and delete sessions
    others append to. Then every acknowledged append must be stored exactly
    once, in order, with its state change; every refused call must have left
    nothing; every error must be one of ADK's or adk-store's own. Writes under
    a new app name (torture-...) in the database given: use a scratch one.
    Exits with 1 when a promise was broken.
    """
    if url is None:
        fail(
            "give --url (or ADK_STORE_URL): a scratch database the run may write to; it "
            "creates adk-store's tables there if missing.",
            code=2,
        )
    if is_sqlite_memory(resolve_url(url)):
        fail(
            "an in-memory SQLite database cannot be shared by processes; use a file, e.g. "
            "--url sqlite+aiosqlite:///torture.db",
            code=2,
        )
    # Imported here: the command line starts without loading the torture machinery.
    from adk_store.reliability.torture import Torture, WorkerStartError

    torture = Torture(url, processes=processes, tasks=tasks, seconds=seconds, service=service.value)

    async def run() -> TortureReport:
        if json_output:
            return await torture.run_and_check()
        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[calls]} calls"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task(f"{processes} processes × {tasks} writers", total=seconds, calls=0)

            def progress(elapsed: float, calls: int) -> None:
                bar.update(task, completed=min(elapsed, seconds), calls=calls)

            return await torture.run_and_check(progress=progress)

    report = run_reporting_errors(run, url, expected=(WorkerStartError,))
    if json_output:
        # Plain text: a terminal's width must not wrap machine-read output.
        typer.echo(report.model_dump_json(indent=2))
    else:
        show(report)
    if not report.ok:
        raise typer.Exit(1)


def show(report: TortureReport) -> None:
    """The calls by outcome, what is stored, and each broken promise with examples."""
    console.print(
        Text(
            f"{report.service} on {report.url}: {report.processes} processes × {report.tasks} "
            f"writers, {report.elapsed:.1f} s, app {report.app_name}"
        )
    )
    actions = list(report.calls)
    table = Table("outcome", *actions)
    for result in RESULTS:
        counts = [report.calls[action].get(result, 0) for action in actions]
        if any(counts):
            table.add_row(OUTCOME_LABELS[result], *(str(count) for count in counts))
    console.print(table)
    console.print(
        f"{report.total_calls} calls ({report.total_calls / max(report.elapsed, 1e-9):.0f}/s), "
        f"{report.events_stored} events stored, {report.in_doubt} writes in doubt"
    )
    if report.ok:
        console.print("[green]Every promise kept.[/]")
        return
    by_rule: dict[str, list[str]] = defaultdict(list)
    for violation in report.violations:
        by_rule[violation.rule].append(violation.detail)
    for rule, details in by_rule.items():
        console.print(Text.assemble((rule, "red"), f": {len(details)}"))
        for detail in details[:EXAMPLES_PER_RULE]:
            console.print(Text(f"  {detail}"), soft_wrap=True)
    console.print(f"[red]{len(report.violations)} broken promise(s).[/]")
