"""ADK's session contract, point by point, on every backend.

Where adk-store differs from ADK's InMemorySessionService on purpose, the
difference is named in `DIVERGENCES` and run on both services at the end of
this module: each backend is expected to fail the generic "behaves like the
in-memory service" test for exactly those names, and each name has a test of
what both services do today.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import math
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from google.adk.errors import StaleSessionError
from google.adk.errors.already_exists_error import AlreadyExistsError
from google.adk.errors.session_not_found_error import SessionNotFoundError
from google.adk.events import Event, EventActions
from google.adk.platform import time as platform_time
from google.adk.sessions import InMemorySessionService
from google.adk.sessions.base_session_service import BaseSessionService, GetSessionConfig
from google.adk.sessions.session import Session
from google.genai import types
from helpers import make_event, recorded_statements, revision_of
from sqlalchemy import func, select

from adk_store import DuplicateEventError, SessionStore, SqlSessionService, UnstorableValueError
from adk_store.records import StateDeltas
from adk_store.store import _Append

APP = "app"
USER = "user"


async def _new(service: BaseSessionService, **kwargs):  # type: ignore[no-untyped-def]
    kwargs.setdefault("app_name", APP)
    kwargs.setdefault("user_id", USER)
    return await service.create_session(**kwargs)


async def _get(
    service: BaseSessionService, session: Session, config: GetSessionConfig | None = None
):  # type: ignore[no-untyped-def]
    return await service.get_session(
        app_name=session.app_name, user_id=session.user_id, session_id=session.id, config=config
    )


# -- create / get / state scopes ---------------------------------------------------------


async def test_create_merges_scopes_and_drops_temp(service: SqlSessionService) -> None:
    session = await _new(
        service, state={"k": 1, "app:a": 2, "user:u": 3, "temp:t": 4}, session_id="s1"
    )
    assert session.id == "s1"
    assert session.state == {"k": 1, "app:a": 2, "user:u": 3}
    fetched = await _get(service, session)
    assert fetched == session
    assert fetched.state == {"k": 1, "app:a": 2, "user:u": 3}


async def test_app_user_and_session_scopes_are_shared_correctly(service: SqlSessionService) -> None:
    first = await _new(service, state={"app:shared": "a", "user:mine": "u1", "own": 1})
    same_user = await _new(service)
    other_user = await _new(service, user_id="other")
    other_app = await _new(service, app_name="other-app")
    assert (await _get(service, same_user)).state == {"app:shared": "a", "user:mine": "u1"}
    assert (await _get(service, other_user)).state == {"app:shared": "a"}
    assert (await _get(service, other_app)).state == {}
    assert (await _get(service, first)).state["own"] == 1


async def test_merge_order_session_then_app_then_user(service: SqlSessionService) -> None:
    session = await _new(service)
    await service.append_event(
        session, make_event(delta={"app:k": "app", "user:k": "user", "k": "session"})
    )
    assert (await _get(service, session)).state == {
        "k": "session",
        "app:k": "app",
        "user:k": "user",
    }


async def test_none_is_stored_and_dict_values_replace(service: SqlSessionService) -> None:
    session = await _new(service, state={"gone": 1, "nested": {"a": 1, "b": 2}, "user:x": 1})
    await service.append_event(
        session, make_event(delta={"gone": None, "nested": {"c": 3}, "user:x": None})
    )
    state = (await _get(service, session)).state
    assert "gone" in state and state["gone"] is None
    assert state["nested"] == {"c": 3}
    assert state["user:x"] is None
    assert await service.get_user_state(app_name=APP, user_id=USER) == {"x": None}


async def test_values_without_json_form_are_converted_with_a_warning(
    service: SqlSessionService, caplog: pytest.LogCaptureFixture
) -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with caplog.at_level(logging.WARNING, logger="adk_store"):
        session = await _new(service, state={"when": when, "tags": {"x"}, "fn": print})
    stored = (await _get(service, session)).state
    assert stored["when"] == "2026-01-02T03:04:05Z"
    assert stored["tags"] == ["x"]
    assert isinstance(stored["fn"], str) and "print" in stored["fn"]
    assert "not JSON-serialisable" in caplog.text


async def test_get_user_state_is_unprefixed_and_empty_when_none(service: SqlSessionService) -> None:
    assert await service.get_user_state(app_name=APP, user_id=USER) == {}
    session = await _new(service, state={"user:lang": "fr", "app:v": 1, "k": 0})
    await service.append_event(session, make_event(delta={"user:tz": "CET"}))
    assert await service.get_user_state(app_name=APP, user_id=USER) == {"lang": "fr", "tz": "CET"}
    assert await service.get_user_state(app_name=APP, user_id="nobody") == {}


async def test_same_session_id_under_two_users_is_two_sessions(service: SqlSessionService) -> None:
    a = await _new(service, session_id="same", state={"who": "a"})
    b = await _new(service, user_id="u2", session_id="same", state={"who": "b"})
    await service.append_event(a, make_event("for a"))
    assert (await _get(service, a)).state["who"] == "a"
    assert (await _get(service, b)).state["who"] == "b"
    assert (await _get(service, b)).events == []
    await service.delete_session(app_name=APP, user_id=USER, session_id="same")
    assert await _get(service, a) is None
    assert await _get(service, b) is not None


async def test_session_ids_are_stripped_and_blank_ones_generated(
    service: SqlSessionService,
) -> None:
    session = await _new(service, session_id="  padded  ")
    assert session.id == "padded"
    assert await service.get_session(app_name=APP, user_id=USER, session_id=" padded ") is not None
    generated = await _new(service, session_id="   ")
    assert generated.id.strip() and generated.id != "padded"


# -- GetSessionConfig --------------------------------------------------------------------


async def _session_with_events(service: BaseSessionService, timestamps: list[float]) -> Session:
    session = await _new(service)
    for index, timestamp in enumerate(timestamps):
        await service.append_event(session, make_event(f"e{index}", timestamp=timestamp))
    return session


async def test_num_recent_events_returns_newest_oldest_first(service: SqlSessionService) -> None:
    session = await _session_with_events(service, [100.0 + i for i in range(6)])
    fetched = await _get(service, session, GetSessionConfig(num_recent_events=3))
    assert [e.content.parts[0].text for e in fetched.events] == ["e3", "e4", "e5"]
    everything = await _get(service, session)
    assert [e.content.parts[0].text for e in everything.events] == [f"e{i}" for i in range(6)]


async def test_zero_recent_events_returns_none_without_reading_events(
    service: SqlSessionService,
) -> None:
    session = await _session_with_events(service, [1.0, 2.0])
    events_table = service.store.schema.events.name
    with recorded_statements(service.store.engine) as statements:
        fetched = await _get(service, session, GetSessionConfig(num_recent_events=0))
    assert fetched.events == []
    assert fetched.state == session.state
    assert statements and not any(events_table in sql for sql in statements)


async def test_negative_num_recent_events_is_rejected() -> None:
    with pytest.raises(ValueError):
        GetSessionConfig(num_recent_events=-1)


async def test_after_timestamp_is_inclusive(service: SqlSessionService) -> None:
    session = await _session_with_events(service, [10.5, 20.25, 30.125, 40.0])
    fetched = await _get(service, session, GetSessionConfig(after_timestamp=20.25))
    assert [e.timestamp for e in fetched.events] == [20.25, 30.125, 40.0]
    both = await _get(
        service, session, GetSessionConfig(after_timestamp=20.25, num_recent_events=2)
    )
    assert [e.timestamp for e in both.events] == [30.125, 40.0]
    none = await _get(service, session, GetSessionConfig(after_timestamp=41.0))
    assert none.events == []


# Read options past any time or count a session can hold, and what ADK's
# in-memory service returns for each: nothing is later than 1e20 or infinity,
# everything is later than -1e12 (and than NaN, which no time is less than),
# and every event is among the newest 10**19.
ALL_THREE = [10.0, 20.0, 30.0]
OUT_OF_RANGE_READS: list[tuple[dict[str, Any], list[float]]] = [
    ({"after_timestamp": 1e20}, []),
    ({"after_timestamp": math.inf}, []),
    ({"after_timestamp": 253402300800.0}, []),  # 10000-01-01
    ({"after_timestamp": -math.inf}, ALL_THREE),
    ({"after_timestamp": -1e12}, ALL_THREE),
    ({"after_timestamp": -30610224001.0}, ALL_THREE),  # just before 1000-01-01
    ({"after_timestamp": math.nan}, ALL_THREE),
    ({"num_recent_events": 10**19}, ALL_THREE),
    ({"num_recent_events": 2**63}, ALL_THREE),
    ({"num_recent_events": 2**63 - 1}, ALL_THREE),
    ({"num_recent_events": 2**64}, ALL_THREE),
    ({"after_timestamp": 1e20, "num_recent_events": 10**19}, []),
    ({"after_timestamp": -1e12, "num_recent_events": 2**63}, ALL_THREE),
    ({"after_timestamp": math.nan, "num_recent_events": 2}, [20.0, 30.0]),
]


async def test_read_options_beyond_any_time_or_count_answer_like_in_memory(
    service: SqlSessionService,
) -> None:
    in_memory = InMemorySessionService()
    stored = await _session_with_events(service, ALL_THREE)
    reference = await _session_with_events(in_memory, ALL_THREE)
    for options, expected in OUT_OF_RANGE_READS:
        config = GetSessionConfig(**options)
        for reader, session in ((in_memory, reference), (service, stored)):
            fetched = await _get(reader, session, config)
            assert [e.timestamp for e in fetched.events] == expected, (reader, options)


async def test_timestamp_ties_keep_append_order(service: SqlSessionService) -> None:
    session = await _new(service)
    for event_id in ["b", "c", "a"]:
        await service.append_event(session, make_event(event_id, id=event_id, timestamp=50.0))
    fetched = await _get(service, session)
    assert [e.id for e in fetched.events] == ["b", "c", "a"]
    newest_two = await _get(service, session, GetSessionConfig(num_recent_events=2))
    assert [e.id for e in newest_two.events] == ["c", "a"]


# -- list ------------------------------------------------------------------------------


async def test_list_sessions_orders_by_update_then_user_then_id(service: SqlSessionService) -> None:
    sessions = {}
    for user, sid in [("u1", "b"), ("u1", "a"), ("u2", "a")]:
        sessions[(user, sid)] = await _new(service, user_id=user, session_id=sid)
    # Same update time for all three, then move u1/b to the end.
    for key, session in sessions.items():
        await service.append_event(session, make_event(timestamp=1000.0, id=f"tie-{key[1]}"))
    await service.append_event(sessions[("u1", "b")], make_event(timestamp=2000.0))
    listed = (await service.list_sessions(app_name=APP)).sessions
    assert [(s.user_id, s.id) for s in listed] == [("u1", "a"), ("u2", "a"), ("u1", "b")]
    assert all(s.events == [] for s in listed)
    mine = (await service.list_sessions(app_name=APP, user_id="u1")).sessions
    assert [s.id for s in mine] == ["a", "b"]
    assert (await service.list_sessions(app_name="nothing")).sessions == []


async def test_list_sessions_returns_merged_state(service: SqlSessionService) -> None:
    await _new(service, user_id="u1", state={"k": 1, "user:name": "one", "app:v": 9})
    await _new(service, user_id="u2", state={"user:name": "two"})
    listed = {s.user_id: s.state for s in (await service.list_sessions(app_name=APP)).sessions}
    assert listed == {
        "u1": {"k": 1, "user:name": "one", "app:v": 9},
        "u2": {"user:name": "two", "app:v": 9},
    }


# -- append ----------------------------------------------------------------------------


async def test_partial_events_are_not_stored(service: SqlSessionService) -> None:
    session = await _new(service)
    partial = make_event("streaming", partial=True, delta={"k": 1})
    assert await service.append_event(session, partial) is partial
    fetched = await _get(service, session)
    assert fetched.events == [] and fetched.state == {}
    assert session.events == []


async def test_append_updates_the_callers_session_in_place(service: SqlSessionService) -> None:
    session = await _new(service)
    event = make_event(delta={"k": 1, "temp:scratch": "x", "user:u": 2}, timestamp=1234.5678901)
    returned = await service.append_event(session, event)
    assert returned is event
    assert session.events == [event]
    assert session.state == {"k": 1, "temp:scratch": "x", "user:u": 2}
    assert session.last_update_time == event.timestamp
    assert "temp:scratch" not in event.actions.state_delta
    fetched = await _get(service, session)
    assert "temp:scratch" not in fetched.state
    assert "temp:scratch" not in fetched.events[0].actions.state_delta
    assert fetched.last_update_time == pytest.approx(event.timestamp, abs=1e-6)


async def test_markers_agree_between_create_append_and_get(service: SqlSessionService) -> None:
    session = await _new(service, state={"k": 0})
    assert session._storage_update_marker == (await _get(service, session))._storage_update_marker
    await service.append_event(session, make_event(delta={"k": 1}, timestamp=77.0))
    fetched = await _get(service, session)
    assert session._storage_update_marker == fetched._storage_update_marker
    assert session == fetched
    await service.append_event(fetched, make_event(delta={"k": 2}))


async def test_stale_copy_is_rejected_and_writes_nothing(service: SqlSessionService) -> None:
    session = await _new(service)
    copy_a = await _get(service, session)
    copy_b = await _get(service, session)
    await service.append_event(copy_a, make_event("from a", delta={"k": "a"}))
    with pytest.raises(StaleSessionError):
        await service.append_event(copy_b, make_event("from b", delta={"k": "b", "user:x": 1}))
    stored = await _get(service, session)
    assert [e.content.parts[0].text for e in stored.events] == ["from a"]
    assert stored.state == {"k": "a"}
    refreshed = await _get(service, session)
    await service.append_event(refreshed, make_event("b again", delta={"k": "b"}))
    assert (await _get(service, session)).state == {"k": "b"}


async def test_stale_check_does_not_depend_on_timestamps(service: SqlSessionService) -> None:
    session = await _new(service)
    copy_b = await _get(service, session)
    # The winning write carries an *older* timestamp than the stale copy knows of.
    await service.append_event(session, make_event(timestamp=1.0))
    copy_b.last_update_time = 10**10
    with pytest.raises(StaleSessionError):
        await service.append_event(copy_b, make_event(timestamp=2.0))


async def test_append_to_missing_session_raises_not_found(service: SqlSessionService) -> None:
    ghost = Session(id="ghost", app_name=APP, user_id=USER)
    with pytest.raises(SessionNotFoundError):
        await service.append_event(ghost, make_event())
    session = await _new(service)
    await service.delete_session(app_name=APP, user_id=USER, session_id=session.id)
    with pytest.raises(SessionNotFoundError):
        await service.append_event(session, make_event())


async def test_creating_an_existing_id_raises_already_exists(service: SqlSessionService) -> None:
    await _new(service, session_id="dup", state={"k": 1})
    with pytest.raises(AlreadyExistsError):
        await _new(service, session_id="dup", state={"k": 2, "user:u": 1})
    assert (await service.get_session(app_name=APP, user_id=USER, session_id="dup")).state == {
        "k": 1
    }
    assert await service.get_user_state(app_name=APP, user_id=USER) == {}


async def test_identical_redelivery_is_a_noop(service: SqlSessionService) -> None:
    session = await _new(service)
    event = make_event(delta={"counter": 1})
    await service.append_event(session, event)
    marker = session._storage_update_marker
    await service.append_event(session, copy.deepcopy(event))
    stored = await _get(service, session)
    assert len(stored.events) == 1
    assert stored._storage_update_marker == marker
    assert len(session.events) == 1


async def test_same_id_with_other_content_is_a_clear_error(service: SqlSessionService) -> None:
    session = await _new(service)
    await service.append_event(session, make_event("original", id="e1", delta={"k": 1}))
    with pytest.raises(DuplicateEventError, match="e1") as raised:
        await service.append_event(session, make_event("changed", id="e1", delta={"k": 2}))
    assert isinstance(raised.value, AlreadyExistsError)
    stored = await _get(service, session)
    assert stored.state == {"k": 1}
    assert [e.content.parts[0].text for e in stored.events] == ["original"]


async def test_failed_append_leaves_nothing_behind(service: SqlSessionService) -> None:
    """A failure at the last statement (the event insert) rolls back the state changes."""
    session = await _new(service, state={"k": 0})
    store = service.store
    events = store.schema.events.name
    async with store.engine.begin() as connection:
        if store.engine.dialect.name == "sqlite":
            await connection.exec_driver_sql(
                f"CREATE TRIGGER refuse BEFORE INSERT ON {events} WHEN NEW.author = 'refused' "
                "BEGIN SELECT RAISE(ABORT, 'refused by test'); END"
            )
        elif store.engine.dialect.name in ("mysql", "mariadb"):
            await connection.exec_driver_sql(
                f"CREATE TRIGGER refuse BEFORE INSERT ON {events} FOR EACH ROW "
                "IF NEW.author = 'refused' THEN "
                "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by test'; END IF"
            )
        else:
            await connection.exec_driver_sql(
                "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                "IF NEW.author = 'refused' THEN RAISE EXCEPTION 'refused by test'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            await connection.exec_driver_sql(
                f"CREATE TRIGGER refuse BEFORE INSERT ON {events} "
                "FOR EACH ROW EXECUTE FUNCTION refuse()"
            )
    with pytest.raises(Exception, match="refused by test"):
        await service.append_event(
            session, make_event(author="refused", delta={"k": 1, "app:a": 1, "user:u": 1})
        )
    stored = await _get(service, session)
    assert stored.state == {"k": 0}
    assert stored.events == []
    assert revision_of(stored) == 0


async def test_delete_cascades_to_events(service: SqlSessionService) -> None:
    session = await _session_with_events(service, [1.0, 2.0, 3.0])
    await service.delete_session(app_name=APP, user_id=USER, session_id=session.id)
    events = service.store.schema.events
    async with service.store.engine.connect() as connection:
        count = (await connection.execute(select(func.count()).select_from(events))).scalar()
    assert count == 0
    await service.delete_session(app_name=APP, user_id=USER, session_id=session.id)


# -- event fidelity ---------------------------------------------------------------------


def _rich_event() -> Event:
    return Event(
        author="model_agent",
        invocation_id="inv-rich",
        branch="root.child",
        content=types.Content(
            role="model",
            parts=[
                types.Part(text="Here is the chart ✓ مرحبا 👋"),
                types.Part(inline_data=types.Blob(mime_type="image/png", data=bytes(range(256)))),
                types.Part(
                    function_call=types.FunctionCall(id="fc1", name="lookup", args={"q": 1})
                ),
            ],
        ),
        grounding_metadata=types.GroundingMetadata(web_search_queries=["adk"]),
        usage_metadata=types.GenerateContentResponseUsageMetadata(prompt_token_count=12),
        custom_metadata={"trace": {"id": "abc", "n": [1, 2.5, None, True]}},
        turn_complete=True,
        interrupted=False,
        error_code="E1",
        error_message="partial failure",
        long_running_tool_ids={"fc1"},
        actions=EventActions(
            state_delta={"k": [1, {"x": None}]},
            artifact_delta={"chart.png": 2},
            transfer_to_agent="helper",
            escalate=True,
        ),
    )


async def test_events_round_trip_losslessly_with_bytes(service: SqlSessionService) -> None:
    session = await _new(service)
    event = _rich_event()
    original = event.model_copy(deep=True)
    await service.append_event(session, event)
    fetched = (await _get(service, session)).events[0]
    assert fetched == original
    assert fetched.content.parts[1].inline_data.data == bytes(range(256))


async def test_queryable_columns_mirror_the_event(service: SqlSessionService) -> None:
    session = await _new(service)
    await service.append_event(session, _rich_event())
    events = service.store.schema.events
    async with service.store.engine.connect() as connection:
        row = (await connection.execute(select(events))).one()
    assert row.author == "model_agent" and row.branch == "root.child"
    assert row.turn_complete is True and row.interrupted is False and row.partial is None
    assert row.error_code == "E1" and row.error_message == "partial failure"
    # The document is stored once (revision 0004): no column copies a part of it.
    assert not {"content", "custom_metadata", "grounding_metadata"} & set(row._fields)
    assert row.event_data["content"]["parts"][0]["text"].startswith("Here is the chart")
    assert row.event_data["custom_metadata"] == {"trace": {"id": "abc", "n": [1, 2.5, None, True]}}
    assert row.event_data["grounding_metadata"]["web_search_queries"] == ["adk"]


class _FutureEvent(Event):
    """An Event as a later ADK might define it, with a field 2.13 lacks."""

    sentiment_score: float | None = None


async def test_fields_of_a_newer_adk_are_kept_in_storage(service: SqlSessionService) -> None:
    session = await _new(service)
    await service.append_event(session, _FutureEvent(author="a", sentiment_score=0.75))
    events = service.store.schema.events
    async with service.store.engine.connect() as connection:
        stored = (await connection.execute(select(events.c.event_data))).scalar_one()
    assert stored["sentiment_score"] == 0.75
    assert (await _get(service, session)).events[0].author == "a"


# -- validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("app_name", {"app_name": "a" * 129}),
        ("user_id", {"user_id": "u" * 129}),
        ("session_id", {"session_id": "s" * 129}),
    ],
)
async def test_overlong_ids_fail_before_any_sql(
    service: SqlSessionService, field: str, kwargs: dict[str, str]
) -> None:
    with (
        recorded_statements(service.store.engine) as statements,
        pytest.raises(ValueError, match=rf"{field}.*limit is 128"),
    ):
        await _new(service, **kwargs)
    assert statements == []


async def test_ids_at_the_limit_work(service: SqlSessionService) -> None:
    session = await _new(service, app_name="a" * 128, user_id="u" * 128, session_id="s" * 128)
    await service.append_event(session, make_event(id="e" * 128, invocation_id="i" * 256))
    assert len((await _get(service, session)).events) == 1


async def test_overlong_event_ids_fail_before_any_sql(service: SqlSessionService) -> None:
    session = await _new(service)
    with recorded_statements(service.store.engine) as statements:
        with pytest.raises(ValueError, match=r"invocation_id.*limit is 256"):
            await service.append_event(session, make_event(invocation_id="i" * 257))
        with pytest.raises(ValueError, match=r"event id.*limit is 128"):
            await service.append_event(session, make_event(id="e" * 129))
    assert statements == []


async def test_unmarked_session_appends_on_current_storage(service: SqlSessionService) -> None:
    created = await _new(service, session_id="m")
    await service.append_event(created, make_event(delta={"k": 1}))
    handmade = Session(id="m", app_name=APP, user_id=USER)
    await service.append_event(handmade, make_event(delta={"j": 2}))
    assert (await _get(service, created)).state == {"k": 1, "j": 2}
    assert revision_of(handmade) == 2


async def test_foreign_marker_is_refused(service: SqlSessionService) -> None:
    session = await _new(service)
    session._storage_update_marker = "2026-01-01T00:00:00.000000"
    with pytest.raises(StaleSessionError, match="get_session"):
        await service.append_event(session, make_event())


async def test_concurrent_appends_from_one_task_group(service: SqlSessionService) -> None:
    """Appends to many sessions at once all land, each exactly once."""
    sessions = [await _new(service) for _ in range(8)]

    async def write(session: Session) -> None:
        for index in range(5):
            await service.append_event(session, make_event(f"{index}", delta={"n": index}))

    await asyncio.gather(*(write(s) for s in sessions))
    for session in sessions:
        stored = await _get(service, session)
        assert [e.content.parts[0].text for e in stored.events] == ["0", "1", "2", "3", "4"]
        assert stored.state == {"n": 4}


async def test_megabytes_of_state_and_binary_parts_round_trip(service: SqlSessionService) -> None:
    big_state = {"document": "x" * 3_000_000, "rows": list(range(50_000))}
    session = await _new(service, state=big_state)
    payload = bytes(range(256)) * 8192  # 2 MiB
    event = Event(
        author="agent",
        content=types.Content(
            role="user",
            parts=[types.Part(inline_data=types.Blob(mime_type="application/pdf", data=payload))],
        ),
        actions=EventActions(state_delta={"user:avatar": "y" * 1_000_000}),
    )
    await service.append_event(session, event)
    fetched = await _get(service, session)
    assert fetched.state["document"] == big_state["document"]
    assert fetched.state["rows"] == big_state["rows"]
    assert fetched.state["user:avatar"] == "y" * 1_000_000
    assert fetched.events[0].content.parts[0].inline_data.data == payload


# -- paged listing (beyond ADK) ---------------------------------------------------------


async def _all_pages(service: SqlSessionService, page_size: int, **query: str) -> list[str]:
    seen: list[str] = []
    token = None
    while True:
        page = await service.list_sessions_page(page_size=page_size, page_token=token, **query)
        seen += [f"{s.user_id}/{s.id}" for s in page.sessions]
        assert all(s.events == [] for s in page.sessions)
        token = page.next_page_token
        if token is None:
            return seen


async def test_paged_listing_matches_the_full_listing(service: SqlSessionService) -> None:
    for index in range(7):
        session = await _new(service, user_id=f"u{index % 2}", session_id=f"s{index}")
        await service.append_event(session, make_event(timestamp=100.0 + index % 3))
    full = [f"{s.user_id}/{s.id}" for s in (await service.list_sessions(app_name=APP)).sessions]
    assert await _all_pages(service, 3, app_name=APP) == full
    assert await _all_pages(service, 1, app_name=APP) == full
    mine = [
        f"{s.user_id}/{s.id}"
        for s in (await service.list_sessions(app_name=APP, user_id="u1")).sessions
    ]
    assert await _all_pages(service, 2, app_name=APP, user_id="u1") == mine
    page = await service.list_sessions_page(app_name=APP, page_size=7)
    assert page.next_page_token is None and len(page.sessions) == 7


async def test_paging_is_stable_while_sessions_are_added(service: SqlSessionService) -> None:
    for index in range(4):
        await _new(service, session_id=f"old{index}")
    first = await service.list_sessions_page(app_name=APP, user_id=USER, page_size=2)
    for index in range(3):
        await _new(service, session_id=f"new{index}")
    rest: list[str] = []
    token = first.next_page_token
    while token:
        page = await service.list_sessions_page(
            app_name=APP, user_id=USER, page_size=2, page_token=token
        )
        rest += [s.id for s in page.sessions]
        token = page.next_page_token
    listed = [s.id for s in first.sessions] + rest
    assert sorted(listed) == sorted([f"old{i}" for i in range(4)] + [f"new{i}" for i in range(3)])
    assert len(listed) == len(set(listed))


async def test_bad_page_tokens_and_sizes_are_explained(service: SqlSessionService) -> None:
    for index in range(3):
        await _new(service, session_id=f"s{index}")
    page = await service.list_sessions_page(app_name=APP, page_size=1)
    with pytest.raises(ValueError, match="another listing"):
        await service.list_sessions_page(
            app_name=APP, user_id=USER, page_size=1, page_token=page.next_page_token
        )
    with pytest.raises(ValueError, match="Invalid page_token"):
        await service.list_sessions_page(app_name=APP, page_size=1, page_token="not-a-token")
    with pytest.raises(ValueError, match="page_size"):
        await service.list_sessions_page(app_name=APP, page_size=0)


async def test_append_round_trips_per_dialect(service: SqlSessionService) -> None:
    """PostgreSQL appends in one statement; the portable path locks, then writes."""
    session = await _new(service)
    await service.append_event(session, make_event("warm-up"))
    with recorded_statements(service.store.engine) as statements:
        await service.append_event(session, make_event(delta={"k": 1, "user:u": 1}))
    data_statements = [sql for sql in statements if not sql.startswith(("BEGIN", "PRAGMA"))]
    if service.store.engine.dialect.name == "postgresql":
        assert len(data_statements) == 1 and data_statements[0].startswith("WITH bumped AS")
    else:
        assert len(data_statements) >= 4
        assert "FOR UPDATE" in data_statements[0] or data_statements[0].startswith("SELECT")
    stale = await _get(service, session)
    await service.append_event(session, make_event("moves storage on"))
    with recorded_statements(service.store.engine), pytest.raises(StaleSessionError):
        await service.append_event(stale, make_event("refused"))
    assert [e.content.parts[0].text for e in (await _get(service, session)).events][-1] == (
        "moves storage on"
    )


async def test_non_string_ids_and_conflicting_arguments_are_refused(
    service: SqlSessionService,
) -> None:
    with pytest.raises(ValueError, match="user_id must be a string, got int"):
        await service.create_session(app_name=APP, user_id=42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="either a store or a URL"):
        SqlSessionService("sqlite+aiosqlite://", store=service.store)


# -- where adk-store differs from ADK's in-memory service --------------------------------

# Every deliberate difference, by name: why adk-store behaves otherwise.
# docs/design.md lists the same names.
DIVERGENCES = {
    "reused_event_id_with_other_content": (
        "refused with DuplicateEventError, so one id never names two events; in-memory stores both"
    ),
    "stale_session_copy": (
        "refused with StaleSessionError, so no writer builds on history it has not seen; "
        "in-memory applies it"
    ),
    "times_read_back_to_the_microsecond": (
        "last_update_time lives in a timestamp column, exact to the microsecond everywhere; "
        "in-memory keeps the float"
    ),
    "values_some_database_cannot_store": (
        "NaN, -0.0, NUL, lone surrogates, huge integers and event times outside the years "
        "1000 to 9999 are refused with UnstorableValueError, so data can move between "
        "databases; in-memory keeps them"
    ),
    "state_values_without_json_form": (
        "converted to JSON with a warning, as ADK's database services do; "
        "in-memory keeps the objects"
    ),
    "overlong_ids": (
        "ids longer than their 128-character columns are refused with a ValueError before "
        "any SQL; in-memory takes any length"
    ),
}
DESIGN_DOC = Path(__file__).resolve().parents[1] / "docs" / "design.md"
DIVERGENCE_SECTION = "## Where adk-store differs from ADK's in-memory service"
# Refusals a scenario records instead of raising: ADK's and ValueError.
REFUSALS = (AlreadyExistsError, SessionNotFoundError, StaleSessionError, ValueError)
UNSTORABLE_VALUES: tuple[object, ...] = (
    "a\x00b",
    float("nan"),
    float("inf"),
    -0.0,
    "\ud800",
    2**70,
)
# Event times before 1000-01-01 and from 10000-01-01 on.
UNSTORABLE_TIMES = (-30610224001.0, 253402300800.0, -1e12)

Outcome = tuple[Any, ...]


async def _refusal(call: Awaitable[object]) -> type[Exception] | None:
    """The error ``call`` was refused with, or None if it was accepted."""
    try:
        await call
    except REFUSALS as error:
        return type(error)
    return None


def _texts(session: Session) -> list[str]:
    return [event.content.parts[0].text for event in session.events]


async def _reused_event_id(service: BaseSessionService) -> Outcome:
    session = await _new(service)
    await service.append_event(session, make_event("original", id="e1"))
    refusal = await _refusal(service.append_event(session, make_event("changed", id="e1")))
    return refusal, _texts(await _get(service, session))


async def _stale_copy(service: BaseSessionService) -> Outcome:
    session = await _new(service)
    first, second = await _get(service, session), await _get(service, session)
    await service.append_event(first, make_event("first"))
    refusal = await _refusal(service.append_event(second, make_event("second")))
    return refusal, _texts(await _get(service, session))


async def _arrival_order(service: BaseSessionService) -> Outcome:
    session = await _new(service)
    for event_id, timestamp in (("b", 50.0), ("c", 50.0), ("a", 50.0), ("z", 20.0)):
        await service.append_event(session, make_event(event_id, id=event_id, timestamp=timestamp))
    everything = await _get(service, session)
    newest = await _get(service, session, GetSessionConfig(num_recent_events=2))
    return [e.id for e in everything.events], [e.id for e in newest.events]


async def _sub_microsecond_time(service: BaseSessionService) -> Outcome:
    session = await _new(service)
    await service.append_event(session, make_event(timestamp=1234.5678901))
    fetched = await _get(service, session)
    return session.last_update_time, fetched.last_update_time, fetched.events[0].timestamp


async def _unstorable_values(service: BaseSessionService) -> Outcome:
    refusals = [await _refusal(_new(service, state={"k": value})) for value in UNSTORABLE_VALUES]
    session = await _new(service)
    for timestamp in UNSTORABLE_TIMES:
        event = make_event(timestamp=timestamp)
        refusals.append(await _refusal(service.append_event(session, event)))
    stored = await _get(service, session)
    return refusals, len((await service.list_sessions(app_name=APP)).sessions), len(stored.events)


async def _non_json_value(service: BaseSessionService) -> Outcome:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    created = await _new(service, state={"when": when})
    return created.state["when"], (await _get(service, created)).state["when"]


async def _overlong_id(service: BaseSessionService) -> Outcome:
    return (await _refusal(_new(service, user_id="u" * 129)),)


async def _id_ending_with_a_space(service: BaseSessionService) -> Outcome:
    refusal = await _refusal(_new(service, user_id="alice ", state={"user:name": "padded"}))
    return refusal, await service.get_user_state(app_name=APP, user_id="alice")


SCENARIOS: dict[str, Callable[[BaseSessionService], Awaitable[Outcome]]] = {
    "reused_event_id_with_other_content": _reused_event_id,
    "stale_session_copy": _stale_copy,
    "times_read_back_to_the_microsecond": _sub_microsecond_time,
    "values_some_database_cannot_store": _unstorable_values,
    "state_values_without_json_form": _non_json_value,
    "overlong_ids": _overlong_id,
}
# Scenarios that were divergences once and now behave exactly as in-memory.
CONFORMING: dict[str, Callable[[BaseSessionService], Awaitable[Outcome]]] = {
    # Events come back in the order they were appended, whatever their timestamps.
    "append_order_under_skewed_clocks": _arrival_order,
    # 'alice ' and 'alice' are two users on every database (NO PAD on MySQL/MariaDB).
    "ids_ending_with_a_space": _id_ending_with_a_space,
}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            name, marks=pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason)
        )
        for name, reason in DIVERGENCES.items()
    ],
)
async def test_behaves_like_in_memory(service: SqlSessionService, name: str) -> None:
    scenario = SCENARIOS[name]
    assert await scenario(service) == await scenario(InMemorySessionService())


def test_every_divergence_has_a_scenario_and_is_documented() -> None:
    assert SCENARIOS.keys() == DIVERGENCES.keys()
    text = DESIGN_DOC.read_text()
    assert DIVERGENCE_SECTION in text, f"docs/design.md lacks {DIVERGENCE_SECTION!r}"
    section = text.split(DIVERGENCE_SECTION, 1)[1].split("\n## ", 1)[0]
    assert set(re.findall(r"^- `(\w+)`", section, re.MULTILINE)) == set(DIVERGENCES)


async def test_divergence_reused_event_id_with_other_content(service: SqlSessionService) -> None:
    assert await _reused_event_id(InMemorySessionService()) == (None, ["original", "changed"])
    assert await _reused_event_id(service) == (DuplicateEventError, ["original"])


async def test_divergence_stale_session_copy(service: SqlSessionService) -> None:
    assert await _stale_copy(InMemorySessionService()) == (None, ["first", "second"])
    assert await _stale_copy(service) == (StaleSessionError, ["first"])


@pytest.mark.parametrize("name", CONFORMING)
async def test_conforms_to_in_memory(service: SqlSessionService, name: str) -> None:
    scenario = CONFORMING[name]
    assert await scenario(service) == await scenario(InMemorySessionService())


async def test_events_come_back_in_append_order_under_skewed_clocks(
    service: SqlSessionService,
) -> None:
    """An event appended later with an earlier timestamp (another host's clock) stays last."""
    assert await _arrival_order(service) == (["b", "c", "a", "z"], ["a", "z"])


async def test_divergence_times_read_back_to_the_microsecond(service: SqlSessionService) -> None:
    assert await _sub_microsecond_time(InMemorySessionService()) == (1234.5678901,) * 3
    in_hand, read_back, event_time = await _sub_microsecond_time(service)
    assert in_hand == event_time == 1234.5678901
    assert read_back == pytest.approx(1234.56789, abs=1e-9)


async def test_divergence_values_some_database_cannot_store(service: SqlSessionService) -> None:
    values, times = len(UNSTORABLE_VALUES), len(UNSTORABLE_TIMES)
    assert await _unstorable_values(InMemorySessionService()) == (
        [None] * (values + times),
        values + 1,
        times,
    )
    refusals, sessions, events = await _unstorable_values(service)
    assert all(r is not None and issubclass(r, UnstorableValueError) for r in refusals), refusals
    assert (sessions, events) == (1, 0)


async def test_divergence_state_values_without_json_form(service: SqlSessionService) -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert await _non_json_value(InMemorySessionService()) == (when, when)
    assert await _non_json_value(service) == ("2026-01-02T03:04:05Z",) * 2


async def test_divergence_overlong_ids(service: SqlSessionService) -> None:
    assert await _overlong_id(InMemorySessionService()) == (None,)
    (refusal,) = await _overlong_id(service)
    assert refusal is not None and issubclass(refusal, ValueError)


async def test_a_copy_of_a_deleted_session_is_stale_under_a_frozen_clock(
    service: SqlSessionService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Delete, create the id again and append, all in one microsecond (a frozen test clock).

    A marker of revision and creation time let the old copy's append into
    the new session; each creation now has a random incarnation.
    """
    monkeypatch.setattr(platform_time, "get_time", lambda: 1_700_000_000.0)
    old = await _new(service, session_id="frozen")
    await service.append_event(old, make_event("first life", timestamp=1_700_000_000.0))
    await service.delete_session(app_name=APP, user_id=old.user_id, session_id="frozen")
    new = await _new(service, session_id="frozen")
    await service.append_event(new, make_event("second life", timestamp=1_700_000_000.0))
    assert revision_of(old) == revision_of(new)
    with pytest.raises(StaleSessionError, match="deleted and created again"):
        await service.append_event(old, make_event("ghost", timestamp=1_700_000_000.0))
    stored = await _get(service, new)
    assert [e.content.parts[0].text for e in stored.events] == ["second life"]


def test_an_unversioned_append_whose_session_was_recreated_mid_call_is_stale() -> None:
    """The one-statement append wrote nothing and the probe then found a session.

    With no version expected that only happens when the session was deleted
    and created again between the two statements (too narrow a window to hit
    from outside); the refusal must be ADK's error, not a failed assertion.
    """
    key = {"key_app_name": APP, "key_user_id": USER, "key_session_id": "s"}
    probe = SimpleNamespace(revision=0, incarnation="ab12", existing_event=None)
    append = _Append(key, None, {"id": "e1", "event_data": {"id": "e1"}}, StateDeltas.split({}))
    with pytest.raises(StaleSessionError, match="deleted and created again while"):
        SessionStore._refusal(append, probe)
