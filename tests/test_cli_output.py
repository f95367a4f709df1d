"""What the ``adk-store`` commands print: it fits the terminal, and nothing is cut.

``sessions show`` and ``sessions list`` run as a user runs them, in a
subprocess whose terminal is 80 (or 100) columns wide: every line fits,
and the times, ids and names a reader copies into the next command come
out whole on one line.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import typer
from conftest import Database
from google.adk.events import Event, EventActions
from google.genai import types
from sqlalchemy.engine import make_url
from typer.core import TyperGroup
from typer.testing import CliRunner

from adk_store import SqlSessionService
from adk_store.cli import app

APP = "support"
USER = "ann.example@example.com"
AGENT = "billing_specialist_agent"
LONG_REPLY = "Your balance is 42.00 EUR. " * 12
HUGE_RESULT = "x" * 5000
# The order of the guides: try it, set up a server, look inside, bring data
# in, keep it small, measure.
COMMANDS_AS_MET = [
    "demo",
    "db",
    "sessions",
    "memory",
    "import",
    "copy",
    "prune",
    "bench",
    "torture",
]


def run_cli(*args: str, columns: int, url: str) -> subprocess.CompletedProcess[str]:
    """``adk-store ARGS`` in its own process, on a terminal ``columns`` wide."""
    env = {**os.environ, "COLUMNS": str(columns), "ADK_STORE_URL": url}
    return subprocess.run(  # noqa: PLW1510 - the exit code is asserted
        [sys.executable, "-m", "adk_store.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def shown_time(when: datetime) -> str:
    """A time as a reader needs it: UTC, to the microsecond, the date and time together."""
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def event(author: str, invocation: str, **fields: Any) -> Event:
    return Event(author=author, invocation_id=invocation, **fields)


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A SQLite store holding one conversation with long names, ids and texts."""
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('output') / 'sessions.db'}"

    async def fill() -> None:
        async with SqlSessionService.from_url(url, auto_migrate=True) as service:
            for _ in range(3):
                session = await service.create_session(
                    app_name=APP,
                    user_id=USER,
                    session_id=str(uuid.uuid4()),
                    state={"topic": "billing", "user:tier": "gold", "app:region": "eu-west-1"},
                )
            invocation = f"e-{uuid.uuid4()}"
            call = types.FunctionCall(name="lookup_balance", args={"account": "ACME-0042"})
            result = types.FunctionResponse(name="lookup_balance", response={"raw": HUGE_RESULT})
            for stored in [
                event(
                    "user",
                    invocation,
                    content=types.Content(
                        role="user", parts=[types.Part(text="What is my balance?")]
                    ),
                ),
                event(
                    AGENT,
                    invocation,
                    content=types.Content(role="model", parts=[types.Part(function_call=call)]),
                    actions=EventActions(state_delta={"last_lookup": "ACME-0042"}),
                ),
                event(
                    AGENT,
                    invocation,
                    content=types.Content(
                        role="user", parts=[types.Part(function_response=result)]
                    ),
                ),
                event(
                    AGENT,
                    invocation,
                    content=types.Content(role="model", parts=[types.Part(text=LONG_REPLY)]),
                ),
            ]:
                await service.append_event(session, stored)

    asyncio.run(fill())
    yield url


@pytest.fixture(scope="module")
def listing(store_url: str) -> dict[str, Any]:
    listed = run_cli("sessions", "list", "--app", APP, "--json", columns=80, url=store_url)
    assert listed.returncode == 0, listed.stderr
    return dict(json.loads(listed.stdout))


@pytest.fixture(scope="module")
def conversation(store_url: str, listing: dict[str, Any]) -> dict[str, Any]:
    """The session with events, as ``sessions show --json`` gives it: the raw data."""
    newest = listing["sessions"][0]["id"]
    shown = run_cli(
        "sessions",
        "show",
        newest,
        "--app",
        APP,
        "--user",
        USER,
        "--json",
        columns=80,
        url=store_url,
    )
    assert shown.returncode == 0, shown.stderr
    return dict(json.loads(shown.stdout))


def lines_of(output: str) -> list[str]:
    return output.splitlines()


def on_one_line(text: str, output: str) -> bool:
    return any(text in line for line in lines_of(output))


@pytest.mark.parametrize("columns", [80, 100])
def test_sessions_show_fits_the_terminal_with_times_and_ids_whole(
    store_url: str, conversation: dict[str, Any], columns: int
) -> None:
    shown = run_cli(
        "sessions",
        "show",
        conversation["id"],
        "--app",
        APP,
        "--user",
        USER,
        columns=columns,
        url=store_url,
    )
    assert shown.returncode == 0, shown.stderr
    output = shown.stdout
    too_long = [line for line in lines_of(output) if len(line) > columns]
    assert not too_long, output
    for wanted in [conversation["id"], APP, USER, "lookup_balance", "eu-west-1"]:
        assert on_one_line(wanted, output), (wanted, output)
    assert len(conversation["events"]) == 4
    for stored in conversation["events"]:
        when = shown_time(datetime.fromtimestamp(stored["timestamp"], UTC))
        # The time, the author and the invocation of each event, whole.
        assert on_one_line(f"{when}  {stored['author']}", output), (when, output)
        assert on_one_line(stored["invocation_id"], output), output
    assert on_one_line('call lookup_balance({"account": "ACME-0042"})', output), output
    assert on_one_line("state delta: last_lookup", output), output
    assert on_one_line(shown_time(datetime.fromisoformat(conversation["update_time"])), output)
    # The long reply is wrapped, not cut; the huge tool result is cut, saying where it is whole.
    assert " ".join(output.split()).count("42.00 EUR.") == 12
    assert "--json shows the event whole" in " ".join(output.split())
    assert HUGE_RESULT not in "".join(output.split())


def test_sessions_show_json_gives_every_field_whole(conversation: dict[str, Any]) -> None:
    result = conversation["events"][2]["content"]["parts"][0]["function_response"]
    assert result["response"] == {"raw": HUGE_RESULT}
    assert conversation["events"][3]["content"]["parts"][0]["text"] == LONG_REPLY
    assert conversation["state"] == {
        "topic": "billing",
        "user:tier": "gold",
        "app:region": "eu-west-1",
        "last_lookup": "ACME-0042",
    }


def test_sessions_list_fits_80_columns_with_ids_and_times_whole(
    store_url: str, listing: dict[str, Any]
) -> None:
    listed = run_cli("sessions", "list", "--app", APP, "--limit", "2", columns=80, url=store_url)
    assert listed.returncode == 0, listed.stderr
    output = listed.stdout
    page = listing["sessions"][:2]
    offer = output.rstrip().splitlines()[-1]
    assert offer.startswith("Next page: repeat with --after "), output
    token = offer.split()[-1]
    # The page token is copied whole into --after: the one line that may be longer.
    too_long = [line for line in lines_of(output) if len(line) > 80 and line != offer]
    assert not too_long, output
    for item in page:
        assert on_one_line(f"{item['id']}  user {USER}", output), output
        for field in ("create_time", "update_time"):
            assert on_one_line(shown_time(datetime.fromisoformat(item[field])), output), output
    assert listing["sessions"][2]["id"] not in output
    following = run_cli(
        "sessions", "list", "--app", APP, "--after", token, "--json", columns=80, url=store_url
    )
    assert [item["id"] for item in json.loads(following.stdout)["sessions"]] == [
        listing["sessions"][2]["id"]
    ]


def test_missing_session_hint_names_the_store_with_the_password_masked(
    shared_database: Database,
) -> None:
    url = make_url(shared_database.url)
    if url.get_backend_name() == "postgresql":
        # The PostgreSQL test cluster trusts local connections, so a password is
        # ignored there and is only there to be masked (MariaDB's root would
        # refuse it).
        url = url.set(password="hunter2")
    given = url.render_as_string(hide_password=False)

    async def store_another_session() -> None:
        async with SqlSessionService.from_url(given, auto_migrate=True) as service:
            await service.create_session(app_name=APP, user_id="ann lee", session_id="other")

    asyncio.run(store_another_session())
    result = CliRunner().invoke(
        app, ["sessions", "show", "nope", "--app", APP, "--user", "ann lee", "--url", given]
    )
    assert result.exit_code == 1
    shown = url.render_as_string(hide_password=True)
    assert "adk-store sessions list --app support --user 'ann lee' --url" in result.output
    assert shown in result.output and "hunter2" not in result.output
    if url.password:
        assert "sessions with this, your password in place of ***:" in result.output


def help_page(*words: str) -> str:
    """``adk-store WORDS --help`` on a terminal 80 columns wide."""
    result = CliRunner().invoke(
        app, [*words, "--help"], env={"COLUMNS": "80"}, prog_name="adk-store"
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_every_help_fits_80_columns_and_shows_no_value_for_flags() -> None:
    top = typer.main.get_command(app)
    assert isinstance(top, TyperGroup)
    pages = {(): help_page()}
    for name, command in top.commands.items():
        pages[(name,)] = help_page(name)
        if isinstance(command, TyperGroup):
            for subcommand in command.commands:
                pages[(name, subcommand)] = help_page(name, subcommand)
    assert len(pages) > 10
    for words, page in pages.items():
        # A flag takes no value, and no word or summary is cut short.
        assert "<bool>" not in page and "…" not in page, page
        assert not [line for line in lines_of(page) if len(line) > 80], page
        assert page.startswith(" ".join(["Usage: adk-store", *words, "[OPTIONS]"])), page
        summaries = page.partition("\nCommands:\n")[2]
        assert not [line for line in lines_of(summaries) if line.endswith("...")], page
    show = pages[("sessions", "show")]
    assert show.startswith("Usage: adk-store sessions show [OPTIONS] SESSION_ID\n"), show
    assert "postgresql+asyncpg://user@host/db." in show


def _listed_commands(page: str) -> list[str]:
    """The command names of a group's help, in the order it lists them."""
    listing = page.partition("\nCommands:\n")[2]
    return [line.split()[0] for line in lines_of(listing) if line[:3].strip() and line[0] == " "]


def test_commands_are_listed_as_a_user_meets_them() -> None:
    assert _listed_commands(help_page()) == COMMANDS_AS_MET


def test_version_is_the_installed_one() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"adk-store {metadata.version('adk-store')}\n"


def test_demo_says_plainly_that_temp_state_was_not_stored(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo"], env={"ADK_STORE_HOME": str(tmp_path)})
    assert result.exit_code == 0, result.output
    assert (
        "6 events stored; the temp:last_question key each turn set was, as ADK intends, "
        "not stored." in " ".join(result.output.split())
    )
    assert "True" not in result.output
