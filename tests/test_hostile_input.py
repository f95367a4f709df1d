"""Hostile and malformed input through the public API, on every backend.

Each input is either stored and read back exactly or refused with a clear
error before any SQL runs, and the store is unchanged afterwards: the session
reads back as it was and later appends work. Property tests (hypothesis) run
on one database of each kind; the explicit cases run on every backend.
"""

from __future__ import annotations

import functools
import math
import re
import traceback
import unicodedata
import uuid
from typing import Any

import pytest
from conftest import BACKENDS, Database
from google.adk.events import Event, EventActions
from google.adk.sessions.session import Session
from google.genai import types
from helpers import make_event, recorded_statements
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from servers import MariaDBServer, PostgresServer, free_port
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from adk_store import SessionStore, SqlSessionService, StoreConfigurationError, TableLayout
from adk_store.cli import app as cli_app
from adk_store.engine import create_engine
from adk_store.errors import StoreConnectionError, UnstorableValueError
from adk_store.identifiers import MAX_ID_LENGTH, validate_schema_name
from adk_store.validation import MAX_STATE_VALUE_DEPTH

APP = "app"
USER = "user"
TEN_MB = 10 * 1024 * 1024
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# The largest float below the 1e16 limit, and the smallest positive one.
LARGEST_EXACT_FLOAT = math.nextafter(1e16, 0)
SMALLEST_FLOAT = math.nextafter(0, 1)
PROPERTY_BACKENDS = [b for b in ("sqlite-file", "postgresql", "mysql-aiomysql") if b in BACKENDS]
# Event times run from the start of year 1000 up to, not including, year 10000.
YEAR_1000 = -30610224000.0
YEAR_10000 = 253402300800.0
PASSWORD = "s3cr@t:pw/#?"
PASSWORD_IN_URL = "s3cr%40t%3Apw%2F%23%3F"


def _nested(levels: int, leaf: Any = "bottom") -> Any:
    """A value nesting ``levels`` objects and arrays, alternating."""
    value = leaf
    for level in range(levels):
        value = [value] if level % 2 else {"k": value}
    return value


def _same(stored: Any, given_value: Any) -> bool:
    """Equal, with the same JSON types all the way down (a float must not come back an int)."""
    if type(stored) is not type(given_value):
        return False
    if isinstance(given_value, float):
        # -0.0 == 0.0: the sign of zero is compared on its own.
        return stored == given_value and math.copysign(1, stored) == math.copysign(1, given_value)
    if isinstance(given_value, dict):
        return stored.keys() == given_value.keys() and all(
            _same(stored[key], given_value[key]) for key in given_value
        )
    if isinstance(given_value, list):
        return len(stored) == len(given_value) and all(map(_same, stored, given_value))
    return bool(stored == given_value)


async def _get(service: SqlSessionService, session: Session) -> Session:
    fetched = await service.get_session(
        app_name=session.app_name, user_id=session.user_id, session_id=session.id
    )
    assert fetched is not None
    return fetched


# -- values nothing can store exactly ----------------------------------------------------

# (what, value, words the error must contain)
UNSTORABLE_VALUES: list[tuple[str, Any, str]] = [
    ("NaN", float("nan"), "is NaN"),
    ("infinity", float("inf"), "is inf"),
    ("minus infinity", float("-inf"), "is -inf"),
    ("integer above 64 bits", INT64_MAX + 1, "64-bit range"),
    ("integer below 64 bits", INT64_MIN - 1, "64-bit range"),
    ("float of 1e16", 1e16, "back as integers"),
    ("huge float", -1.7976931348623157e308, "back as integers"),
    ("negative zero", -0.0, "is -0.0"),
    ("NUL in text", "before\x00after", "NUL character"),
    ("lone surrogate", "emoji half \ud83d", "lone surrogate"),
    ("NUL in a key", {"key\x00": 1}, "has a key 'key\\x00' that contains the NUL"),
    ("surrogate in a key", {"\udc80": 1}, "lone surrogate"),
    ("too deep", _nested(MAX_STATE_VALUE_DEPTH + 1), "more than 31 levels"),
    ("NaN deep inside", {"a": [1, {"b": float("nan")}]}, "is NaN"),
    ("bytes that are not UTF-8", b"\xff\xfe", "not UTF-8"),
    ("bytes holding NUL", b"a\x00", "NUL character"),
]


async def test_unstorable_state_is_refused_before_sql_and_changes_nothing(
    database: Database, service: SqlSessionService
) -> None:
    session = await service.create_session(
        app_name=APP, user_id=USER, state={"kept": 1, "user:pref": "a"}
    )
    await service.append_event(session, make_event("first", delta={"app:shared": 2}))
    before = await _get(service, session)
    scopes = ("bad", "app:bad", "user:bad")
    for index, (what, value, words) in enumerate(UNSTORABLE_VALUES):
        key = scopes[index % len(scopes)]
        with recorded_statements(service.store.engine) as statements:
            with pytest.raises(
                UnstorableValueError, match=rf"state\['{key}'\].*{re.escape(words)}"
            ) as raised:
                await service.create_session(
                    app_name=APP,
                    user_id=USER,
                    session_id=f"refused{index}",
                    state={"fine": "ok", key: value},
                )
            assert isinstance(raised.value, ValueError), what
            with pytest.raises(
                UnstorableValueError,
                match=rf"event\.actions\.state_delta\['{key}'\].*{re.escape(words)}",
            ):
                await service.append_event(session, make_event(delta={"fine": "ok", key: value}))
        assert statements == [], f"{what}: SQL ran before the refusal"
        # The caller's copy is untouched too.
        assert session.state == before.state and len(session.events) == 1, what

    after = await _get(service, session)
    assert after == before
    listed = await service.list_sessions(app_name=APP, user_id=USER)
    assert [s.id for s in listed.sessions] == [session.id]
    assert await service.get_user_state(app_name=APP, user_id=USER) == {"pref": "a"}
    await service.append_event(session, make_event("later", delta={"kept": 2}))
    later = await _get(service, session)
    assert later.state["kept"] == 2 and [e.content.parts[0].text for e in later.events] == [
        "first",
        "later",
    ]


def _event_with(**fields: Any) -> Event:
    return Event(author="agent", invocation_id="inv", **fields)


def _text_event(text: str) -> Event:
    return _event_with(content=types.Content(role="model", parts=[types.Part(text=text)]))


def _call_event(args: dict[str, Any]) -> Event:
    call = types.FunctionCall(name="lookup", args=args)
    return _event_with(content=types.Content(role="model", parts=[types.Part(function_call=call)]))


# (event, path and words the error must contain)
UNSTORABLE_EVENTS: list[tuple[Event, str]] = [
    (_text_event("nul \x00 inside"), r"event\.content\.parts\[0\]\.text.*NUL character"),
    (_text_event("half \udfff"), r"event\.content\.parts\[0\]\.text.*lone surrogate"),
    (_event_with(custom_metadata={"score": float("nan")}), r"custom_metadata\['score'\].*NaN"),
    (_call_event({"limit": float("inf")}), r"function_call\.args\['limit'\].*is inf"),
    (_call_event({"id": 2**64}), r"function_call\.args\['id'\].*64-bit"),
    (_call_event({"offset": -0.0}), r"function_call\.args\['offset'\].*is -0\.0"),
    (_event_with(timestamp=YEAR_10000), r"event\.timestamp.*after 9999-12-31"),
    (_event_with(timestamp=1e12), r"event\.timestamp.*after 9999-12-31"),
    (_event_with(timestamp=-1e12), r"event\.timestamp.*before 1000-01-01"),
    (_event_with(timestamp=YEAR_1000 - 1), r"event\.timestamp.*before 1000-01-01"),
    (_event_with(timestamp=math.nan), r"event\.timestamp.*is NaN"),
    (_call_event({"deep": _nested(40)}), r"function_call\.args\['deep'\].*31 levels"),
    (_event_with(error_message="boom\x00"), r"event\.error_message.*NUL"),
    (
        _event_with(actions=EventActions(artifact_delta={"f\x00": 1})),
        r"event\.actions\.artifact_delta: it has a key 'f\\x00'",
    ),
]


async def test_unstorable_event_fields_are_refused_and_change_nothing(
    database: Database, service: SqlSessionService
) -> None:
    session = await service.create_session(app_name=APP, user_id=USER, state={"k": 1})
    await service.append_event(session, make_event("first"))
    before = await _get(service, session)
    for event, expected in UNSTORABLE_EVENTS:
        with (
            recorded_statements(service.store.engine) as statements,
            pytest.raises(UnstorableValueError, match=expected),
        ):
            await service.append_event(session, event)
        assert statements == []
    assert await _get(service, session) == before
    # temp: keys are never stored, so what they hold is not checked.
    kept = await service.append_event(
        session, make_event("temp", delta={"temp:scratch": float("nan"), "k": 2})
    )
    stored = await _get(service, session)
    assert stored.state == {"k": 2} and stored.events[-1] == kept
    assert "temp:scratch" not in stored.events[-1].actions.state_delta


# -- values at the limits ------------------------------------------------------------------

TEXTS = {
    "emoji": "😀👍🏽👨‍👩‍👧‍👦🇫🇷",
    "right to left": "\u202eمرحبا بالعالم\u202c שלום",
    "combining": "e\u0301 vs \u00e9, \u1100\u1161",
    "controls": "\x01\x08\x1b\x1f\x7f tab\tnew\nline",
    "separators": "\u2028\u2029\u00a0\u200b\ufeff",
    "extremes": "\u0080\uffff\U00010000\U0010ffff",
    "quotes": "'\"\\`;--/*",
    "empty": "",
}
EDGE_STATE: dict[str, Any] = {
    "max int": INT64_MAX,
    "min int": INT64_MIN,
    "largest float": LARGEST_EXACT_FLOAT,
    "most negative float": -LARGEST_EXACT_FLOAT,
    "smallest float": SMALLEST_FLOAT,
    "small float": 1.5e-7,
    "float": 0.1,
    "whole float": 2.0**53,
    "deepest": _nested(MAX_STATE_VALUE_DEPTH),
    "empty object": {},
    "empty list": [],
    "null": None,
    **{f"text {name}": text for name, text in TEXTS.items()},
    **{f"key {text}": name for name, text in TEXTS.items()},
}


async def test_values_at_the_limits_round_trip_exactly(
    database: Database, service: SqlSessionService
) -> None:
    session = await service.create_session(app_name=APP, user_id=USER, state=EDGE_STATE)
    assert _same((await _get(service, session)).state, EDGE_STATE)

    delta = {f"user:{key}": value for key, value in EDGE_STATE.items()}
    event = _event_with(
        content=types.Content(role="model", parts=[types.Part(text=t) for t in TEXTS.values()]),
        custom_metadata=EDGE_STATE,
        actions=EventActions(state_delta=delta),
    )
    await service.append_event(session, event)
    stored = await _get(service, session)
    assert _same(stored.state, {**EDGE_STATE, **delta})
    assert stored.events == [event]
    assert _same(stored.events[0].custom_metadata, EDGE_STATE)
    user_state = await service.get_user_state(app_name=APP, user_id=USER)
    assert _same(user_state, EDGE_STATE)


async def test_event_times_at_the_limits_round_trip(
    database: Database, service: SqlSessionService
) -> None:
    latest = math.nextafter(YEAR_10000, 0)
    session = await service.create_session(app_name=APP, user_id=USER, session_id="late")
    earliest = await service.create_session(app_name=APP, user_id=USER, session_id="early")
    await service.append_event(earliest, make_event("first second", timestamp=YEAR_1000))
    for timestamp in (YEAR_1000, latest):
        await service.append_event(session, make_event(timestamp=timestamp))
    stored = await _get(service, session)
    assert [e.timestamp for e in stored.events] == [YEAR_1000, latest]
    assert (await _get(service, earliest)).last_update_time == YEAR_1000
    # A session last updated at the first storable time is still on the first page.
    page = await service.list_sessions_page(app_name=APP, user_id=USER)
    assert [s.id for s in page.sessions] == ["early", "late"]


async def test_unicode_ids_at_their_limits_round_trip(
    database: Database, service: SqlSessionService
) -> None:
    app_name = "😀" * MAX_ID_LENGTH
    user_id = ("\u202eשלום مرحبا Ab " * 10)[: MAX_ID_LENGTH - 1] + "!"
    session_id = "e\u0301" * (MAX_ID_LENGTH // 2)
    other_form = unicodedata.normalize("NFC", session_id)  # the same text, composed
    session = await service.create_session(
        app_name=app_name, user_id=user_id, session_id=session_id
    )
    event = make_event(
        "hi",
        id="🎉" * MAX_ID_LENGTH,
        invocation_id="🧵" * 256,
        author="🤖" * 256,
        branch="🌿" * 1024,
    )
    await service.append_event(session, event)
    stored = await _get(service, session)
    assert (stored.app_name, stored.user_id, stored.id) == (app_name, user_id, session_id)
    assert stored.events == [event]
    listed = await service.list_sessions(app_name=app_name, user_id=user_id)
    assert [s.id for s in listed.sessions] == [session_id]
    # Ids are compared as stored, never normalised or case-folded.
    assert (
        await service.get_session(app_name=app_name, user_id=user_id, session_id=other_form) is None
    )
    assert (
        await service.get_session(app_name=app_name, user_id=user_id.upper(), session_id=session_id)
        is None
    )
    await service.delete_session(app_name=app_name, user_id=user_id, session_id=session_id)
    assert (
        await service.get_session(app_name=app_name, user_id=user_id, session_id=session_id) is None
    )


# -- ids that cannot be stored -----------------------------------------------------------

BAD_IDS: list[tuple[object, str]] = [
    ("😀" * (MAX_ID_LENGTH + 1), "129 characters long; the limit is 128"),
    ("nul\x00", "NUL character"),
    ("\ud800", "lone surrogate"),
    (42, "must be a string, got int"),
    (b"bytes", "must be a string, got bytes"),
]


async def test_bad_ids_are_refused_before_sql(
    database: Database, service: SqlSessionService
) -> None:
    session = await service.create_session(app_name=APP, user_id=USER, session_id="s")
    key = {"app_name": APP, "user_id": USER, "session_id": "s"}
    with recorded_statements(service.store.engine) as statements:
        for field in ("app_name", "user_id", "session_id"):
            for value, words in BAD_IDS:
                bad = dict(key, **{field: value})
                for call in (service.create_session, service.get_session, service.delete_session):
                    with pytest.raises(ValueError, match=rf"{field}.*{words}"):
                        await call(**bad)  # type: ignore[operator]
        for field in ("app_name", "user_id"):
            for value, words in BAD_IDS:
                with pytest.raises(ValueError, match=rf"{field}.*{words}"):
                    await service.list_sessions(**{"app_name": APP, "user_id": USER, field: value})
                with pytest.raises(ValueError, match=rf"{field}.*{words}"):
                    await service.get_user_state(**{"app_name": APP, "user_id": USER, field: value})
        event_fields = [
            ("id", "event id"),
            ("invocation_id", "invocation_id"),
            ("author", "author"),
            ("branch", "branch"),
        ]
        for attribute, name in event_fields:
            for value, words in [("x\x00", "NUL"), ("\udbff", "surrogate")]:
                event = make_event()
                setattr(event, attribute, value)
                with pytest.raises(ValueError, match=rf"{name}.*{words}"):
                    await service.append_event(session, event)
    assert statements == []
    assert (await _get(service, session)).events == []


async def test_blank_and_padded_session_ids_follow_adk(
    database: Database, service: SqlSessionService
) -> None:
    generated = [
        await service.create_session(app_name=APP, user_id=USER, session_id=blank)
        for blank in (None, "", "  \t\n")
    ]
    assert all(uuid.UUID(s.id) for s in generated)
    assert len({s.id for s in generated}) == 3
    padded = await service.create_session(app_name=APP, user_id=USER, session_id="  s1\t")
    assert padded.id == "s1"
    assert await service.get_session(app_name=APP, user_id=USER, session_id="\ns1 ") is not None
    await service.delete_session(app_name=APP, user_id=USER, session_id=" s1 ")
    assert await service.get_session(app_name=APP, user_id=USER, session_id="s1") is None
    # ADK accepts empty app names and user ids; so does every backend here.
    empty = await service.create_session(app_name="", user_id="", state={"k": 1})
    assert (await _get(service, empty)).state == {"k": 1}
    assert [s.id for s in (await service.list_sessions(app_name="", user_id="")).sessions] == [
        empty.id
    ]


async def test_a_trailing_space_never_reaches_another_users_rows(
    database: Database, service: SqlSessionService
) -> None:
    """'alice ' is another user than 'alice' on every database, MySQL and MariaDB included.

    Revision 0001's PAD SPACE collation compared them equal on MySQL and
    MariaDB (where 'alice ' read alice's sessions), so such ids were refused;
    revision 0002's NO PAD collation keeps them apart, as everywhere else.
    """
    alice = await service.create_session(
        app_name=APP, user_id="alice", session_id="s", state={"user:secret": 1}
    )
    padded = await service.create_session(
        app_name=APP, user_id="alice ", session_id="s", state={"user:secret": 2}
    )
    assert (await service.get_user_state(app_name=APP, user_id="alice ")) == {"secret": 2}
    assert (await service.get_user_state(app_name=APP, user_id="alice")) == {"secret": 1}
    listed = (await service.list_sessions(app_name=APP, user_id="alice ")).sessions
    assert [(s.user_id, s.id) for s in listed] == [("alice ", "s")]
    await service.append_event(padded, make_event("padded only"))
    await service.delete_session(app_name=APP, user_id="alice ", session_id="s")
    assert await service.get_session(app_name=APP, user_id="alice ", session_id="s") is None
    # Alice's own session is untouched by everything done to 'alice '.
    kept = await _get(service, alice)
    assert kept.events == [] and kept.state["user:secret"] == 1
    # Other trailing whitespace is a different user too.
    assert await service.get_session(app_name=APP, user_id="alice\t", session_id="s") is None


async def test_ten_megabytes_of_state_and_event_round_trip(
    database: Database, service: SqlSessionService
) -> None:
    document = "ä" + "x" * (TEN_MB - 2) + "😀"
    session = await service.create_session(app_name=APP, user_id=USER, state={"doc": document})
    assert (await _get(service, session)).state["doc"] == document
    event = make_event(document[::-1])
    await service.append_event(session, event)
    stored = await _get(service, session)
    assert stored.events[0].content.parts[0].text == document[::-1]
    assert stored.state["doc"] == document


# -- names, URLs and servers ---------------------------------------------------------------

INJECTED_NAMES = [
    "adk_; DROP TABLE adk_sessions; --",
    'adk"_',
    "adk`_",
    "adk'_",
    "ADK_",
    "",
    "a" * 25,
    "1adk_",
    "adk_\n",
    "ａdk_",  # full-width a
    "adk-",
    "adk_ ",
    "adk_\x00",
    None,
    5,
]


@pytest.mark.parametrize("prefix", INJECTED_NAMES)
def test_table_prefixes_that_try_injection_are_refused(prefix: Any, tmp_path: Any) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    with pytest.raises(StoreConfigurationError, match="Invalid table prefix"):
        SqlSessionService(url, layout=prefix)
    if isinstance(prefix, str) and "\x00" not in prefix:
        result = CliRunner().invoke(
            cli_app, ["db", "upgrade", "--url", url, "--table-prefix", prefix]
        )
        # A usage error: the option is checked before any command runs.
        assert result.exit_code == 2 and "Invalid table prefix" in result.output
    assert not (tmp_path / "store.db").exists()


@pytest.mark.parametrize(
    "schema",
    [
        *(name for name in INJECTED_NAMES if name is not None and name != "a" * 25),
        "a" * 64,
        "pg_catalog",
        "pg_toast",
        "pg_temp_3",
        "information_schema",
        "public; DROP SCHEMA x",
    ],
)
def test_schema_names_that_try_injection_are_refused(schema: Any) -> None:
    # Refused when the service is built: port 1 would fail loudly if anything connected.
    with pytest.raises(StoreConfigurationError, match="schema name"):
        SqlSessionService(
            "postgresql+asyncpg://app@127.0.0.1:1/agents", layout=TableLayout(schema=schema)
        )


@functools.cache
def _unconnected_engine() -> AsyncEngine:
    """An engine that is never connected: stores are only built on it."""
    return create_engine("sqlite+aiosqlite://")


@settings(max_examples=30, deadline=None, database=None)
@given(prefix=st.text(max_size=30) | st.from_regex(r"[a-z][a-z0-9_]{0,30}", fullmatch=True))
def test_any_table_prefix_names_plain_tables_or_is_refused(prefix: str) -> None:
    try:
        store = SessionStore(_unconnected_engine(), layout=prefix)
    except StoreConfigurationError:
        valid = False
    else:
        valid = True
        for name in store.schema.table_names:
            assert name.startswith(prefix) and name.isascii() and name.isidentifier()
            assert name == name.lower() and len(name) <= 63
    assert valid == bool(
        prefix
        and len(prefix) <= 24
        and prefix[0] in "abcdefghijklmnopqrstuvwxyz"
        and all(c in "abcdefghijklmnopqrstuvwxyz0123456789_" for c in prefix)
    )


@settings(max_examples=50, deadline=None, database=None)
@given(name=st.text(max_size=70) | st.from_regex(r"[a-z][a-z0-9_]{0,70}", fullmatch=True))
def test_any_schema_name_is_plain_or_refused(name: str) -> None:
    try:
        validate_schema_name(name)
    except StoreConfigurationError:
        return
    assert name.isascii() and name.isidentifier() and name == name.lower()
    assert 1 <= len(name) <= 63 and not name.startswith("pg_")
    assert name != "information_schema"


def _assert_no_password(exc: BaseException) -> None:
    """Neither the message, the traceback nor any chained exception shows the password."""
    shown = "".join(traceback.format_exception(exc))
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for text in (shown, *(str(e) for e in chain), *(repr(e) for e in chain)):
        assert PASSWORD not in text and PASSWORD_IN_URL not in text and "s3cr" not in text


@pytest.mark.parametrize(
    ("url", "words"),
    [
        (f"not a url {PASSWORD}", "Cannot parse database URL"),
        (f"postgresql+psycopg2://app:{PASSWORD_IN_URL}@db/agents", "not a supported async driver"),
        (f"mssql+aioodbc://app:{PASSWORD_IN_URL}@db/agents", "Unsupported database 'mssql'"),
    ],
)
def test_malformed_urls_are_explained_without_the_password(url: str, words: str) -> None:
    with pytest.raises(StoreConfigurationError, match=words) as raised:
        SqlSessionService(url)
    _assert_no_password(raised.value)


def test_a_url_with_a_bad_port_is_explained() -> None:
    with pytest.raises(StoreConfigurationError, match="port") as raised:
        SqlSessionService(f"postgresql+asyncpg://app:{PASSWORD_IN_URL}@db:notaport/agents")
    _assert_no_password(raised.value)


@pytest.mark.parametrize(
    "scheme", ["postgresql+asyncpg", "postgresql+psycopg", "mysql+aiomysql", "mysql+asyncmy"]
)
async def test_an_unreachable_server_is_named_without_the_password(scheme: str) -> None:
    port = free_port()  # nothing listens there
    async with SqlSessionService(
        f"{scheme}://app:{PASSWORD_IN_URL}@127.0.0.1:{port}/agents"
    ) as svc:
        expected = re.escape(f"Cannot connect to {scheme}://app:***@127.0.0.1:{port}")
        with pytest.raises(StoreConnectionError, match=expected) as raised:
            await svc.create_session(app_name=APP, user_id=USER)
    _assert_no_password(raised.value)


def _server_backends(kind: str) -> list[str]:
    return [b for b in BACKENDS if b.startswith(kind)]


@pytest.mark.skipif(not _server_backends("postgresql"), reason="no PostgreSQL backend selected")
async def test_a_missing_database_is_named_without_the_password(postgres: PostgresServer) -> None:
    url = f"postgresql+asyncpg://postgres:{PASSWORD_IN_URL}@127.0.0.1:{postgres.port}/missing"
    async with SqlSessionService(url) as svc:
        with pytest.raises(
            StoreConnectionError, match='database "missing" does not exist'
        ) as raised:
            await svc.get_session(app_name=APP, user_id=USER, session_id="s")
    _assert_no_password(raised.value)


@pytest.mark.skipif(
    not (_server_backends("mysql") or _server_backends("mariadb")),
    reason="no MariaDB backend selected",
)
async def test_a_wrong_password_is_refused_without_showing_it(mariadb: MariaDBServer) -> None:
    url = f"mysql+aiomysql://root:{PASSWORD_IN_URL}@127.0.0.1:{mariadb.port}/mysql"
    async with SqlSessionService(url) as svc:
        with pytest.raises(StoreConnectionError, match="Access denied") as raised:
            await svc.list_sessions(app_name=APP)
    _assert_no_password(raised.value)


# -- properties ------------------------------------------------------------------------

# Text with the characters that matter here made likely: NUL, surrogates, spaces, emoji.
_CHARACTERS = st.characters(exclude_categories=()) | st.sampled_from(
    ["\x00", "\ud800", "\udfff", " ", "\t", "😀", "\u202e", "\u0301"]
)
_TEXT = st.text(_CHARACTERS, max_size=12)
_NUMBERS = st.integers() | st.integers(INT64_MIN - 2, INT64_MAX + 2) | st.floats()
_SCALAR = st.none() | st.booleans() | _NUMBERS | _TEXT
_JSON = st.recursive(
    _SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=10,
)
_PLAIN_STATE = st.dictionaries(
    st.sampled_from(["a", "app:b", "user:c", "temp:d"]) | _TEXT, _JSON, max_size=4
)
# One state in four holds a value nested at, just under or just over the limit.
_DEEP_STATE = st.builds(
    lambda levels, leaf: {"deep": _nested(levels, leaf)},
    st.integers(MAX_STATE_VALUE_DEPTH - 1, MAX_STATE_VALUE_DEPTH + 1),
    _SCALAR,
)
_STATE = st.one_of(_PLAIN_STATE, _PLAIN_STATE, _PLAIN_STATE, _DEEP_STATE)


def _nesting(value: Any) -> int:
    """Levels of objects and arrays in ``value`` (0 for a scalar)."""
    if isinstance(value, dict):
        return 1 + max(map(_nesting, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_nesting, value), default=0)
    return 0


def _bad_text(text: str) -> bool:
    return "\x00" in text or any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def _must_refuse(value: Any) -> bool:
    """The documented rules, written independently of adk_store.validation."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, str):
        return _bad_text(value)
    if isinstance(value, int):
        return not INT64_MIN <= value <= INT64_MAX
    if isinstance(value, float):
        negative_zero = value == 0 and math.copysign(1, value) < 0
        return math.isnan(value) or abs(value) >= 1e16 or negative_zero
    if isinstance(value, dict):
        return any(_bad_text(k) or _must_refuse(v) for k, v in value.items())
    return any(_must_refuse(item) for item in value)


def _stored_part(state: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in state.items() if not k.startswith("temp:")}


def _must_refuse_state(state: dict[str, Any]) -> bool:
    kept = _stored_part(state)
    return _must_refuse(kept) or any(_nesting(v) > MAX_STATE_VALUE_DEPTH for v in kept.values())


@pytest.mark.parametrize("database", PROPERTY_BACKENDS, indirect=True)
@settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(state=_STATE, text=_TEXT)
async def test_any_state_and_text_is_stored_exactly_or_refused(
    database: Database, service: SqlSessionService, state: dict[str, Any], text: str
) -> None:
    refuse_state = _must_refuse_state(state)
    created_in = uuid.uuid4().hex  # a fresh app: app: keys do not leak between examples
    try:
        created = await service.create_session(app_name=created_in, user_id=USER, state=state)
    except UnstorableValueError:
        assert refuse_state, state
        assert (await service.list_sessions(app_name=created_in)).sessions == []
    else:
        assert not refuse_state, state
        assert _same((await _get(service, created)).state, _stored_part(state))

    appended_in = uuid.uuid4().hex
    session = await service.create_session(app_name=appended_in, user_id=USER, state={"base": 1})
    event = _event_with(
        content=types.Content(role="model", parts=[types.Part(text=text)]),
        actions=EventActions(state_delta=dict(state)),
    )
    try:
        stored_event = await service.append_event(session, event)
    except UnstorableValueError:
        assert refuse_state or _bad_text(text), (state, text)
        unchanged = await _get(service, session)
        assert unchanged.state == {"base": 1} and unchanged.events == []
        await service.append_event(unchanged, make_event("still works"))
    else:
        assert not (refuse_state or _bad_text(text)), (state, text)
        stored = await _get(service, session)
        assert _same(stored.state, {"base": 1, **_stored_part(state)})
        assert stored.events == [stored_event]
        assert stored.events[0].content.parts[0].text == text


_ID = st.text(_CHARACTERS, max_size=8) | st.text(_CHARACTERS, min_size=125, max_size=130)


@pytest.mark.parametrize("database", PROPERTY_BACKENDS, indirect=True)
@settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(user_id=_ID, session_id=_ID)
async def test_any_ids_are_stored_exactly_or_refused(
    database: Database, service: SqlSessionService, user_id: str, session_id: str
) -> None:
    app_name = uuid.uuid4().hex
    refuse = (
        len(user_id) > MAX_ID_LENGTH
        or len(session_id) > MAX_ID_LENGTH
        or _bad_text(user_id)
        or _bad_text(session_id)
        or user_id.endswith(" ")
    )
    try:
        session = await service.create_session(
            app_name=app_name, user_id=user_id, session_id=session_id
        )
    except ValueError:
        assert refuse
        assert (await service.list_sessions(app_name=app_name)).sessions == []
        return
    assert not refuse
    expected_id = session_id.strip() or session.id
    assert session.id == expected_id and session.user_id == user_id
    lookup = session_id if session_id.strip() else expected_id
    stored = await service.get_session(app_name=app_name, user_id=user_id, session_id=lookup)
    assert stored is not None and (stored.id, stored.user_id) == (expected_id, user_id)
    listed = await service.list_sessions(app_name=app_name, user_id=user_id)
    assert [(s.user_id, s.id) for s in listed.sessions] == [(user_id, expected_id)]
    # No other spelling of the user reaches the session: no case folding,
    # normalisation or padding on any backend.
    for other in {
        user_id.upper(),
        user_id.lower(),
        user_id.rstrip(),
        unicodedata.normalize("NFC", user_id),
        unicodedata.normalize("NFD", user_id),
    } - {user_id}:
        if len(other) <= MAX_ID_LENGTH and not other.endswith(" "):
            assert (
                await service.get_session(app_name=app_name, user_id=other, session_id=expected_id)
                is None
            ), other
