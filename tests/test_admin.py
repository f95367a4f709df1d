"""``adk-store sessions`` and ``adk-store prune``, and the store-level functions under them.

The CLI runs in a worker thread (it starts its own event loop, as from a
shell) against databases the tests fill through the service, so each test
reads what an operator would see of data an agent wrote.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from conftest import Database
from google.adk.errors.session_not_found_error import SessionNotFoundError
from google.genai import types
from helpers import make_event
from sqlalchemy import func, select
from typer.testing import CliRunner

from adk_store import OwnerColumn, SqlSessionService, TableLayout, admin
from adk_store.cli import app

runner = CliRunner()
DAY = 86400.0
NOW = time.time()


async def cli(*args: str) -> Result:
    """Run the command as a shell would: its own thread and event loop."""
    return await asyncio.to_thread(runner.invoke, app, list(args))


def output_json(result: Result) -> Any:
    """stdout parsed as one JSON document: nothing else may be printed there."""
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
async def filled(shared_database: Database) -> AsyncIterator[SqlSessionService]:
    async with SqlSessionService.from_url(shared_database.url, auto_migrate=True) as service:
        yield service


async def add_session(
    service: SqlSessionService,
    app_name: str,
    user_id: str,
    session_id: str,
    *,
    age_days: float | None,
    events: int = 1,
    state: dict[str, Any] | None = None,
) -> None:
    """A session whose events (and so its last activity) are ``age_days`` old."""
    session = await service.create_session(
        app_name=app_name, user_id=user_id, session_id=session_id, state=state
    )
    if age_days is None:
        return
    for number in range(events):
        when = NOW - age_days * DAY + number
        await service.append_event(session, make_event(f"{session_id} #{number}", timestamp=when))


async def stored_sessions(service: SqlSessionService) -> set[tuple[str, str, str]]:
    s = service.store.schema.sessions
    async with service.store.engine.connect() as connection:
        rows = await connection.execute(select(s.c.app_name, s.c.user_id, s.c.id))
        return {(row.app_name, row.user_id, row.id) for row in rows}


async def stored_event_count(service: SqlSessionService) -> int:
    e = service.store.schema.events
    async with service.store.engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(e))).scalar_one())


# -- browsing, on every backend ---------------------------------------------------


async def test_list_and_show_what_an_agent_stored(
    filled: SqlSessionService, shared_database: Database
) -> None:
    url = ("--url", shared_database.url)
    old = await filled.create_session(
        app_name="shop",
        user_id="alice",
        session_id="a-old",
        state={"cart": ["tea"], "app:theme": "dark", "user:tier": "gold"},
    )
    await filled.append_event(
        old,
        make_event(
            "[bold]not markup[/bold]\nsecond line", delta={"step": 1}, timestamp=NOW - 40 * DAY
        ),
    )
    recent = await filled.create_session(app_name="shop", user_id="alice", session_id="a-new")
    asked = make_event("what is the price?", author="user", timestamp=NOW - 2 * DAY)
    call = make_event(None, timestamp=NOW - 2 * DAY + 1, invocation_id="inv-2")
    call.content = types.Content(
        role="model",
        parts=[types.Part(function_call=types.FunctionCall(name="lookup", args={"sku": 7}))],
    )
    for event in (asked, call):
        await filled.append_event(recent, event)
    await add_session(filled, "shop", "bob", "b-new", age_days=1)
    await filled.create_session(app_name="blog", user_id="carol", session_id="c-1")

    apps = output_json(await cli("sessions", "list", *url, "--json"))["apps"]
    assert [(a["app_name"], a["sessions"], a["users"]) for a in apps] == [
        ("blog", 1, 1),
        ("shop", 3, 2),
    ]
    table = (await cli("sessions", "list", *url)).stdout
    assert re.search(r"shop\s*│\s*3\s*│\s*2\s*│", table), table

    listed = output_json(await cli("sessions", "list", *url, "--app", "shop", "--json"))
    assert [item["id"] for item in listed["sessions"]] == ["b-new", "a-new", "a-old"]
    assert listed["sessions"][2]["state_keys"] == ["cart", "step"]
    assert listed["next"] is None
    oldest = output_json(
        await cli("sessions", "list", *url, "--app", "shop", "--order", "oldest", "--json")
    )
    assert [item["id"] for item in oldest["sessions"]] == ["a-old", "a-new", "b-new"]
    alice = output_json(
        await cli("sessions", "list", *url, "--app", "shop", "--user", "alice", "--json")
    )
    assert [item["id"] for item in alice["sessions"]] == ["a-new", "a-old"]
    users = output_json(await cli("sessions", "list", *url, "--app", "shop", "--users", "--json"))
    assert [(u["user_id"], u["sessions"]) for u in users["users"]] == [("alice", 2), ("bob", 1)]

    shown = output_json(
        await cli("sessions", "show", *url, "--app", "shop", "--user", "alice", "a-new", "--json")
    )
    assert shown["events_total"] == 2
    assert [event["id"] for event in shown["events"]] == [asked.id, call.id]
    assert shown["events"][1]["content"]["parts"][0]["function_call"]["args"] == {"sku": 7}
    assert shown["state"] == {"app:theme": "dark", "user:tier": "gold"}
    last = output_json(
        await cli(
            "sessions",
            "show",
            *url,
            "--app",
            "shop",
            "--user",
            "alice",
            "a-new",
            "--last",
            "1",
            "--json",
        )
    )
    assert [event["id"] for event in last["events"]] == [call.id] and last["events_total"] == 2

    text = (await cli("sessions", "show", *url, "--app", "shop", "--user", "alice", "a-old")).stdout
    assert "[bold]not markup[/bold] second line" in text
    assert '"dark"' in text and "user:tier" in text and "step" in text
    calls = (
        await cli("sessions", "show", *url, "--app", "shop", "--user", "alice", "a-new")
    ).stdout
    assert 'call lookup({"sku": 7})' in calls and "what is the price?" in calls


async def test_paging_continues_without_duplicates_or_gaps(
    filled: SqlSessionService, shared_database: Database
) -> None:
    url = ("--url", shared_database.url)
    # Three sessions share one update time: only the (user, id) tie-break orders them.
    tied = NOW - 5 * DAY
    for user_id, session_id in [("u2", "s1"), ("u1", "s2"), ("u1", "s3")]:
        session = await filled.create_session(
            app_name="pages", user_id=user_id, session_id=session_id
        )
        await filled.append_event(session, make_event(timestamp=tied))
    for number, user_id in enumerate(["u1", "u2", "u1", "u3"]):
        await add_session(filled, "pages", user_id, f"t{number}", age_days=4 - number)
    oldest_first = ["s2", "s3", "s1", "t0", "t1", "t2", "t3"]

    async def walk(*options: str) -> list[str]:
        seen: list[str] = []
        after: tuple[str, ...] = ()
        while True:
            page = output_json(
                await cli(
                    "sessions",
                    "list",
                    *url,
                    "--app",
                    "pages",
                    "--limit",
                    "3",
                    "--json",
                    *options,
                    *after,
                )
            )
            assert len(page["sessions"]) <= 3
            seen += [item["id"] for item in page["sessions"]]
            if page["next"] is None:
                return seen
            after = ("--after", page["next"])

    assert await walk("--order", "oldest") == oldest_first
    assert await walk() == oldest_first[::-1]
    u1 = [sid for sid in oldest_first if sid in {"s2", "s3", "t0", "t2"}]
    assert await walk("--user", "u1", "--order", "oldest") == u1
    assert await walk("--user", "u1") == u1[::-1]

    users: list[str] = []
    after: tuple[str, ...] = ()
    while True:
        page = output_json(
            await cli(
                "sessions",
                "list",
                *url,
                "--app",
                "pages",
                "--users",
                "--limit",
                "2",
                "--json",
                *after,
            )
        )
        users += [user["user_id"] for user in page["users"]]
        if page["next"] is None:
            break
        after = ("--after", page["next"])
    assert users == ["u1", "u2", "u3"]


# -- pruning, on every backend -------------------------------------------------------


async def test_prune_deletes_exactly_the_old_sessions_and_their_events(
    filled: SqlSessionService, shared_database: Database
) -> None:
    url = ("--url", shared_database.url)
    for session_id, user_id in [("o1", "alice"), ("o2", "alice"), ("o3", "bob")]:
        await add_session(
            filled,
            "shop",
            user_id,
            session_id,
            age_days=40,
            events=2,
            state={"user:tier": "gold", "app:theme": "dark"},
        )
    await add_session(filled, "shop", "alice", "recent", age_days=29, events=2)
    await add_session(filled, "shop", "bob", "fresh", age_days=None)
    await add_session(filled, "blog", "carol", "b-old", age_days=31)
    await add_session(filled, "blog", "carol", "b-new", age_days=1)
    everything = await stored_sessions(filled)

    planned = output_json(
        await cli("prune", *url, "--older-than", "30d", "--app", "shop", "--dry-run", "--json")
    )
    assert (planned["dry_run"], planned["sessions"], planned["events"]) == (True, 3, 6)
    assert await stored_sessions(filled) == everything

    done = await cli("prune", *url, "--older-than", "30d", "--app", "shop", "--batch-size", "2")
    assert done.exit_code == 0, done.output
    assert "Deleted 3 sessions of app shop and 6 events" in done.stdout
    gone = {("shop", "alice", "o1"), ("shop", "alice", "o2"), ("shop", "bob", "o3")}
    assert await stored_sessions(filled) == everything - gone
    assert await stored_event_count(filled) == 2 + 1 + 1
    # Shared state stays: other sessions of the same users and app read it.
    assert await filled.get_user_state(app_name="shop", user_id="alice") == {"tier": "gold"}
    assert await filled.store.get_app_state(app_name="shop") == {"theme": "dark"}

    rest = output_json(await cli("prune", *url, "--older-than", "30d", "--json"))
    assert (rest["dry_run"], rest["sessions"], rest["events"]) == (False, 1, 1)
    assert await stored_sessions(filled) == everything - gone - {("blog", "carol", "b-old")}


async def test_a_prune_of_more_than_a_handful_asks_first(
    filled: SqlSessionService, shared_database: Database
) -> None:
    url = ("--url", shared_database.url)
    for number in range(7):
        await add_session(filled, "[beta]", "u", f"old{number}", age_days=40, events=2)
    everything = await stored_sessions(filled)
    prune = ("prune", *url, "--older-than", "30d", "--app", "[beta]")

    # No terminal to ask in (cron, a pipe): refused, saying what would go.
    refused = await cli(*prune)
    assert refused.exit_code == 1
    assert refused.stdout == ""
    assert refused.stderr.count("\n") == 1, refused.stderr
    assert "This deletes 7 sessions of app [beta] and 14 events" in refused.stderr
    assert "add --yes to go ahead" in refused.stderr
    assert await stored_sessions(filled) == everything
    dry = output_json(await cli(*prune, "--dry-run", "--json"))
    assert (dry["sessions"], dry["events"]) == (7, 14)
    assert await stored_sessions(filled) == everything

    done = output_json(await cli(*prune, "--yes", "--json"))
    assert (done["dry_run"], done["sessions"], done["events"]) == (False, 7, 14)
    assert await stored_sessions(filled) == set()


async def test_a_session_appended_to_after_it_was_chosen_is_kept(
    filled: SqlSessionService,
) -> None:
    """The race a batch must survive: found as old, then written to, then deleted."""
    store = filled.store
    # One session per user: the appended one stays inside the batch's stretch
    # of the listing index (users sort first), so only its age can save it.
    for user_id in ("u0", "u1", "u2", "u3"):
        await add_session(filled, "app", user_id, "s", age_days=40)
    cutoff = datetime.now(UTC) - timedelta(days=30)
    chosen = await admin.find_prunable(store, cutoff=cutoff, limit=10)
    assert [item.user_id for item in chosen] == ["u0", "u1", "u2", "u3"]
    session = await filled.get_session(app_name="app", user_id="u1", session_id="s")
    assert session is not None
    await filled.append_event(session, make_event("still in use"))

    deleted = await admin.delete_prunable(store, cutoff=cutoff, after=None, through=chosen[-1])
    assert deleted == (3, 3)
    assert await stored_sessions(filled) == {("app", "u1", "s")}
    kept = await filled.get_session(app_name="app", user_id="u1", session_id="s")
    assert kept is not None
    assert [event.content.parts[0].text for event in kept.events if event.content] == [
        "s #0",
        "still in use",
    ]


async def test_prune_while_the_service_appends(filled: SqlSessionService) -> None:
    """Appends race a batched prune: every session an append succeeded on is kept, whole.

    Which appends land before their session's batch depends on scheduling;
    what must hold for any interleaving is checked: a session is kept
    exactly when an append to it succeeded, and it keeps all its events.
    """
    count = 30
    for number in range(count):
        await add_session(filled, "busy", "u", f"c{number:02}", age_days=40)
    targets = [f"c{number:02}" for number in range(count - 1, -1, -3)]
    appended: Counter[str] = Counter()
    first_batch_done = asyncio.Event()
    pruning = True

    async def use_sessions() -> None:
        await first_batch_done.wait()
        while pruning:
            for session_id in targets:
                session = await filled.get_session(
                    app_name="busy", user_id="u", session_id=session_id
                )
                if session is None:
                    continue
                try:
                    await filled.append_event(session, make_event("back again"))
                except SessionNotFoundError:
                    continue
                appended[session_id] += 1

    async def prune() -> admin.PruneResult:
        nonlocal pruning
        try:
            return await admin.prune(
                filled.store,
                cutoff=datetime.now(UTC) - timedelta(days=30),
                batch_size=3,
                on_batch=lambda batch: first_batch_done.set(),
            )
        finally:
            pruning = False

    _, result = await asyncio.gather(use_sessions(), prune())
    kept = set(appended)
    assert await stored_sessions(filled) == {("busy", "u", session_id) for session_id in kept}
    assert (result.sessions, result.events) == (count - len(kept), count - len(kept))
    assert await stored_event_count(filled) == sum(1 + appended[sid] for sid in kept)
    for session_id in kept:
        session = await filled.get_session(app_name="busy", user_id="u", session_id=session_id)
        assert session is not None and len(session.events) == 1 + appended[session_id]


# -- errors and details, on SQLite ------------------------------------------------------


@pytest.fixture
async def sqlite_service(tmp_path: Path) -> AsyncIterator[SqlSessionService]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    async with SqlSessionService.from_url(url, auto_migrate=True) as service:
        await service.store.ensure_ready()
        yield service


def url_of(service: SqlSessionService) -> tuple[str, str]:
    return ("--url", service.store.engine.url.render_as_string(hide_password=False))


async def test_an_owner_sees_and_prunes_only_its_own_rows(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'owned.db'}"
    column = OwnerColumn("tenant_id", type="integer")
    for owner in (1, 2):
        async with SqlSessionService.from_url(
            url, layout=TableLayout(owner_column=column), owner=owner, auto_migrate=True
        ) as service:
            # The same app, user and session ids for both owners.
            await add_session(service, "shop", "u", "old", age_days=40, events=owner)
            await add_session(service, "shop", "u", f"only-{owner}", age_days=1)
    layout = ("--url", url, "--owner-column", "tenant_id:integer")
    first = (*layout, "--owner", "1")

    apps = output_json(await cli("sessions", "list", *first, "--json"))["apps"]
    assert [(a["app_name"], a["sessions"], a["users"]) for a in apps] == [("shop", 2, 1)]
    listed = output_json(await cli("sessions", "list", *first, "--app", "shop", "--json"))
    assert [item["id"] for item in listed["sessions"]] == ["only-1", "old"]
    shown = output_json(
        await cli("sessions", "show", *first, "--app", "shop", "--user", "u", "old", "--json")
    )
    assert shown["events_total"] == 1
    planned = output_json(await cli("prune", *first, "--older-than", "30d", "--dry-run", "--json"))
    assert (planned["sessions"], planned["events"]) == (1, 1)
    pruned = output_json(await cli("prune", *first, "--older-than", "30d", "--json"))
    assert (pruned["sessions"], pruned["events"]) == (1, 1)

    second = output_json(
        await cli("sessions", "list", *layout, "--owner", "2", "--app", "shop", "--json")
    )
    assert [item["id"] for item in second["sessions"]] == ["only-2", "old"]
    no_owner = await cli("sessions", "list", *layout)
    assert no_owner.exit_code == 1 and "pass owner" in no_owner.output
    not_a_number = await cli("prune", *layout, "--owner", "acme", "--older-than", "1d")
    assert not_a_number.exit_code == 1 and "give a whole number" in not_a_number.output


@pytest.mark.parametrize("value", ["30x", "30", "d", "0d", "-5d", "30 days", "1.5h", "40000w"])
async def test_a_bad_duration_is_a_usage_error(value: str, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'never.db'}"
    result = await cli("prune", "--url", url, "--older-than", value)
    assert result.exit_code == 2
    assert "Invalid value for '--older-than'" in result.output
    assert re.search(r"duration|zero|100\s+years", result.output), result.output
    assert not (tmp_path / "never.db").exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", timedelta(days=30)),
        ("12h", timedelta(hours=12)),
        ("90m", timedelta(minutes=90)),
        ("45s", timedelta(seconds=45)),
        (" 2w ", timedelta(weeks=2)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert admin.parse_duration(text) == expected


@pytest.mark.parametrize(
    "command",
    [
        ("sessions", "list"),
        ("sessions", "list", "--app", "shop"),
        ("sessions", "show", "--app", "shop", "--user", "u", "s1"),
        ("prune", "--older-than", "30d"),
    ],
)
async def test_a_database_without_tables_is_reported_not_created(
    command: tuple[str, ...], tmp_path: Path
) -> None:
    (tmp_path / "empty.db").touch()
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    result = await cli(*command, "--url", url)
    assert result.exit_code == 1, result.output
    assert "has no adk-store tables" in result.output
    assert "adk-store db upgrade" in result.output
    current = await cli("db", "current", "--url", url)
    assert "current: (none)" in current.output


async def test_an_unknown_session_says_how_to_find_one(sqlite_service: SqlSessionService) -> None:
    result = await cli(
        "sessions", "show", *url_of(sqlite_service), "--app", "shop", "--user", "al ice", "nope"
    )
    assert result.exit_code == 1
    assert "no session 'nope' for app 'shop' and user 'al ice'" in result.output
    assert "adk-store sessions list --app shop --user 'al ice'" in result.output
    assert result.stdout == ""


async def test_page_tokens_are_checked(sqlite_service: SqlSessionService) -> None:
    for number in range(3):
        await add_session(sqlite_service, "shop", "u", f"s{number}", age_days=number)
    url = url_of(sqlite_service)
    first = output_json(
        await cli("sessions", "list", *url, "--app", "shop", "--limit", "1", "--json")
    )
    token = first["next"]
    assert token is not None
    wrong_order = await cli(
        "sessions", "list", *url, "--app", "shop", "--order", "oldest", "--after", token
    )
    assert wrong_order.exit_code == 2 and "belongs to another listing" in wrong_order.output
    wrong_user = await cli(
        "sessions", "list", *url, "--app", "shop", "--user", "u", "--after", token
    )
    assert wrong_user.exit_code == 2 and "belongs to another listing" in wrong_user.output
    garbage = await cli("sessions", "list", *url, "--app", "shop", "--after", "not-a-token")
    assert garbage.exit_code == 2 and "Invalid page token" in garbage.output
    no_app = await cli("sessions", "list", *url, "--user", "u")
    assert no_app.exit_code == 2 and "need --app" in no_app.output


async def test_rich_listing_offers_the_next_page(sqlite_service: SqlSessionService) -> None:
    for number in range(3):
        await add_session(sqlite_service, "shop", "u", f"s{number}", age_days=number)
    url = url_of(sqlite_service)
    first = await cli("sessions", "list", *url, "--app", "shop", "--limit", "2")
    assert "s0" in first.stdout and "s1" in first.stdout and "s2" not in first.stdout
    token = re.search(r"--after (\S+)", first.stdout)
    assert token is not None
    second = await cli(
        "sessions", "list", *url, "--app", "shop", "--limit", "2", "--after", token[1]
    )
    assert "s2" in second.stdout and "s0" not in second.stdout and "--after" not in second.stdout


async def test_show_tells_how_many_events_are_hidden(sqlite_service: SqlSessionService) -> None:
    await add_session(sqlite_service, "shop", "u", "long", age_days=1, events=5)
    url = url_of(sqlite_service)
    shown = await cli(
        "sessions", "show", *url, "--app", "shop", "--user", "u", "long", "--last", "2"
    )
    assert "Events (2 of 5)" in shown.stdout and "--all" in shown.stdout
    assert "long #4" in shown.stdout and "long #2" not in shown.stdout
    everything = output_json(
        await cli(
            "sessions", "show", *url, "--app", "shop", "--user", "u", "long", "--all", "--json"
        )
    )
    assert len(everything["events"]) == 5
    state_only = await cli(
        "sessions", "show", *url, "--app", "shop", "--user", "u", "long", "--last", "0"
    )
    assert "Events" not in state_only.stdout and "revision 5" in state_only.stdout


async def test_an_unreachable_server_is_reported_without_its_password() -> None:
    url = "postgresql+asyncpg://ops:hunter2@127.0.0.1:9/agents"
    for command in (("sessions", "list"), ("prune", "--older-than", "1d")):
        result = await cli(*command, "--url", url)
        assert result.exit_code == 1
        assert "Cannot connect to postgresql+asyncpg://ops:***@127.0.0.1:9/agents" in result.output
        assert "hunter2" not in result.output
