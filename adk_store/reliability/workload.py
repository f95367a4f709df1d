"""The sessions a torture run writes to, and events that say who wrote them.

Every append carries a state delta that identifies it: the session's event
count (``count`` = the count it was built on + 1) and, under the writer's own
key in the session, ``app:`` and ``user:`` scopes, the writer's sequence
number. Each writer's numbers only grow, so "the last acknowledged value" of
its keys is well defined, and the event and its state change can each be
checked against the other.
"""

from __future__ import annotations

from typing import Any

from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.adk.sessions.base_session_service import BaseSessionService

from adk_store.reliability.ledger import Attempt, ServiceKind

# One shared session per user; appends to them contend, and their user:
# scopes are the ones every writer's user: keys land in.
USERS = ("u0", "u1", "u2")
SHARED_SESSIONS = tuple((user, f"shared-{index}") for index, user in enumerate(USERS))
# Created, appended to and deleted by every writer at once.
RACE_SESSIONS = tuple((user, f"race-{index}") for index, user in enumerate(USERS[:2]))

COUNT_KEY = "count"
INCARNATION_KEY = "incarnation"
METADATA_KEY = "torture"
APP_PREFIX = "app:"
USER_PREFIX = "user:"


def writer_name(process: int, task: int) -> str:
    return f"p{process}t{task}"


def own_session(writer: str, process: int, task: int) -> tuple[str, str]:
    """The writer's private session: no other writer appends to it."""
    return USERS[(process + task) % len(USERS)], f"own-{writer}"


def writer_key(writer: str) -> str:
    """The state key (in every scope) holding the writer's last sequence number."""
    return f"w_{writer}"


def build_event(attempt: Attempt) -> Event:
    """The event an append attempt stores: its delta identifies the attempt."""
    if attempt.base is None or attempt.event_id is None:
        raise ValueError(f"append {attempt.op} needs an event id and the count it builds on")
    key = writer_key(attempt.writer)
    return Event(
        id=attempt.event_id,
        author=attempt.writer,
        invocation_id=attempt.op,
        custom_metadata={METADATA_KEY: {"op": attempt.op}},
        actions=EventActions(
            state_delta={
                COUNT_KEY: attempt.base + 1,
                key: attempt.seq,
                APP_PREFIX + key: attempt.seq,
                USER_PREFIX + key: attempt.seq,
            }
        ),
    )


def op_of(event: Event) -> str | None:
    """The attempt that wrote a stored event (None: not written by a torture worker)."""
    metadata: Any = (event.custom_metadata or {}).get(METADATA_KEY)
    op = metadata.get("op") if isinstance(metadata, dict) else None
    return op if isinstance(op, str) else None


def open_service(kind: ServiceKind, url: str, *, create_tables: bool) -> BaseSessionService:
    """The session service a run exercises: adk-store's, or ADK's own for comparison.

    ``create_tables`` applies adk-store's migrations first; ADK's service
    creates its tables on first use whatever it is told.
    """
    if kind == "adk":
        from google.adk.sessions.database_session_service import DatabaseSessionService

        return DatabaseSessionService(url)
    from adk_store.service import SqlSessionService

    return SqlSessionService.from_url(url, auto_migrate=create_tables)


async def close_service(service: BaseSessionService) -> None:
    close = getattr(service, "close", None)
    if close is not None:
        await close()
