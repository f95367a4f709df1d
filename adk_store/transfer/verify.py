"""Comparing a source with the store it was transferred into.

For every session of the source: is it in the store, with as many events and
the same session state; for every ``app:`` and ``user:`` state row: is it in
the store with the same keys and values. Read a page at a time on both sides,
like the transfer itself. The totals count only what the source has (the
store may hold more: other sessions, or ones the application wrote since).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from adk_store.store import SessionStore
from adk_store.transfer.destination import Destination, scope_key
from adk_store.transfer.pipeline import DEFAULT_BATCH_SIZE, check_batch_size
from adk_store.transfer.source_records import (
    SCOPES,
    Refusal,
    Samples,
    Scope,
    ScopeRecord,
    SessionRecord,
    describe,
)
from adk_store.transfer.sources import Source


@dataclass
class Tally:
    """One quantity counted on both sides."""

    source: int = 0
    destination: int = 0

    @property
    def matches(self) -> bool:
        return self.source == self.destination


@dataclass
class Verification:
    """Source and destination side by side, and every difference found."""

    sessions: Tally = field(default_factory=Tally)
    events: Tally = field(default_factory=Tally)
    session_state_keys: Tally = field(default_factory=Tally)
    app_state_keys: Tally = field(default_factory=Tally)
    user_state_keys: Tally = field(default_factory=Tally)
    differences: Samples = field(default_factory=Samples)

    @property
    def ok(self) -> bool:
        return self.differences.count == 0

    def rows(self) -> list[tuple[str, Tally]]:
        return [
            ("sessions", self.sessions),
            ("events", self.events),
            ("session state keys", self.session_state_keys),
            ("app state keys", self.app_state_keys),
            ("user state keys", self.user_state_keys),
        ]


async def verify(
    source: Source, store: SessionStore, *, batch_size: int = DEFAULT_BATCH_SIZE
) -> Verification:
    """Compare ``source`` with ``store``; nothing is written."""
    check_batch_size(batch_size)
    destination = Destination(store)
    result = Verification()
    for scope in SCOPES:
        async for scope_page in source.scope_pages(scope, batch_size):
            await _compare_scopes(result, destination, scope, scope_page)
    async for page in source.session_pages(batch_size):
        await _compare_sessions(result, source, destination, page)
    return result


async def _compare_scopes(
    result: Verification,
    destination: Destination,
    scope: Scope,
    page: Sequence[ScopeRecord | Refusal],
) -> None:
    tally = result.app_state_keys if scope == "app" else result.user_state_keys
    records = [item for item in page if isinstance(item, ScopeRecord)]
    _unreadable(result, page)
    stored = await destination.scope_states(scope, records)
    for record in records:
        key = scope_key(scope, record)
        tally.source += len(record.state)
        label = f"{scope} state of {', '.join(map(repr, key))}"
        found = stored.get(key)
        if found is None:
            result.differences.add(f"{label}: missing in the destination")
            continue
        tally.destination += len(found)
        if found != record.state:
            result.differences.add(f"{label}: keys or values differ")


async def _compare_sessions(
    result: Verification,
    source: Source,
    destination: Destination,
    page: Sequence[SessionRecord | Refusal],
) -> None:
    records = [item for item in page if isinstance(item, SessionRecord)]
    _unreadable(result, page)
    keys = [record.key for record in records]
    counts = await source.event_counts(keys)
    stored = await destination.sessions(keys)
    for record in records:
        events = counts.get(record.key, 0)
        result.sessions.source += 1
        result.events.source += events
        result.session_state_keys.source += len(record.state)
        facts = stored.get(record.key)
        if facts is None:
            result.differences.add(f"{describe(record.key)}: missing in the destination")
            continue
        result.sessions.destination += 1
        result.events.destination += facts.events
        result.session_state_keys.destination += len(facts.state)
        if facts.events != events:
            result.differences.add(
                f"{describe(record.key)}: {events} events in the source, "
                f"{facts.events} in the destination"
            )
        if facts.state != record.state:
            result.differences.add(f"{describe(record.key)}: session state differs")


def _unreadable(result: Verification, page: Sequence[object]) -> None:
    for item in page:
        if isinstance(item, Refusal):
            result.differences.add(f"{item} (not transferred)")
