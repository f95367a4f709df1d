"""What every source yields and what a transfer reports, whatever the source.

Readers turn their own tables into these records page by page; the writer and
the verification know nothing else about where the rows came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from google.adk.events.event import Event

from adk_store.identifiers import (
    check_session_key,
    check_storable_event,
)
from adk_store.records import StateDeltas
from adk_store.service import event_row as service_event_row
from adk_store.validation import check_state

SessionKey = tuple[str, str, str]
Scope = Literal["app", "user"]
SCOPES: tuple[Scope, ...] = ("app", "user")

# How many offending sessions a report names; the rest are counted.
SAMPLE_LIMIT = 10


class SourceRowError(ValueError):
    """A source row that cannot become an adk-store row; the message says which and why."""


@dataclass(frozen=True)
class Refusal:
    """A source row left out of a transfer, and why (its text names the row)."""

    subject: str
    reason: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.reason}"


@dataclass(frozen=True)
class SessionRecord:
    """A session as the destination stores it: session keys only in ``state``.

    ``revision`` is None for sources that have none (ADK, sqlspec): the
    writer then uses the number of events it imported. ``incarnation`` is
    kept from another adk-store store, so copies of its sessions read
    before the move stay current; other sources' sessions are each their
    own incarnation ``'0'``.
    """

    app_name: str
    user_id: str
    id: str
    state: dict[str, Any]
    create_time: datetime
    update_time: datetime
    revision: int | None = None
    incarnation: str = "0"

    @property
    def key(self) -> SessionKey:
        return (self.app_name, self.user_id, self.id)


@dataclass(frozen=True)
class ScopeRecord:
    """An ``app:`` (``user_id`` None) or ``user:`` state row, keys without their prefix."""

    app_name: str
    user_id: str | None
    state: dict[str, Any]
    update_time: datetime


@dataclass
class Samples:
    """A count of problems and the first few, described."""

    count: int = 0
    first: list[str] = field(default_factory=list)

    def add(self, description: str) -> None:
        self.count += 1
        if len(self.first) < SAMPLE_LIMIT:
            self.first.append(description)


def describe(key: SessionKey) -> str:
    app_name, user_id, session_id = key
    return f"session {session_id!r} (app {app_name!r}, user {user_id!r})"


def session_record(
    app_name: str,
    user_id: str,
    session_id: str,
    state: dict[str, Any],
    create_time: datetime,
    update_time: datetime,
) -> SessionRecord:
    """A checked session record; ids that adk-store cannot store are refused."""
    try:
        check_session_key(app_name, user_id, session_id)
        check_state(state)
    except ValueError as exc:
        raise SourceRowError(str(exc)) from None
    # ADK's services keep app: and user: keys in their own tables; the session
    # row holds the rest, JSON-safe as the service writes it.
    return SessionRecord(
        app_name,
        user_id,
        session_id,
        StateDeltas.split(state).session,
        create_time,
        update_time,
    )


def scope_record(
    scope: Scope, app_name: str, user_id: str | None, prefixed_state: dict[str, Any], when: datetime
) -> ScopeRecord:
    """A scope row from state whose keys carry their ``app:`` / ``user:`` prefix."""
    deltas = StateDeltas.split(prefixed_state)
    return ScopeRecord(app_name, user_id, deltas.app if scope == "app" else deltas.user, when)


def prefixed(scope: Scope, state: dict[str, Any]) -> dict[str, Any]:
    """Unprefixed scope keys (as ADK's tables hold them) with their prefix."""
    return {f"{scope}:{key}": value for key, value in state.items()}


def checked_event_row(event: Event) -> dict[str, Any]:
    """The events-table row of ``event``, built exactly as the service builds it.

    The same limits the service enforces on an append are checked first, so an
    event that adk-store could never have stored is refused by name.
    """
    try:
        check_storable_event(event)
    except ValueError as exc:
        raise SourceRowError(f"event {event.id!r}: {exc}") from None
    return service_event_row(event)
