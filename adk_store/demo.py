"""``adk-store demo``: a real ADK Runner on the store, no model and no network.

A scripted agent answers a few turns and writes all four kinds of state, so
that a second run shows the conversation continuing from storage.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from google.adk.agents import BaseAgent
from google.adk.agents.invocation_context import InvocationContext
from google.adk.events import Event, EventActions
from google.adk.runners import Runner
from google.genai import types
from rich.console import Console
from rich.table import Table

from adk_store.service import SqlSessionService

APP_NAME = "adk-store-demo"
USER_ID = "demo-user"
SESSION_ID = "demo-session"
QUESTIONS = ("Hello! Who are you?", "What do you remember about me?", "How busy is the app?")


class ScriptedAgent(BaseAgent):
    """Replies from the state it can see, and updates each state scope."""

    async def _run_async_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        state = ctx.session.state
        turn = int(state.get("turns", 0)) + 1
        visits = int(state.get("user:messages", 0)) + 1
        total = int(state.get("app:total_turns", 0)) + 1
        question = ""
        if ctx.user_content and ctx.user_content.parts:
            question = ctx.user_content.parts[0].text or ""
        # temp: state is visible for this invocation only and is never stored.
        yield Event(
            author=self.name,
            invocation_id=ctx.invocation_id,
            actions=EventActions(state_delta={"temp:last_question": question}),
        )
        reply = (
            f"Turn {turn} of this session. You have sent me {visits} messages in all, "
            f"and this app has answered {total} turns. You asked: "
            f"{ctx.session.state['temp:last_question']!r}."
        )
        yield Event(
            author=self.name,
            invocation_id=ctx.invocation_id,
            content=types.Content(role="model", parts=[types.Part(text=reply)]),
            actions=EventActions(
                state_delta={"turns": turn, "user:messages": visits, "app:total_turns": total}
            ),
        )


def _text(event: Event) -> str:
    if not event.content or not event.content.parts:
        return ""
    return "".join(part.text or "" for part in event.content.parts)


async def run_demo(service: SqlSessionService, console: Console, turns: int = 2) -> dict[str, Any]:
    """Run ``turns`` new turns after showing what storage already holds."""
    runner = Runner(
        agent=ScriptedAgent(name="scripted_agent"), app_name=APP_NAME, session_service=service
    )
    session = await service.get_session(app_name=APP_NAME, user_id=USER_ID, session_id=SESSION_ID)
    if session is None:
        session = await service.create_session(
            app_name=APP_NAME, user_id=USER_ID, session_id=SESSION_ID
        )
        console.print(f"[bold]New session[/] {SESSION_ID!r}.")
    else:
        console.print(f"[bold]Continuing session[/] {SESSION_ID!r} from storage:")
    conversation = Table("author", "message", title="Conversation", show_lines=False)
    for event in session.events:
        if _text(event):
            conversation.add_row(f"[dim]{event.author}[/]", f"[dim]{_text(event)}[/]")
    start = int(session.state.get("turns", 0))
    for index in range(turns):
        question = QUESTIONS[(start + index) % len(QUESTIONS)]
        conversation.add_row("user", question)
        message = types.Content(role="user", parts=[types.Part(text=question)])
        async for event in runner.run_async(
            user_id=USER_ID, session_id=SESSION_ID, new_message=message
        ):
            if _text(event):
                conversation.add_row(event.author, _text(event))
    await runner.close()
    console.print(conversation)

    stored = await service.get_session(app_name=APP_NAME, user_id=USER_ID, session_id=SESSION_ID)
    assert stored is not None
    state_table = Table("key", "value", "scope", title="Stored state")
    for key, value in sorted(stored.state.items()):
        scope = key.split(":", 1)[0] if ":" in key else "session"
        state_table.add_row(key, repr(value), scope)
    console.print(state_table)
    stored_temp = sorted(key for key in stored.state if key.startswith("temp:"))
    if stored_temp:
        kept = f"temp: keys were stored, which ADK never does: {', '.join(stored_temp)}."
    else:
        kept = "the temp:last_question key each turn set was, as ADK intends, not stored."
    console.print(f"{len(stored.events)} events stored; {kept}")
    return stored.state
