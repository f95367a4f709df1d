"""ADK's memory tools on SqlMemoryService: ``load_memory`` and ``preload_memory`` under a
Runner, and ``adk api_server`` with ``--memory_service_uri`` (a scripted model, no LLM)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from conftest import Database
from google.adk.cli.service_registry import ServiceRegistry
from google.adk.events.event import Event
from google.adk.runners import Runner
from google.adk.sessions.session import Session
from google.genai import types
from memory_agent import PAST, loading_agent, memories_in, preloading_agent
from test_adk_tools import api_server

from adk_store import (
    RegistryMemoryService,
    SchemaNotReadyError,
    SqlMemoryService,
    SqlSessionService,
    register_memory_services,
)

APP = "recall"
TESTS = Path(__file__).resolve().parent


def _said(event_id: str, text: str, author: str = "user") -> Event:
    return Event(
        id=event_id,
        author=author,
        invocation_id="past",
        content=types.Content(role="user", parts=[types.Part(text=text)]),
        timestamp=1_750_000_000.0,
    )


PAST_SESSION = Session(
    id="last-week",
    app_name=APP,
    user_id="ann",
    events=[_said("p1", "My cat is called Miso"), _said("p2", "I work as a nurse")],
)
OTHER_USER = Session(
    id="other", app_name=APP, user_id="bob", events=[_said("p3", "My cat is called Tiger")]
)


async def _ask(runner: Runner, sessions: SqlSessionService, text: str) -> list[Event]:
    session = await sessions.create_session(app_name=APP, user_id="ann")
    message = types.Content(role="user", parts=[types.Part(text=text)])
    return [
        event
        async for event in runner.run_async(
            user_id="ann", session_id=session.id, new_message=message
        )
    ]


def _final_text(events: list[Event]) -> str:
    last = events[-1]
    assert last.content is not None and last.content.parts
    return last.content.parts[0].text or ""


async def test_load_memory_finds_the_users_past_conversation(database: Database) -> None:
    async with SqlSessionService.from_url(database.url, auto_migrate=True) as sessions:
        memory = SqlMemoryService(store=sessions.store)
        await memory.add_session_to_memory(PAST_SESSION)
        await memory.add_session_to_memory(OTHER_USER)
        runner = Runner(
            agent=loading_agent(), app_name=APP, session_service=sessions, memory_service=memory
        )
        events = await _ask(runner, sessions, "what is my cat called")
        await runner.close()
    responses = [
        part.function_response
        for event in events
        for part in (event.content.parts or [] if event.content else [])
        if part.function_response
    ]
    assert len(responses) == 1 and responses[0].name == "load_memory"
    memories = memories_in(responses[0].response)
    assert [memory["id"] for memory in memories] == ["p1"]
    assert _final_text(events) == "Recalled: My cat is called Miso"


async def test_preload_memory_puts_the_past_conversation_in_the_request(
    database: Database,
) -> None:
    async with SqlSessionService.from_url(database.url, auto_migrate=True) as sessions:
        memory = SqlMemoryService(store=sessions.store)
        await memory.add_session_to_memory(PAST_SESSION)
        await memory.add_session_to_memory(OTHER_USER)
        runner = Runner(
            agent=preloading_agent(),
            app_name=APP,
            session_service=sessions,
            memory_service=memory,
        )
        answer = _final_text(await _ask(runner, sessions, "remind me of my cat"))
        unrelated = _final_text(await _ask(runner, sessions, "zebra crossings"))
        await runner.close()
    assert PAST in answer and "user: My cat is called Miso" in answer
    assert "Tiger" not in answer and "nurse" not in answer
    assert unrelated == "No past conversations."


def test_memory_schemes_are_registered_beside_the_session_schemes(tmp_path: Path) -> None:
    registry = ServiceRegistry()
    schemes = register_memory_services(registry)
    assert "adk-store+postgresql+asyncpg" in schemes and "sqlite+aiosqlite" in schemes
    url = f"sqlite+aiosqlite:///{tmp_path / 'memory.db'}?auto_migrate=true&table_prefix=m_"
    service = registry.create_memory_service(f"adk-store+{url}", agents_dir=str(tmp_path))
    assert isinstance(service, RegistryMemoryService)
    assert service.store.layout.prefix == "m_"


def test_missing_tables_under_the_memory_uri_name_that_option(tmp_path: Path) -> None:
    """The session and memory services may have different URIs: the fix names the right one."""
    path = tmp_path / "empty.db"
    path.touch()
    with pytest.raises(SchemaNotReadyError) as refused:
        RegistryMemoryService(f"sqlite+aiosqlite:///{path}", table_prefix="m_")
    message = str(refused.value)
    assert "add auto_migrate=true to the query of --memory_service_uri or set" in message
    assert "--session_service_uri" not in message


AGENT_PY = (
    "import sys\n"
    f"sys.path.insert(0, {str(TESTS)!r})\n"
    "from memory_agent import loading_agent\n\n"
    "root_agent = loading_agent()\n"
)
SERVICES_PY = (
    "from adk_store import register_memory_services, register_session_services\n\n"
    "register_session_services()\n"
    "register_memory_services()\n"
)


async def test_api_server_serves_load_memory_from_the_memory_uri(tmp_path: Path) -> None:
    database = tmp_path / "agents.db"
    url = f"sqlite+aiosqlite:///{database}"
    async with SqlMemoryService(url, auto_migrate=True) as memory:
        await memory.add_session_to_memory(PAST_SESSION)
    agents = tmp_path / "agents"
    (agents / APP).mkdir(parents=True)
    (agents / APP / "__init__.py").write_text("from . import agent\n")
    (agents / APP / "agent.py").write_text(AGENT_PY)
    (agents / "services.py").write_text(SERVICES_PY)
    uri = f"adk-store+{url}"
    async with (
        api_server(agents, uri, ("--memory_service_uri", uri)) as server,
        httpx.AsyncClient(base_url=server.base_url, timeout=30) as client,
    ):
        created = await client.post(f"/apps/{APP}/users/ann/sessions", json={})
        assert created.status_code == 200, created.text
        ran = await client.post(
            "/run",
            json={
                "appName": APP,
                "userId": "ann",
                "sessionId": created.json()["id"],
                "newMessage": {"role": "user", "parts": [{"text": "what is my cat called"}]},
            },
        )
        assert ran.status_code == 200, ran.text + server.output()[-2000:]
    texts = [
        part.get("text")
        for event in ran.json()
        for part in (event.get("content") or {}).get("parts", [])
    ]
    assert "Recalled: My cat is called Miso" in texts, server.output()[-2000:]
