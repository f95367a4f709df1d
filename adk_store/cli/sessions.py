"""``adk-store sessions``: browse apps, users, sessions and events from a terminal.

Text that fits the terminal for people, ``--json`` for scripts: with
``--json`` stdout carries one JSON document and nothing else (errors go to
stderr), so it can be piped to ``jq``. Stored text is printed literally,
never read as console markup.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from typer._click.core import ParameterSource

from adk_store import admin
from adk_store.admin import ListingOrder
from adk_store.cli.common import (
    OwnerColumnOption,
    OwnerOption,
    PrefixOption,
    ReplicaUrlOption,
    SchemaOption,
    StoreTarget,
    UrlOption,
    console,
    errors,
    run_reporting_errors,
)
from adk_store.cli.help import ArgumentsByName
from adk_store.cli.output import (
    clipped,
    iso_utc,
    one_line,
    print_fields,
    print_indented,
    print_json,
    utc_time,
)
from adk_store.engine import redact
from adk_store.identifiers import DEFAULT_TABLE_PREFIX, check_session_key
from adk_store.records import StoredSession
from adk_store.store import SessionStore

T = TypeVar("T")
DEFAULT_LAST_EVENTS = 20

sessions = typer.Typer(
    help="Browse the apps, users, sessions and events in a store.", no_args_is_help=True
)

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON document on stdout, every field whole.")
]


def on_store(target: StoreTarget, action: Callable[[SessionStore], Coroutine[Any, Any, T]]) -> T:
    """Run ``action`` on the target store, reporting expected failures in one line.

    The store never migrates: pointed at the wrong database or prefix, a
    browse or prune must say so, not create empty tables. A value the
    command refuses (a page token from another listing, an overlong id) is
    a usage error, exit code 2.
    """

    async def run() -> T:
        store = target.open()
        try:
            return await action(store)
        finally:
            await store.close()

    try:
        return run_reporting_errors(run)
    except ValueError as exc:
        errors.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from None


@sessions.command("list")
def list_command(
    url: UrlOption = None,
    table_prefix: PrefixOption = DEFAULT_TABLE_PREFIX,
    schema: SchemaOption = None,
    owner_column: OwnerColumnOption = None,
    owner: OwnerOption = None,
    replica_url: ReplicaUrlOption = None,
    app_name: Annotated[
        str | None, typer.Option("--app", help="List this app's sessions (without it: every app).")
    ] = None,
    user_id: Annotated[
        str | None, typer.Option("--user", help="Only this user's sessions (needs --app).")
    ] = None,
    users: Annotated[
        bool, typer.Option("--users", help="List the app's users instead of its sessions.")
    ] = False,
    order: Annotated[
        ListingOrder, typer.Option(help="Newest or oldest activity first.")
    ] = ListingOrder.NEWEST,
    limit: Annotated[int, typer.Option(min=1, max=admin.MAX_PAGE_SIZE, help="Rows per page.")] = 50,
    after: Annotated[
        str | None,
        typer.Option(
            "--after", help="Continue a listing: the token printed after the previous page."
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """List apps (session and user counts), an app's users, or its sessions, a page at a time."""
    target = StoreTarget.of(url, table_prefix, schema, owner_column, owner, replica_url)
    if app_name is None and (user_id is not None or users or after is not None):
        raise typer.BadParameter("--user, --users and --after need --app.", param_hint="--app")
    if users and user_id is not None:
        raise typer.BadParameter(
            "--users lists every user of the app; drop --user, or drop --users to list "
            "that user's sessions.",
            param_hint="--users",
        )
    query = ListingQuery(app_name, user_id, users, order, limit, after)
    listing = on_store(target, lambda store: read_listing(store, query))
    render_listing(listing, console, as_json=json_output)


@sessions.command("show", cls=ArgumentsByName)
def show_command(
    context: typer.Context,
    session_id: Annotated[
        str, typer.Argument(metavar="SESSION_ID", help="The session id.", show_default=False)
    ],
    app_name: Annotated[str, typer.Option("--app", help="The session's app.", show_default=False)],
    user_id: Annotated[str, typer.Option("--user", help="The session's user.", show_default=False)],
    url: UrlOption = None,
    table_prefix: PrefixOption = DEFAULT_TABLE_PREFIX,
    schema: SchemaOption = None,
    owner_column: OwnerColumnOption = None,
    owner: OwnerOption = None,
    replica_url: ReplicaUrlOption = None,
    last: Annotated[
        int | None,
        typer.Option(
            min=0,
            help=f"Show the newest N events (default {DEFAULT_LAST_EVENTS}; 0: state only).",
            show_default=False,
        ),
    ] = None,
    all_events: Annotated[bool, typer.Option("--all", help="Show every event.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Show a session: its merged state (session, app:, user: keys) and its events."""
    target = StoreTarget.of(url, table_prefix, schema, owner_column, owner, replica_url)
    if all_events and last is not None:
        raise typer.BadParameter("give either --last or --all, not both.", param_hint="--all")
    recent = None if all_events else (DEFAULT_LAST_EVENTS if last is None else last)
    query = SessionQuery(app_name, user_id, session_id, recent)
    view = on_store(target, lambda store: read_session(store, query))
    if view is None:
        _print_missing(query, _store_options_given(context), errors)
        raise typer.Exit(1)
    render_session(view, console, as_json=json_output)


# -- sessions list --------------------------------------------------------------


@dataclass(frozen=True)
class ListingQuery:
    """What ``sessions list`` was asked for: apps, an app's users, or its sessions."""

    app_name: str | None
    user_id: str | None
    users: bool
    order: ListingOrder
    limit: int
    after: str | None


@dataclass(frozen=True)
class AppListing:
    """Every app that has sessions."""

    apps: list[admin.AppSummary]


@dataclass(frozen=True)
class UserListing:
    """One page of an app's users."""

    app_name: str
    page: admin.Page[admin.UserSummary]


@dataclass(frozen=True)
class SessionListing:
    """One page of an app's sessions (or one user's), in the order asked for."""

    app_name: str
    user_id: str | None
    order: ListingOrder
    page: admin.Page[admin.SessionSummary]


Listing = AppListing | UserListing | SessionListing


async def read_listing(store: SessionStore, query: ListingQuery) -> Listing:
    if query.app_name is None:
        return AppListing(await admin.list_apps(store))
    if query.users:
        users = await admin.list_users(
            store, app_name=query.app_name, limit=query.limit, after=query.after
        )
        return UserListing(query.app_name, users)
    sessions_page = await admin.list_sessions(
        store,
        app_name=query.app_name,
        user_id=query.user_id,
        order=query.order,
        limit=query.limit,
        after=query.after,
    )
    return SessionListing(query.app_name, query.user_id, query.order, sessions_page)


def render_listing(listing: Listing, out: Console, *, as_json: bool) -> None:
    if as_json:
        print_json(_listing_document(listing))
    elif isinstance(listing, AppListing):
        _render_apps(listing, out)
    elif isinstance(listing, UserListing):
        _render_users(listing, out)
    else:
        _render_sessions(listing, out)


def _listing_document(listing: Listing) -> dict[str, Any]:
    """The listing as ``--json`` prints it."""
    if isinstance(listing, AppListing):
        return {"apps": [_summary_document(app) for app in listing.apps]}
    if isinstance(listing, UserListing):
        return {
            "app_name": listing.app_name,
            "users": [_summary_document(user) for user in listing.page.items],
            "next": listing.page.next_token,
        }
    return {
        "app_name": listing.app_name,
        "user_id": listing.user_id,
        "order": listing.order.value,
        "sessions": [_summary_document(item) for item in listing.page.items],
        "next": listing.page.next_token,
    }


def _summary_document(
    summary: admin.AppSummary | admin.UserSummary | admin.SessionSummary,
) -> dict[str, Any]:
    """A listing row as ``--json`` prints it: its fields, times in ISO 8601 UTC."""
    return {
        name: iso_utc(value) if isinstance(value, datetime) else value
        for name, value in asdict(summary).items()
    }


def _render_apps(listing: AppListing, out: Console) -> None:
    if not listing.apps:
        out.print("No sessions stored.")
        return
    table = Table(title="Apps", title_justify="left")
    table.add_column("App", overflow="fold")
    table.add_column("Sessions", justify="right")
    table.add_column("Users", justify="right")
    table.add_column("Last activity (UTC)", no_wrap=True)
    for app in listing.apps:
        table.add_row(
            Text(app.app_name), str(app.sessions), str(app.users), utc_time(app.last_update_time)
        )
    out.print(table)


def _render_users(listing: UserListing, out: Console) -> None:
    page = listing.page
    app_name = escape(listing.app_name)
    table = Table(title=f"Users of {app_name}", title_justify="left")
    table.add_column("User", overflow="fold")
    table.add_column("Sessions", justify="right")
    table.add_column("Last activity (UTC)", no_wrap=True)
    for user in page.items:
        table.add_row(Text(user.user_id), str(user.sessions), utc_time(user.last_update_time))
    out.print(table if page.items else f"No sessions stored for app {app_name}.")
    _render_next(page.next_token, out)


def _render_sessions(listing: SessionListing, out: Console) -> None:
    """One block per session: its id and user, then its times and state keys below.

    A table cannot fit a session id, its user and two full times in 80
    columns; it folds the id across lines, which then cannot be pasted.
    """
    page = listing.page
    scope = f"app {listing.app_name}" + (
        "" if listing.user_id is None else f", user {listing.user_id}"
    )
    if not page.items:
        out.print(Text(f"No sessions for {scope}."))
        return
    out.print(Text(f"Sessions of {scope}, {listing.order.value} activity first (times in UTC):"))
    for item in page.items:
        out.print()
        out.print(Text.assemble((item.id, "bold cyan"), "  user ", item.user_id))
        details = [f"updated {utc_time(item.update_time)}  created {utc_time(item.create_time)}"]
        if item.state_keys:
            details.append("state keys: " + ", ".join(item.state_keys))
        print_indented(out, details)
    _render_next(page.next_token, out)


def _render_next(token: str | None, out: Console) -> None:
    """The token on one line, however long: the terminal may fold it, but it copies whole."""
    if token is not None:
        out.print()
        out.print(Text(f"Next page: repeat with --after {token}"), soft_wrap=True)


# -- sessions show --------------------------------------------------------------


@dataclass(frozen=True)
class SessionQuery:
    """The session ``sessions show`` was asked for, and how many of its newest events.

    ``recent_events`` None means every event; 0 means the state alone.
    """

    app_name: str
    user_id: str
    session_id: str
    recent_events: int | None


@dataclass(frozen=True)
class SessionView:
    """A session with the events asked for, and how many it has in all.

    The total tells the reader how many older events were left out.
    """

    session: StoredSession
    events_total: int
    events_asked: bool


async def read_session(store: SessionStore, query: SessionQuery) -> SessionView | None:
    """The session, or None if there is no such session."""
    check_session_key(query.app_name, query.user_id, query.session_id)
    stored = await store.get_session(
        app_name=query.app_name,
        user_id=query.user_id,
        session_id=query.session_id,
        num_recent_events=query.recent_events,
    )
    if stored is None:
        return None
    total = await admin.count_events(
        store, app_name=query.app_name, user_id=query.user_id, session_id=query.session_id
    )
    return SessionView(stored, total, events_asked=query.recent_events != 0)


# The options that name a store, by parameter name.
STORE_OPTIONS = {
    "url": "--url",
    "table_prefix": "--table-prefix",
    "schema": "--schema",
    "owner_column": "--owner-column",
    "owner": "--owner",
}


@dataclass(frozen=True)
class StoreOptions:
    """Command-line words that name the store again, for a command to suggest."""

    words: list[str]
    password_masked: bool


def _store_options_given(context: typer.Context) -> StoreOptions:
    """The store options given on the command line, the URL's password masked.

    Options read from the environment are left out: the next command reads
    them from there too.
    """
    words: list[str] = []
    masked = False
    for name, flag in STORE_OPTIONS.items():
        if context.get_parameter_source(name) is ParameterSource.COMMANDLINE:
            value = str(context.params[name])
            shown = redact(value) if name == "url" else value
            masked = masked or "***" in shown
            words += [flag, shown]
    return StoreOptions(words, masked)


def _print_missing(query: SessionQuery, store: StoreOptions, err: Console) -> None:
    command = shlex.join(
        [
            "adk-store",
            "sessions",
            "list",
            "--app",
            query.app_name,
            "--user",
            query.user_id,
            *store.words,
        ]
    )
    masked = " this, your password in place of ***" if store.password_masked else ""
    err.print(
        f"[red]error:[/] no session {escape(repr(query.session_id))} for app "
        f"{escape(repr(query.app_name))} and user {escape(repr(query.user_id))}. List that "
        f"user's sessions with{masked}:\n  {escape(command)}"
    )


def render_session(view: SessionView, out: Console, *, as_json: bool) -> None:
    """The session, its merged state, then one block per event, within the console's width.

    Each event shows its full time, author and invocation, with its content
    and state delta wrapped below; a table squeezed author, invocation and
    time to nothing at 100 columns.
    """
    stored = view.session
    if as_json:
        print_json(_session_document(view))
        return
    out.print(Text.assemble(("Session ", "bold"), (stored.id, "bold cyan")))
    print_indented(
        out,
        [
            f"app {stored.app_name}, user {stored.user_id}",
            f"created {utc_time(stored.create_time)} UTC",
            f"updated {utc_time(stored.update_time)} UTC",
            f"revision {stored.revision}, {view.events_total} events",
        ],
    )
    out.print()
    state = stored.merged_state()
    if state:
        out.print(Text("State (merged: session, app: and user: keys):", style="bold"))
        print_fields(out, [(key, _state_value(value)) for key, value in sorted(state.items())])
    else:
        out.print(Text("State: (empty)", style="bold"))
    if not view.events_asked:
        return
    _render_events(stored.events, view.events_total, out)


def _state_value(value: Any) -> str:
    return clipped(one_line(json.dumps(value, ensure_ascii=False)), "the value")


def _render_events(events: list[dict[str, Any]], total: int, out: Console) -> None:
    shown = len(events)
    count = f"{shown} of {total}" if shown < total else str(total)
    out.print()
    out.print(Text(f"Events ({count}), oldest first, times in UTC:", style="bold"))
    for event in events:
        out.print()
        when = utc_time(datetime.fromtimestamp(event["timestamp"], UTC))
        out.print(Text.assemble((when, "cyan"), "  ", (str(event.get("author", "")), "bold")))
        details = [f"invocation {event.get('invocation_id', '')}"]
        text = event_text(event)
        if text:
            details.append(clipped(text, "the event"))
        delta = (event.get("actions") or {}).get("state_delta") or {}
        if delta:
            details.append("state delta: " + ", ".join(sorted(delta)))
        if len(details) == 1:
            details.append("(no content, no state change)")
        print_indented(out, details)
    if shown < total:
        out.print()
        out.print(f"Older events not shown: use --last {total} or --all.")


def _session_document(view: SessionView) -> dict[str, Any]:
    stored = view.session
    return {
        "app_name": stored.app_name,
        "user_id": stored.user_id,
        "id": stored.id,
        "revision": stored.revision,
        "create_time": iso_utc(stored.create_time),
        "update_time": iso_utc(stored.update_time),
        "state": stored.merged_state(),
        "events_total": view.events_total,
        "events": stored.events,
    }


def event_text(event: dict[str, Any]) -> str:
    """One line saying what an event carried: its text, calls, results, files or error."""
    pieces = []
    for part in (event.get("content") or {}).get("parts") or []:
        pieces.append(_part_text(part))
    if event.get("error_code") or event.get("error_message"):
        pieces.append(f"error {event.get('error_code', '')}: {event.get('error_message', '')}")
    transfer = (event.get("actions") or {}).get("transfer_to_agent")
    if transfer:
        pieces.append(f"transfer to {transfer}")
    return one_line(" ".join(pieces))


def _part_text(part: dict[str, Any]) -> str:
    if "text" in part:
        return ("(thought) " if part.get("thought") else "") + str(part["text"])
    if "function_call" in part:
        call = part["function_call"]
        arguments = json.dumps(call.get("args") or {}, ensure_ascii=False)
        return f"call {call.get('name', '?')}({arguments})"
    if "function_response" in part:
        response = part["function_response"]
        result = json.dumps(response.get("response"), ensure_ascii=False)
        return f"{response.get('name', '?')} returned {result}"
    if "inline_data" in part:
        return f"[{part['inline_data'].get('mime_type', 'data')} data]"
    if "file_data" in part:
        return f"[file {part['file_data'].get('file_uri', '')}]"
    if "executable_code" in part:
        return f"code: {part['executable_code'].get('code', '')}"
    if "code_execution_result" in part:
        return f"code result: {part['code_execution_result'].get('output', '')}"
    return "[" + ", ".join(sorted(part)) + "]"
