"""The store under ADK's own Runner, with a scripted agent (no model)."""

from __future__ import annotations

import asyncio

from google.adk.runners import Runner
from google.genai import types
from rich.console import Console

from adk_store import SqlSessionService
from adk_store.demo import APP_NAME, SESSION_ID, USER_ID, ScriptedAgent, run_demo


def _message(text: str) -> types.Content:
    return types.Content(role="user", parts=[types.Part(text=text)])


async def _turn(runner: Runner, user_id: str, session_id: str, text: str) -> list[str]:
    replies = []
    async for event in runner.run_async(
        user_id=user_id, session_id=session_id, new_message=_message(text)
    ):
        if event.content and event.content.parts and event.content.parts[0].text:
            replies.append(event.content.parts[0].text)
    return replies


async def test_runner_turns_are_stored_with_all_state_scopes(service: SqlSessionService) -> None:
    runner = Runner(agent=ScriptedAgent(name="bot"), app_name="shop", session_service=service)
    await service.create_session(app_name="shop", user_id="ann", session_id="s1")
    first = await _turn(runner, "ann", "s1", "hello")
    second = await _turn(runner, "ann", "s1", "again")
    assert "Turn 1" in first[0] and "'hello'" in first[0]
    assert "Turn 2" in second[0] and "'again'" in second[0]

    stored = await service.get_session(app_name="shop", user_id="ann", session_id="s1")
    assert stored.state == {"turns": 2, "user:messages": 2, "app:total_turns": 2}
    authors = [e.author for e in stored.events]
    assert authors == ["user", "bot", "bot", "user", "bot", "bot"]
    assert all("temp:last_question" not in e.actions.state_delta for e in stored.events)

    # A second session of the same user sees user: and app: state, not session keys.
    await service.create_session(app_name="shop", user_id="ann", session_id="s2")
    reply = await _turn(runner, "ann", "s2", "new chat")
    assert "Turn 1 of this session. You have sent me 3 messages" in reply[0]
    assert "answered 3 turns" in reply[0]
    await runner.close()


async def test_concurrent_invocations_on_different_sessions(service: SqlSessionService) -> None:
    runner = Runner(agent=ScriptedAgent(name="bot"), app_name="shop", session_service=service)
    users = [f"user{i}" for i in range(5)]
    for user in users:
        await service.create_session(app_name="shop", user_id=user, session_id="chat")

    async def converse(user: str) -> None:
        for index in range(3):
            await _turn(runner, user, "chat", f"{user} message {index}")

    await asyncio.gather(*(converse(user) for user in users))
    for user in users:
        stored = await service.get_session(app_name="shop", user_id=user, session_id="chat")
        assert stored.state["turns"] == 3
        assert stored.state["user:messages"] == 3
        assert len(stored.events) == 9
    # Every turn of every user incremented the shared app counter: 15 in all,
    # though reads raced, no write was lost (each turn wrote the value it saw + 1).
    app_state = await service.store.get_app_state(app_name="shop")
    assert 3 <= app_state["total_turns"] <= 15
    await runner.close()


async def test_demo_continues_the_same_session_from_storage(service: SqlSessionService) -> None:
    console = Console(record=True, width=120)
    first = await run_demo(service, console, turns=2)
    second = await run_demo(service, console, turns=1)
    assert first == {"turns": 2, "user:messages": 2, "app:total_turns": 2}
    assert second == {"turns": 3, "user:messages": 3, "app:total_turns": 3}
    output = console.export_text()
    assert "New session" in output and "Continuing session" in output
    stored = await service.get_session(app_name=APP_NAME, user_id=USER_ID, session_id=SESSION_ID)
    assert len(stored.events) == 9
