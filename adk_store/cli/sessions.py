"""``adk-store sessions``: browse apps, users, sessions and events from a terminal.

Tables for people, ``--json`` for scripts: with ``--json`` stdout carries one
JSON document and nothing else (errors go to stderr), so it can be piped to
``jq``. Stored text is printed literally, never read as console markup.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from adk_store import admin
from adk_store.admin import ListingOrder
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
from adk_store.identifiers import DEFAULT_TABLE_PREFIX, check_session_key
from adk_store.records import StoredSession
from adk_store.store import SessionStore

T = TypeVar("T")
DEFAULT_LAST_EVENTS = 20

sessions = typer.Typer(
    help="Browse the apps, users, sessions and events in a store.", no_args_is_help=True
)

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON document on stdout instead of tables.")
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
    target = StoreTarget.of(url, table_prefix, schema, owner_column, owner)
    if app_name is None and (user_id is not None or users or after is not None):
        raise typer.BadParameter("--user, --users and --after need --app.", param_hint="--app")
    if users and user_id is not None:
        raise typer.BadParameter(
            "--users lists every user of the app; drop --user, or drop --users to list "
            "that user's sessions.",
            param_hint="--users",
        )
    if app_name is None:
        apps = on_store(target, admin.list_apps)
        _print_apps(apps, json_output)
    elif users:
        user_page = on_store(
            target,
            lambda store: admin.list_users(store, app_name=app_name, limit=limit, after=after),
        )
        _print_users(app_name, user_page, json_output)
    else:
        session_page = on_store(
            target,
            lambda store: admin.list_sessions(
                store, app_name=app_name, user_id=user_id, order=order, limit=limit, after=after
            ),
        )
        _print_sessions(app_name, user_id, order, session_page, json_output)


@sessions.command("show")
def show_command(
    session_id: Annotated[str, typer.Argument(help="The session id.", show_default=False)],
    app_name: Annotated[str, typer.Option("--app", help="The session's app.", show_default=False)],
    user_id: Annotated[str, typer.Option("--user", help="The session's user.", show_default=False)],
    url: UrlOption = None,
    table_prefix: PrefixOption = DEFAULT_TABLE_PREFIX,
    schema: SchemaOption = None,
    owner_column: OwnerColumnOption = None,
    owner: OwnerOption = None,
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
    target = StoreTarget.of(url, table_prefix, schema, owner_column, owner)
    if all_events and last is not None:
        raise typer.BadParameter("give either --last or --all, not both.", param_hint="--all")
    num_recent_events = None if all_events else (DEFAULT_LAST_EVENTS if last is None else last)

    async def read(store: SessionStore) -> tuple[StoredSession | None, int]:
        check_session_key(app_name, user_id, session_id)
        stored = await store.get_session(
            app_name=app_name,
            user_id=user_id,
            session_id=session_id,
            num_recent_events=num_recent_events,
        )
        if stored is None:
            return None, 0
        total = await admin.count_events(
            store, app_name=app_name, user_id=user_id, session_id=session_id
        )
        return stored, total

    stored, total = on_store(target, read)
    if stored is None:
        errors.print(
            f"[red]error:[/] no session {escape(repr(session_id))} for app "
            f"{escape(repr(app_name))} and user {escape(repr(user_id))}. List that user's "
            f"sessions with: adk-store sessions list --app {escape(shlex.quote(app_name))} "
            f"--user {escape(shlex.quote(user_id))}"
        )
        raise typer.Exit(1)
    state = stored.merged_state()
    if json_output:
        _print_json(
            {
                "app_name": stored.app_name,
                "user_id": stored.user_id,
                "id": stored.id,
                "revision": stored.revision,
                "create_time": _iso(stored.create_time),
                "update_time": _iso(stored.update_time),
                "state": state,
                "events_total": total,
                "events": stored.events,
            }
        )
        return
    console.print(
        Text.assemble(
            ("Session ", "bold"),
            (stored.id, "bold cyan"),
            f"  app {stored.app_name}  user {stored.user_id}",
        )
    )
    console.print(
        f"created {_when(stored.create_time)}  updated {_when(stored.update_time)} UTC  "
        f"revision {stored.revision}  events {total}",
        soft_wrap=True,
    )
    state_table = Table(title="State (merged)", title_justify="left")
    state_table.add_column("Key", overflow="fold")
    state_table.add_column("Value", no_wrap=True, overflow="ellipsis")
    for key, value in sorted(state.items()):
        state_table.add_row(Text(key), Text(_one_line(json.dumps(value, ensure_ascii=False))))
    console.print(state_table if state else "State: (empty)")
    if num_recent_events == 0:
        return
    shown = len(stored.events)
    title = f"Events ({shown} of {total})" if shown < total else f"Events ({total})"
    events_table = Table(title=title, title_justify="left")
    events_table.add_column("Time (UTC)", no_wrap=True)
    events_table.add_column("Author", overflow="fold")
    events_table.add_column("Invocation", overflow="fold", min_width=10)
    events_table.add_column("Content", no_wrap=True, overflow="ellipsis", ratio=1)
    events_table.add_column("State delta", overflow="fold")
    for event in stored.events:
        actions = event.get("actions") or {}
        events_table.add_row(
            _when(datetime.fromtimestamp(event["timestamp"], UTC)),
            Text(str(event.get("author", ""))),
            Text(str(event.get("invocation_id", ""))),
            Text(event_text(event)),
            Text(", ".join(sorted(actions.get("state_delta") or {}))),
        )
    console.print(events_table)
    if shown < total:
        console.print(f"Older events not shown: use --last {total} or --all.")


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
    return _one_line(" ".join(pieces))


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


def _print_apps(apps: list[admin.AppSummary], json_output: bool) -> None:
    if json_output:
        _print_json(
            {
                "apps": [
                    {
                        "app_name": app.app_name,
                        "sessions": app.sessions,
                        "users": app.users,
                        "last_update_time": _iso(app.last_update_time),
                    }
                    for app in apps
                ]
            }
        )
        return
    if not apps:
        console.print("No sessions stored.")
        return
    table = Table(title="Apps", title_justify="left")
    table.add_column("App", overflow="fold")
    table.add_column("Sessions", justify="right")
    table.add_column("Users", justify="right")
    table.add_column("Last activity (UTC)", no_wrap=True)
    for app in apps:
        table.add_row(
            Text(app.app_name), str(app.sessions), str(app.users), _when(app.last_update_time)
        )
    console.print(table)


def _print_users(app_name: str, page: admin.Page[admin.UserSummary], json_output: bool) -> None:
    if json_output:
        _print_json(
            {
                "app_name": app_name,
                "users": [
                    {
                        "user_id": user.user_id,
                        "sessions": user.sessions,
                        "last_update_time": _iso(user.last_update_time),
                    }
                    for user in page.items
                ],
                "next": page.next_token,
            }
        )
        return
    table = Table(title=f"Users of {escape(app_name)}", title_justify="left")
    table.add_column("User", overflow="fold")
    table.add_column("Sessions", justify="right")
    table.add_column("Last activity (UTC)", no_wrap=True)
    for user in page.items:
        table.add_row(Text(user.user_id), str(user.sessions), _when(user.last_update_time))
    console.print(table if page.items else f"No sessions stored for app {escape(app_name)}.")
    _print_next(page.next_token)


def _print_sessions(
    app_name: str,
    user_id: str | None,
    order: ListingOrder,
    page: admin.Page[admin.SessionSummary],
    json_output: bool,
) -> None:
    if json_output:
        _print_json(
            {
                "app_name": app_name,
                "user_id": user_id,
                "order": order.value,
                "sessions": [
                    {
                        "app_name": item.app_name,
                        "user_id": item.user_id,
                        "id": item.id,
                        "create_time": _iso(item.create_time),
                        "update_time": _iso(item.update_time),
                        "state_keys": item.state_keys,
                    }
                    for item in page.items
                ],
                "next": page.next_token,
            }
        )
        return
    scope = f"app {app_name}" + ("" if user_id is None else f", user {user_id}")
    if not page.items:
        console.print(Text(f"No sessions for {scope}."))
        return
    table = Table(
        title=Text(f"Sessions of {scope}, {order.value} activity first"), title_justify="left"
    )
    table.add_column("User", overflow="fold")
    table.add_column("Session", overflow="fold")
    table.add_column("Created (UTC)", no_wrap=True)
    table.add_column("Updated (UTC)", no_wrap=True)
    table.add_column("State keys", overflow="fold")
    for item in page.items:
        table.add_row(
            Text(item.user_id),
            Text(item.id),
            _when(item.create_time),
            _when(item.update_time),
            Text(", ".join(item.state_keys)),
        )
    console.print(table)
    _print_next(page.next_token)


def _print_next(token: str | None) -> None:
    if token is not None:
        console.print(f"Next page: repeat with --after {token}", soft_wrap=True)


def _print_json(document: dict[str, Any]) -> None:
    # Plain echo: a console would wrap long lines, and break the JSON.
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="microseconds")


def _when(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _one_line(text: str) -> str:
    return " ".join(text.split())
