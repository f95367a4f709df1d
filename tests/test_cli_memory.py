"""``adk-store memory search`` and ``adk-store memory ingest`` on a store with sessions."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from conftest import Database
from google.adk.events.event import Event
from google.genai import types
from typer.testing import CliRunner

from adk_store import SqlMemoryService, SqlSessionService
from adk_store.cli import app


def _event(event_id: str, text: str) -> Event:
    return Event(
        id=event_id,
        author="user",
        invocation_id="inv",
        content=types.Content(role="user", parts=[types.Part(text=text)]),
    )


async def _sessions(url: str) -> None:
    async with SqlSessionService.from_url(url, auto_migrate=True) as service:
        for user, texts in {
            "ann": ["the red bicycle", "a blue kayak"],
            "bob": ["red wine"],
        }.items():
            session = await service.create_session(app_name="shop", user_id=user, session_id="s")
            for index, text in enumerate(texts):
                await service.append_event(session, _event(f"{user}{index}", text))


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_ingest_then_search_and_ingest_again_stores_nothing(shared_database: Database) -> None:
    url = shared_database.url
    asyncio.run(_sessions(url))
    code, out, err = _invoke("memory", "ingest", "--url", url, "--json")
    assert code == 0, err
    assert json.loads(out) == {"events": 3, "stored": 3}
    code, out, err = _invoke("memory", "ingest", "--url", url)
    assert code == 0, err
    assert "Read 3 events; stored 0 new memories." in out
    code, out, err = _invoke(
        "memory", "search", "--url", url, "--app", "shop", "--user", "ann", "red"
    )
    assert code == 0, err
    assert "1. " in out and "(ann0): the red bicycle" in out and "wine" not in out
    code, out, _ = _invoke(
        "memory", "search", "--url", url, "--app", "shop", "--user", "bob", "red", "--json"
    )
    assert [entry["id"] for entry in json.loads(out)["memories"]] == ["bob0"]
    code, out, _ = _invoke(
        "memory", "search", "--url", url, "--app", "shop", "--user", "ann", "zebra"
    )
    assert code == 0 and "No memory matches." in out


def test_an_interrupted_ingest_resumes_with_what_is_missing(shared_database: Database) -> None:
    url = shared_database.url
    asyncio.run(_sessions(url))
    asyncio.run(_remember_part(url))
    code, out, err = _invoke("memory", "ingest", "--url", url, "--app", "shop", "--json")
    assert code == 0, err
    assert json.loads(out) == {"events": 3, "stored": 2}


async def _remember_part(url: str) -> None:
    """What a first run that stopped part-way left: one event of one session remembered."""
    async with SqlMemoryService.from_url(url) as memory:
        await memory.add_events_to_memory(
            app_name="shop",
            user_id="ann",
            events=[_event("ann0", "the red bicycle")],
            session_id="s",
        )


def test_ingest_shows_a_progress_bar_on_stderr(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bar.db'}"
    asyncio.run(_sessions(url))
    code, out, err = _invoke("memory", "ingest", "--url", url)
    assert code == 0, err
    assert "Ingesting events" in err and "3/3" in err
    assert "Ingesting" not in out


def test_search_on_a_missing_database_says_so(tmp_path: Path) -> None:
    code, _, err = _invoke(
        "memory",
        "search",
        "--url",
        f"sqlite+aiosqlite:///{tmp_path}/none.db",
        "--app",
        "a",
        "--user",
        "u",
        "x",
    )
    assert code == 1 and "no such file" in err
