"""Group commit: batching rules, and every caller getting exactly its own outcome.

The scheduler is checked on its own with a recording writer; the outcomes
are checked on every backend (those without a group append must give the
same answers), and the PostgreSQL group statement directly, where the order
of a batch decides a merged value.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from google.adk.errors import StaleSessionError
from google.adk.errors.session_not_found_error import SessionNotFoundError
from google.adk.events.event import Event
from google.adk.sessions.session import Session
from helpers import make_event
from sqlalchemy import select

from adk_store import DuplicateEventError, SessionStore, SqlSessionService, StoreConnectionError
from adk_store.batch_steps import write_in_sets
from adk_store.group_commit import GroupCommit
from adk_store.records import SessionVersion, StateDeltas
from adk_store.service import event_row

APP = "app"


class _RecordingWriter:
    """Writes nothing: records each batch and holds it until released."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.release = asyncio.Event()
        self.fail_with: Exception | None = None

    async def __call__(self, batch: Sequence[str]) -> list[str | None]:
        self.batches.append(list(batch))
        await self.release.wait()
        if self.fail_with is not None:
            raise self.fail_with
        return [None if request.startswith("skip") else request.upper() for request in batch]


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_lone_request_goes_at_once_and_later_ones_share_the_next_batch() -> None:
    writer = _RecordingWriter()
    group: GroupCommit[str, str] = GroupCommit(writer, lanes=1, max_batch=10)
    first = asyncio.ensure_future(group.submit("s1", "a"))
    await _settle()
    assert writer.batches == [["a"]]
    later = [asyncio.ensure_future(group.submit(f"s{n}", f"r{n}")) for n in range(2, 6)]
    await _settle()
    assert writer.batches == [["a"]], "nothing else is sent while the only lane is busy"
    writer.release.set()
    assert await first == "A"
    assert await asyncio.gather(*later) == ["R2", "R3", "R4", "R5"]
    assert writer.batches == [["a"], ["r2", "r3", "r4", "r5"]]
    assert (group.batches, group.requests, group.written) == (2, 5, 5)


async def test_a_batch_holds_one_request_per_key_and_at_most_max_batch() -> None:
    writer = _RecordingWriter()
    group: GroupCommit[str, str] = GroupCommit(writer, lanes=1, max_batch=3)
    busy = asyncio.ensure_future(group.submit("busy", "x"))
    await _settle()
    keys = ["a", "a", "b", "c", "d", "b"]
    waiting = [asyncio.ensure_future(group.submit(key, f"{key}{n}")) for n, key in enumerate(keys)]
    await _settle()
    writer.release.set()
    await asyncio.gather(busy, *waiting)
    assert writer.batches == [["x"], ["a0", "b2", "c3"], ["a1", "d4", "b5"]]


async def test_a_request_left_out_gets_none_and_an_error_reaches_every_request() -> None:
    writer = _RecordingWriter()
    group: GroupCommit[str, str] = GroupCommit(writer, lanes=2, max_batch=10)
    writer.release.set()
    assert await asyncio.gather(group.submit("k1", "skip"), group.submit("k2", "b")) == [
        None,
        "B",
    ]
    writer.fail_with = StoreConnectionError("lost")
    writer.release.clear()
    hold = [asyncio.ensure_future(group.submit(f"h{n}", f"h{n}")) for n in range(2)]
    await _settle()
    failing = [asyncio.ensure_future(group.submit(f"k{n}", f"f{n}")) for n in range(3)]
    await _settle()
    writer.release.set()
    results = await asyncio.gather(*hold, *failing, return_exceptions=True)
    assert all(isinstance(result, StoreConnectionError) for result in results)
    writer.fail_with = None
    assert await group.submit("k1", "after") == "AFTER", "a failed batch leaves the queue usable"


async def test_a_cancelled_waiting_request_is_never_sent() -> None:
    writer = _RecordingWriter()
    group: GroupCommit[str, str] = GroupCommit(writer, lanes=1, max_batch=10)
    busy = asyncio.ensure_future(group.submit("busy", "x"))
    await _settle()
    cancelled = asyncio.ensure_future(group.submit("a", "gone"))
    kept = asyncio.ensure_future(group.submit("b", "kept"))
    await _settle()
    cancelled.cancel()
    writer.release.set()
    await asyncio.gather(busy, kept)
    assert writer.batches == [["x"], ["kept"]]


async def _session(service: SqlSessionService, user: str, session_id: str) -> Session:
    return await service.create_session(app_name=APP, user_id=user, session_id=session_id)


async def test_each_caller_gets_its_own_outcome_from_a_crowd_of_appends(
    service: SqlSessionService,
) -> None:
    good = [await _session(service, f"u{n % 3}", f"good-{n}") for n in range(24)]
    stale = await _session(service, "u0", "stale")
    newer = await service.get_session(app_name=APP, user_id="u0", session_id="stale")
    assert newer is not None
    await service.append_event(newer, make_event("moved on"))
    missing = await _session(service, "u1", "missing")
    await service.delete_session(app_name=APP, user_id="u1", session_id="missing")
    repeated = await _session(service, "u2", "repeated")
    stored = make_event("first")
    await service.append_event(repeated, stored)
    again = await service.get_session(app_name=APP, user_id="u2", session_id="repeated")
    clash = await service.get_session(app_name=APP, user_id="u2", session_id="repeated")
    assert again is not None and clash is not None
    clashing = stored.model_copy(deep=True)
    clashing.content = make_event("other").content

    calls = [
        *(
            service.append_event(
                session, make_event(f"good {n}", delta={f"user:k{n}": n, "app:last": n})
            )
            for n, session in enumerate(good)
        ),
        service.append_event(stale, make_event("from a stale copy")),
        service.append_event(missing, make_event("to a deleted session")),
        service.append_event(again, stored.model_copy(deep=True)),
        service.append_event(clash, clashing),
    ]
    group = service.store.group_commit
    before = None if group is None else (group.batches, group.written)
    results = await asyncio.gather(*calls, return_exceptions=True)

    assert not any(isinstance(result, BaseException) for result in results[:24]), results[:24]
    assert isinstance(results[24], StaleSessionError)
    assert isinstance(results[25], SessionNotFoundError)
    assert results[26] == stored, "a re-delivered event is a no-op"
    assert isinstance(results[27], DuplicateEventError)
    for n, session in enumerate(good):
        fetched = await service.get_session(
            app_name=APP, user_id=session.user_id, session_id=session.id
        )
        assert fetched is not None
        assert [event.content.parts[0].text for event in fetched.events if event.content] == [
            f"good {n}"
        ]
        assert fetched._storage_update_marker == session._storage_update_marker
    for user in ("u0", "u1", "u2"):
        state = await service.get_user_state(app_name=APP, user_id=user)
        assert state == {f"k{n}": n for n in range(24) if f"u{n % 3}" == user}
    app_state = await service.store.get_app_state(app_name=APP)
    assert app_state["last"] in range(24)
    repeated_now = await service.get_session(app_name=APP, user_id="u2", session_id="repeated")
    assert repeated_now is not None and [event.id for event in repeated_now.events] == [stored.id]
    if group is not None:
        assert before is not None
        assert group.batches - before[0] < len(calls), "appends that waited were sent together"
        assert group.written - before[1] == len(good), "the crowd's good appends were grouped"


async def test_concurrent_appends_to_one_session_keep_every_event_in_a_line(
    service: SqlSessionService,
) -> None:
    created = await _session(service, "u", "one")
    copies = [
        Session(id=created.id, app_name=APP, user_id="u", state={}, events=[]) for _ in range(12)
    ]
    events = [make_event(f"e{n}", delta={"n": n}) for n in range(12)]
    await asyncio.gather(*(service.append_event(c, e) for c, e in zip(copies, events, strict=True)))
    fetched = await service.get_session(app_name=APP, user_id="u", session_id="one")
    assert fetched is not None
    assert sorted(event.id for event in fetched.events) == sorted(event.id for event in events)
    store = service.store
    events_table = store.schema.events
    async with store.unit_of_work(autocommit=True) as connection:
        positions = (
            await connection.execute(
                select(events_table.c.seq)
                .where(events_table.c.session_id == "one")
                .order_by(events_table.c.seq)
            )
        ).scalars()
        assert list(positions) == list(range(1, 13))
    last = next(event for event in fetched.events if event.id == fetched.events[-1].id)
    assert fetched.state["n"] == last.actions.state_delta["n"]


async def test_the_latest_append_of_a_batch_wins_a_scope_key(service: SqlSessionService) -> None:
    group = service.store.statements.group_append
    if group is None:
        pytest.skip("this backend writes appends one by one")
    first = await _session(service, "u", "first")
    second = await _session(service, "u", "second")
    now = datetime.now(UTC)
    batch = []
    for session, value in ((second, "older"), (first, "newer")):
        event = make_event(value)
        batch.append(
            {
                "key_app_name": APP,
                "key_user_id": "u",
                "key_session_id": session.id,
                "expected_revision": None,
                "expected_incarnation": None,
                "new_update_time": now,
                "session_delta": {"mine": value},
                "app_delta": {"shared": value},
                "user_delta": {"shared": value, value: True},
                **{f"event_{name}": v for name, v in event_row(event).items()},
            }
        )
    rows = await service.store.hot_path.fetch(group.statement, group.params(batch))
    assert sorted(row["ordinal"] for row in rows) == [1, 2]
    assert {row["revision"] for row in rows} == {1}
    assert await service.get_user_state(app_name=APP, user_id="u") == {
        "shared": "newer",
        "older": True,
        "newer": True,
    }
    assert (await service.store.get_app_state(app_name=APP)) == {"shared": "newer"}


@dataclass(frozen=True)
class _Pending:
    """An append as the set-based batch writer takes it (`adk_store.batch_steps.PendingAppend`)."""

    key: dict[str, str]
    expected: SessionVersion | None
    event_row: dict[str, Any]
    deltas: StateDeltas


def _pending(session: Session, event: Event, expected: SessionVersion | None = None) -> _Pending:
    return _Pending(
        {"key_app_name": APP, "key_user_id": session.user_id, "key_session_id": session.id},
        expected,
        event_row(event),
        StateDeltas.split(event.actions.state_delta),
    )


async def _write_in_sets(store: SessionStore, batch: list[_Pending]) -> list[Any]:
    async with store.unit_of_work(write=True) as connection:
        return await write_in_sets(connection, store.statements, store.owner_values, batch)


async def test_a_batch_in_sets_applies_its_appends_in_batch_order(
    service: SqlSessionService,
) -> None:
    if service.store.statements.group_append is not None:
        pytest.skip("this backend writes a batch as one statement")
    store = service.store
    sessions = [await _session(service, user, f"s{n}") for n, user in enumerate("aab")]
    await service.append_event(sessions[2], make_event("before", delta={"user:kept": 1}))
    batch = [
        _pending(
            session,
            make_event(f"e{n}", delta={"n": n, "user:shared": n, "user:mine": n, "app:last": n}),
        )
        for n, session in enumerate(sessions)
    ]
    versions = await _write_in_sets(store, batch)

    assert [version.revision for version in versions] == [1, 1, 2]
    assert await service.get_user_state(app_name=APP, user_id="a") == {"shared": 1, "mine": 1}
    assert await service.get_user_state(app_name=APP, user_id="b") == {
        "kept": 1,
        "shared": 2,
        "mine": 2,
    }
    assert await store.get_app_state(app_name=APP) == {"last": 2}
    for n, session in enumerate(sessions):
        fetched = await service.get_session(
            app_name=APP, user_id=session.user_id, session_id=session.id
        )
        assert fetched is not None
        assert fetched.state["n"] == n
        assert fetched.events[-1].id == batch[n].event_row["id"]
        assert fetched._storage_update_marker == versions[n].marker
    events = store.schema.events
    async with store.unit_of_work(autocommit=True) as connection:
        seqs = (
            await connection.execute(
                select(events.c.session_id, events.c.seq).order_by(
                    events.c.session_id, events.c.seq
                )
            )
        ).all()
    assert [tuple(row) for row in seqs] == [("s0", 1), ("s1", 1), ("s2", 1), ("s2", 2)]


async def test_a_batch_in_sets_leaves_out_what_its_locked_rows_refuse(
    service: SqlSessionService,
) -> None:
    if service.store.statements.group_append is not None:
        pytest.skip("this backend writes a batch as one statement")
    store = service.store
    good, stale, gone, repeated = [
        await _session(service, "u", name) for name in ("good", "stale", "gone", "repeated")
    ]
    stored = make_event("first")
    await service.append_event(repeated, stored)
    moved = await service.get_session(app_name=APP, user_id="u", session_id="stale")
    assert moved is not None
    await service.append_event(moved, make_event("moved on"))
    await service.delete_session(app_name=APP, user_id="u", session_id="gone")
    refused = {"user:refused": True, "app:refused": True, "refused": True}
    batch = [
        _pending(stale, make_event("stale", delta=refused), SessionVersion(0, "not-it")),
        _pending(good, make_event("good", delta={"user:ok": 1, "app:ok": 1, "ok": 1})),
        _pending(gone, make_event("gone", delta=refused)),
        _pending(
            repeated, stored.model_copy(update={"actions": make_event(delta=refused).actions})
        ),
        # A second append to one session is not for this batch: it waits for the next.
        _pending(good, make_event("second", delta=refused)),
    ]
    versions = await _write_in_sets(store, batch)

    assert [None if v is None else v.revision for v in versions] == [None, 1, None, None, None]
    assert await service.get_user_state(app_name=APP, user_id="u") == {"ok": 1}
    assert await store.get_app_state(app_name=APP) == {"ok": 1}
    for session_id, texts in (
        ("good", ["good"]),
        ("stale", ["moved on"]),
        ("repeated", ["first"]),
    ):
        fetched = await service.get_session(app_name=APP, user_id="u", session_id=session_id)
        assert fetched is not None
        assert [e.content.parts[0].text for e in fetched.events if e.content] == texts
        assert "refused" not in fetched.state
