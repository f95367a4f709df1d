"""``adk-store memory``: search a user's memory, and backfill memory from stored sessions.

Results and summaries go to stdout (``--json`` for scripts); the ingest's
progress bar goes to stderr. Stored text is printed literally, never read
as console markup.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from adk_store.cli.common import (
    OwnerColumnOption,
    OwnerOption,
    PrefixOption,
    SchemaOption,
    StoreTarget,
    UrlOption,
    console,
    errors,
    run_reporting_errors,
)
from adk_store.cli.output import print_json, progress_bar
from adk_store.identifiers import DEFAULT_TABLE_PREFIX
from adk_store.memory.engines import DEFAULT_TEXT_SEARCH_CONFIG
from adk_store.memory.ingest import IngestSummary, count_events, ingest
from adk_store.memory.service import DEFAULT_SEARCH_LIMIT, SqlMemoryService

memory = typer.Typer(
    help="Search memory, and fill it from the sessions already stored.", no_args_is_help=True
)

ConfigOption = Annotated[
    str,
    typer.Option(
        "--text-search-config",
        help="PostgreSQL text search configuration (the one memory was stored with).",
    ),
]


def _open(target: StoreTarget, config: str) -> SqlMemoryService:
    return SqlMemoryService(store=target.open(), text_search_config=config)


@memory.command("search")
def search_command(
    query: Annotated[str, typer.Argument(help="What to look for: any of its words matches.")],
    app_name: Annotated[str, typer.Option("--app", help="The app.", show_default=False)],
    user_id: Annotated[str, typer.Option("--user", help="The user.", show_default=False)],
    url: UrlOption = None,
    table_prefix: PrefixOption = DEFAULT_TABLE_PREFIX,
    schema: SchemaOption = None,
    owner_column: OwnerColumnOption = None,
    owner: OwnerOption = None,
    limit: Annotated[
        int, typer.Option(min=1, max=1000, help="The most entries to show, best first.")
    ] = DEFAULT_SEARCH_LIMIT,
    text_search_config: ConfigOption = DEFAULT_TEXT_SEARCH_CONFIG,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print one JSON document on stdout.")
    ] = False,
) -> None:
    """Show a user's memory entries matching QUERY, best first."""
    target = StoreTarget.of(url, table_prefix, schema, owner_column, owner)

    async def run() -> list[Any]:
        service = _open(target, text_search_config)
        try:
            return await service.search(
                app_name=app_name, user_id=user_id, query=query, limit=limit
            )
        finally:
            await service.store.close()

    entries = run_reporting_errors(run, url)
    if json_output:
        print_json(
            {"memories": [entry.model_dump(mode="json", exclude_none=True) for entry in entries]}
        )
        return
    if not entries:
        console.print("No memory matches.", markup=False, highlight=False)
        return
    for rank, entry in enumerate(entries, 1):
        text = " ".join(part.text for part in entry.content.parts or [] if part.text)
        console.print(
            f"{rank}. {entry.timestamp or '-'} {entry.author or '-'} ({entry.id}): {text}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


@memory.command("ingest")
def ingest_command(
    url: UrlOption = None,
    table_prefix: PrefixOption = DEFAULT_TABLE_PREFIX,
    schema: SchemaOption = None,
    owner_column: OwnerColumnOption = None,
    owner: OwnerOption = None,
    app_name: Annotated[
        str | None,
        typer.Option(
            "--app", help="Only this app's sessions (default: every app).", show_default=False
        ),
    ] = None,
    text_search_config: ConfigOption = DEFAULT_TEXT_SEARCH_CONFIG,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the summary as one JSON document.")
    ] = False,
) -> None:
    """Remember the events of the sessions already stored. Safe to stop and run again:
    what is remembered is skipped."""
    target = StoreTarget.of(url, table_prefix, schema, owner_column, owner)

    async def run() -> IngestSummary:
        service = _open(target, text_search_config)
        try:
            total = await count_events(service, app_name)
            with progress_bar("Ingesting events", total, errors, hidden=json_output) as advance:
                return await ingest(service, app_name=app_name, on_events=advance)
        finally:
            await service.store.close()

    summary = run_reporting_errors(run, url)
    if json_output:
        print_json({"events": summary.events, "stored": summary.stored})
        return
    console.print(
        f"Read {summary.events} events; stored {summary.stored} new memories.",
        markup=False,
        highlight=False,
    )
