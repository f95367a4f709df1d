"""``adk-store import``: sessions written by ADK's and sqlspec's own services, read back by ours.

Every source is built by the real library (ADK's ``DatabaseSessionService``
on its v1 and legacy v0 tables, ``SqliteSessionService``, sqlspec's ADK
store), imported, and then compared session by session with what that
library's service returns.
"""

from __future__ import annotations

import asyncio
import importlib
import io
import itertools
import os
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from enum import Enum
from pathlib import Path
from typing import Any, get_args

import pytest
from conftest import BACKENDS
from google.adk.auth.auth_tool import AuthConfig
from google.adk.events import Event, EventActions
from google.adk.events.event_actions import EventCompaction
from google.adk.sessions import DatabaseSessionService
from google.adk.sessions.base_session_service import BaseSessionService
from google.adk.sessions.schemas import v0
from google.adk.sessions.sqlite_session_service import SqliteSessionService
from google.adk.tools.tool_confirmation import ToolConfirmation
from google.genai import types
from helpers import revision_of
from pydantic import BaseModel
from servers import MariaDBServer, PostgresServer
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import create_async_engine
from sqlspec.adapters.aiosqlite import AiosqliteConfig
from sqlspec.adapters.aiosqlite.adk import AiosqliteADKStore
from sqlspec.adapters.asyncpg import AsyncpgConfig
from sqlspec.adapters.asyncpg.adk import AsyncpgADKStore
from sqlspec.extensions.adk import BaseAsyncADKStore, SQLSpecSessionService
from typer.testing import CliRunner

from adk_store import SessionStore, SqlSessionService
from adk_store.cli import app
from adk_store.transfer import open_source, transfer, verify
from adk_store.transfer.restricted_pickle import (
    ALLOWED_CLASSES,
    RefusedPickleError,
    RestrictedUnpickler,
    restricted_loads,
)
from adk_store.transfer.source_records import SessionKey

APP = "chat"
KINDS = ("adk", "adk-v0", "adk-sqlite", "sqlspec")
runner = CliRunner()
_numbers = itertools.count()


# -- sources built by the real libraries --------------------------------------


def s1_events() -> list[Event]:
    """A tool call, scoped state, bytes, metadata, a None value, compaction and an error."""
    return [
        Event(
            author="user",
            invocation_id="inv-1",
            content=types.Content(role="user", parts=[types.Part(text="Weather in Oslo?")]),
        ),
        Event(
            author="agent",
            invocation_id="inv-1",
            branch="root.weather",
            long_running_tool_ids={"call-1"},
            content=types.Content(
                role="model",
                parts=[
                    types.Part(
                        function_call=types.FunctionCall(
                            id="call-1", name="get_weather", args={"city": "Oslo"}
                        )
                    )
                ],
            ),
        ),
        Event(
            author="agent",
            invocation_id="inv-1",
            content=types.Content(
                role="user",
                parts=[
                    types.Part(
                        function_response=types.FunctionResponse(
                            id="call-1", name="get_weather", response={"sky": "clear"}
                        )
                    )
                ],
            ),
            actions=EventActions(
                state_delta={
                    "topic": "weather",
                    "app:calls": 1,
                    "user:city": "Oslo",
                    "temp:raw": "not stored",
                },
                requested_tool_confirmations={
                    "call-1": ToolConfirmation(hint="Share your city?", payload={"n": 1})
                },
            ),
        ),
        Event(
            author="agent",
            invocation_id="inv-1",
            turn_complete=True,
            custom_metadata={"trace": [1, 2]},
            content=types.Content(
                role="model",
                parts=[
                    types.Part(text="Clear skies."),
                    types.Part(
                        inline_data=types.Blob(mime_type="image/png", data=b"\x89PNG\x00\xff")
                    ),
                ],
            ),
            actions=EventActions(state_delta={"topic": None}),
        ),
        Event(
            author="agent",
            invocation_id="inv-2",
            error_code="RATE_LIMIT",
            error_message="Slow down.",
            actions=EventActions(
                compaction=EventCompaction(
                    start_timestamp=1.0,
                    end_timestamp=2.0,
                    compacted_content=types.Content(
                        role="model", parts=[types.Part(text="Asked about Oslo.")]
                    ),
                )
            ),
        ),
    ]


def s3_events() -> list[Event]:
    return [
        Event(
            author="user",
            invocation_id="inv-3",
            content=types.Content(role="user", parts=[types.Part(text="Hello again")]),
            actions=EventActions(state_delta={"user:city": "Bergen", "mood": "fine"}),
        ),
        Event(
            author="agent",
            invocation_id="inv-3",
            content=types.Content(role="model", parts=[types.Part(text="Hi!")]),
        ),
    ]


# (user, session id, initial state, events)
CONVERSATIONS: list[tuple[str, str, dict[str, Any], Any]] = [
    ("u1", "s1", {"topic": "none", "app:theme": "dark", "user:lang": "en"}, s1_events),
    ("u2", "s2", {"user:lang": "fr", "temp:draft": 1}, list),
    ("u1", "s3", {"count": 3}, s3_events),
]
KEYS: list[SessionKey] = [(APP, user, session) for user, session, _, _ in CONVERSATIONS]


async def write_conversations(service: BaseSessionService) -> None:
    for user, session_id, state, events in CONVERSATIONS:
        await service.create_session(
            app_name=APP, user_id=user, session_id=session_id, state=dict(state)
        )
        for event in events():
            # Read before every append: each service then sees its own latest
            # write, whatever its stale-session check compares.
            session = await service.get_session(app_name=APP, user_id=user, session_id=session_id)
            assert session is not None
            event.timestamp = time.time()
            await service.append_event(session, event)


@asynccontextmanager
async def adk_service(kind: str, url: str, path: Path | None) -> AsyncIterator[BaseSessionService]:
    """The library's own service for a source of ``kind``, on ``url`` (or the file ``path``)."""
    if kind == "adk-sqlite":
        assert path is not None
        yield SqliteSessionService(str(path))
    elif kind == "sqlspec":
        store: BaseAsyncADKStore[Any]
        if path is None:
            dsn = re.sub(r"^postgresql\+\w+://", "postgresql://", url)
            server_config = AsyncpgConfig(connection_config={"dsn": dsn})
            store, close = AsyncpgADKStore(server_config), server_config.close_pool
        else:
            file_config = AiosqliteConfig(connection_config={"database": str(path)})
            store, close = AiosqliteADKStore(file_config), file_config.close_pool
        await store.create_tables()
        try:
            yield SQLSpecSessionService(store)
        finally:
            await close()
    else:
        service = DatabaseSessionService(url)
        try:
            yield service
        finally:
            await service.close()


def create_v0_tables(url: str) -> None:
    """ADK 2.13 still serves v0 tables it finds; create them as ADK 1.19-1.21 did."""
    engine = create_sync_engine(re.sub(r"\+\w+://", "://", url, count=1))
    v0.Base.metadata.create_all(engine)
    engine.dispose()


async def build_source(kind: str, url: str, path: Path | None = None) -> None:
    if kind == "adk-v0":
        create_v0_tables(url)
    async with adk_service(kind, url, path) as service:
        await write_conversations(service)


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def import_with_library(
    source_url: str, destination_url: str | None = None, *, batch_size: int = 100
) -> tuple[str, Any, Any]:
    """What ``adk-store import`` runs: in place when no destination is given."""
    store = SessionStore.from_url(destination_url or source_url, auto_migrate=True)
    await store.ensure_ready()
    engine = store.engine if destination_url is None else create_async_engine(source_url)
    try:
        source = await open_source(engine)
        report = await transfer(source, store, batch_size=batch_size)
        verification = await verify(source, store, batch_size=batch_size)
    finally:
        await store.close()
        if engine is not store.engine:
            await engine.dispose()
    return source.kind, report, verification


async def assert_reads_back_alike(theirs: BaseSessionService, ours: SqlSessionService) -> None:
    """Each imported session reads back through our service as through the source's."""
    for app_name, user_id, session_id in KEYS:
        expected = await theirs.get_session(
            app_name=app_name, user_id=user_id, session_id=session_id
        )
        got = await ours.get_session(app_name=app_name, user_id=user_id, session_id=session_id)
        assert expected is not None and got is not None
        assert got.events == expected.events
        assert got.state == expected.state
        assert {"app:theme", "user:lang"} <= got.state.keys()
        # adk-store keeps times to the microsecond; the event documents keep them exact.
        assert got.last_update_time == pytest.approx(expected.last_update_time, abs=1e-6)
    for user_id in ("u1", "u2"):
        assert await ours.get_user_state(app_name=APP, user_id=user_id) == (
            await theirs.get_user_state(app_name=APP, user_id=user_id)
        )
    listed = await ours.list_sessions(app_name=APP)
    expected_listing = await theirs.list_sessions(app_name=APP)
    assert {s.id: s.state for s in listed.sessions} == {
        s.id: s.state for s in expected_listing.sessions
    }


# -- every source, imported and read back --------------------------------------


@pytest.mark.parametrize("kind", KINDS)
async def test_each_source_reads_back_as_its_own_service_returns_it(
    kind: str, tmp_path: Path
) -> None:
    source_path = tmp_path / "source.db"
    await build_source(kind, sqlite_url(source_path), source_path)
    destination = sqlite_url(tmp_path / "store.db")

    detected, report, verification = await import_with_library(sqlite_url(source_path), destination)

    assert detected == kind
    assert (report.sessions_written, report.refused.count) == (3, 0)
    assert report.events_written == 7
    assert report.app_states_written == 1 and report.user_states_written == 2
    assert verification.ok, verification.differences.first
    assert (verification.sessions.destination, verification.events.destination) == (3, 7)
    async with (
        adk_service(kind, sqlite_url(source_path), source_path) as theirs,
        SqlSessionService.from_url(destination) as ours,
    ):
        await assert_reads_back_alike(theirs, ours)
        # Imported sessions take new appends like any other.
        session = await ours.get_session(app_name=APP, user_id="u1", session_id="s1")
        assert session is not None
        await ours.append_event(session, Event(author="user", invocation_id="inv-9"))
        stored = await ours.get_session(app_name=APP, user_id="u1", session_id="s1")
        assert stored is not None and len(stored.events) == 6
        assert revision_of(stored) == 6


# (source kind, backend): ADK's database service on both servers, sqlspec's asyncpg store.
SERVER_SOURCES = [
    (kind, backend)
    for kind, backend in (
        ("adk", "postgresql"),
        ("adk", "mysql-aiomysql"),
        ("sqlspec", "postgresql"),
    )
    if backend in BACKENDS
]


@pytest.mark.parametrize(("kind", "backend"), SERVER_SOURCES)
async def test_sources_on_a_server_imported_in_place(
    kind: str, backend: str, request: pytest.FixtureRequest
) -> None:
    server: PostgresServer | MariaDBServer = request.getfixturevalue(
        "postgres" if backend == "postgresql" else "mariadb"
    )
    # On MariaDB, ADK's own service keeps microseconds and LONGTEXT with a
    # mysql+ URL only (the server's default URL form).
    url = server.url(server.create_database(f"adk_import_{os.getpid()}_{next(_numbers)}"))
    await build_source(kind, url)

    detected, report, verification = await import_with_library(url)
    again_kind, again, _ = await import_with_library(url)

    assert detected == again_kind == kind
    assert (report.sessions_written, report.events_written) == (3, 7)
    assert verification.ok, verification.differences.first
    assert (again.sessions_written, again.events_written, again.sessions_present) == (0, 0, 3)
    async with adk_service(kind, url, None) as theirs, SqlSessionService.from_url(url) as ours:
        await assert_reads_back_alike(theirs, ours)


# -- the command: in place, reruns, dry runs, interruptions, tampering ---------


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, " ".join(result.output.split())


def table_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as connection:
        names = [
            name
            for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        return {
            name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            for name in names
        }


@pytest.fixture
def sqlite_source(tmp_path: Path) -> Path:
    """An ADK SqliteSessionService file holding three sessions, seven events."""
    path = tmp_path / "adk.db"
    asyncio.run(build_source("adk-sqlite", sqlite_url(path), path))
    return path


def test_in_place_import_then_a_rerun_writes_nothing(sqlite_source: Path) -> None:
    code, output = invoke("import", "--from", str(sqlite_source), "--migrate")
    assert code == 0, output
    assert "Importing ADK SqliteSessionService" in output
    assert "Wrote 3 sessions (7 events), 1 app state and 2 user state rows." in output
    assert "Source and destination match." in output
    first = table_counts(sqlite_source)
    assert first["adk_sessions"] == first["sessions"] == 3
    assert first["adk_events"] == first["events"] == 7

    code, output = invoke("import", "--from", str(sqlite_source))
    assert code == 0, output
    assert (
        "Nothing written: 3 sessions and 3 state rows are already present in the destination."
        in output
    )
    assert "Wrote" not in output
    assert table_counts(sqlite_source) == first


def test_dry_run_writes_nothing(sqlite_source: Path, tmp_path: Path) -> None:
    destination = tmp_path / "new" / "store.db"
    before = table_counts(sqlite_source)

    code, output = invoke(
        "import", "--from", str(sqlite_source), "--to", sqlite_url(destination), "--dry-run"
    )

    assert code == 0, output
    assert f"The destination file {destination} does not exist" in output
    assert "a real run needs --migrate" in output
    assert "Would write 3 sessions (7 events), 1 app state and 2 user state rows." in output
    assert "Dry run: nothing was written." in output
    assert not (tmp_path / "new").exists()
    assert table_counts(sqlite_source) == before


def test_destination_must_be_migrated_or_say_so(sqlite_source: Path, tmp_path: Path) -> None:
    destination = tmp_path / "store.db"
    code, output = invoke("import", "--from", str(sqlite_source), "--to", sqlite_url(destination))
    assert code == 1
    assert f"--to: no such file: {destination}." in output and "add --migrate" in output
    assert not destination.exists()

    destination.touch()
    code, output = invoke("import", "--from", str(sqlite_source), "--to", sqlite_url(destination))
    assert code == 1
    assert "has no adk-store tables" in output and "add --migrate" in output


def test_an_interrupted_import_continues_where_it_stopped(
    sqlite_source: Path, tmp_path: Path
) -> None:
    destination = sqlite_url(tmp_path / "store.db")
    common = ("import", "--from", str(sqlite_source), "--to", destination, "--batch-size", "2")

    code, output = invoke(*common, "--migrate", "--limit", "1")
    assert code == 0, output
    assert "Wrote 1 sessions" in output and "Stopped at --limit" in output
    assert table_counts(tmp_path / "store.db")["adk_sessions"] == 1

    code, output = invoke(*common)
    assert code == 0, output
    assert "Wrote 2 sessions" in output and "skipped: 1 sessions" in output
    assert "Source and destination match." in output
    counts = table_counts(tmp_path / "store.db")
    assert (counts["adk_sessions"], counts["adk_events"]) == (3, 7)


def test_verification_reports_a_tampered_destination(sqlite_source: Path) -> None:
    assert invoke("import", "--from", str(sqlite_source), "--migrate")[0] == 0
    with sqlite3.connect(sqlite_source) as connection:
        connection.execute(
            "DELETE FROM adk_events WHERE session_id = 's1' AND id = "
            "(SELECT min(id) FROM adk_events WHERE session_id = 's1')"
        )
        connection.execute("UPDATE adk_sessions SET state = '{\"count\": 4}' WHERE id = 's3'")

    code, output = invoke("import", "--from", str(sqlite_source))

    assert code == 1
    assert "Left as they are: 1 sessions and 0 state rows" in output
    assert (
        "session 's1' (app 'chat', user 'u1'): 5 events in the source, 4 in the destination"
        in output
    )
    assert "session 's3' (app 'chat', user 'u1'): session state differs" in output
    assert "2 differences" in output


def test_a_final_run_with_replace_changed_catches_up(sqlite_source: Path) -> None:
    assert invoke("import", "--from", str(sqlite_source), "--migrate")[0] == 0

    async def keep_using_adk() -> None:
        async with adk_service("adk-sqlite", "", sqlite_source) as theirs:
            session = await theirs.get_session(app_name=APP, user_id="u1", session_id="s3")
            assert session is not None
            late = Event(author="user", invocation_id="inv-4")
            late.actions.state_delta["user:city"] = "Trondheim"
            await theirs.append_event(session, late)
            await theirs.create_session(app_name=APP, user_id="u3", session_id="s4")

    asyncio.run(keep_using_adk())

    code, output = invoke("import", "--from", str(sqlite_source))
    assert code == 1
    assert "Wrote 1 sessions (0 events)" in output
    assert "Left as they are: 1 sessions and 1 state rows" in output
    assert (
        "session 's3' (app 'chat', user 'u1'): 3 events in the source, 2 in the destination"
        in output
    )
    assert "user state of 'chat', 'u1'" in output

    code, output = invoke("import", "--from", str(sqlite_source), "--replace-changed")
    assert code == 0, output
    assert "Wrote 1 sessions (3 events), 0 app state and 1 user state rows." in output
    assert "Of these, 1 sessions and 1 state rows replace copies" in output
    assert "Source and destination match." in output

    async def compare() -> None:
        url = sqlite_url(sqlite_source)
        async with (
            adk_service("adk-sqlite", url, sqlite_source) as theirs,
            SqlSessionService.from_url(url) as ours,
        ):
            await assert_reads_back_alike(theirs, ours)
            session = await ours.get_session(app_name=APP, user_id="u1", session_id="s3")
            assert session is not None and session.state["user:city"] == "Trondheim"
            assert revision_of(session) == 3

    asyncio.run(compare())


def test_sources_that_cannot_be_imported_are_named(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    code, output = invoke("import", "--from", str(empty))
    assert code == 1 and "has no session tables of ADK" in output

    code, output = invoke("import", "--from", str(tmp_path / "missing.db"))
    assert code == 1 and "missing.db does not exist" in output
    assert not (tmp_path / "missing.db").exists()

    code, output = invoke("import", "--from", "sqlite+aiosqlite://")
    assert code == 1 and "in-memory SQLite database" in output


# -- constant memory -----------------------------------------------------------


def clone_sessions(path: Path, sessions: int, events_per_session: int) -> None:
    """Grow an ADK SqliteSessionService file with copies of session s1 and its first event."""
    with sqlite3.connect(path) as connection:
        connection.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO sessions SELECT app_name, user_id, id || '-' || i, state, create_time, "
            "update_time FROM sessions, n WHERE id = 's1'",
            (sessions,),
        )
        connection.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?), "
            "m(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM m WHERE j < ?) "
            "INSERT INTO events SELECT e.id || '-' || j, app_name, user_id, "
            "session_id || '-' || i, invocation_id, timestamp + j, "
            "json_set(event_data, '$.id', e.id || '-' || j, '$.timestamp', timestamp + j) "
            "FROM events AS e, n, m WHERE session_id = 's1' "
            "AND e.rowid = (SELECT min(rowid) FROM events WHERE session_id = 's1')",
            (sessions, events_per_session),
        )


@contextmanager
def fetched_pages(engine: Any) -> Iterator[list[tuple[str, Any]]]:
    """Every SELECT the engine runs on the four tables, with its parameters."""
    seen: list[tuple[str, Any]] = []
    table = re.compile(r"\bFROM (sessions|events|app_states|user_states)\b")

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and table.search(statement):
            seen.append((statement, parameters))

    sa_event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa_event.remove(engine.sync_engine, "before_cursor_execute", record)


async def test_large_source_is_read_a_page_at_a_time(tmp_path: Path) -> None:
    source_path = tmp_path / "adk.db"
    await build_source("adk-sqlite", sqlite_url(source_path), source_path)
    clone_sessions(source_path, sessions=40, events_per_session=75)
    batch = 50
    store = SessionStore.from_url(sqlite_url(tmp_path / "store.db"), auto_migrate=True)
    engine = create_async_engine(sqlite_url(source_path))
    try:
        source = await open_source(engine)
        with fetched_pages(engine) as selects:
            report = await transfer(source, store, batch_size=batch)
            verification = await verify(source, store, batch_size=batch)
    finally:
        await store.close()
        await engine.dispose()

    assert (report.sessions_written, report.events_written) == (43, 7 + 40 * 75)
    assert verification.ok and verification.events.destination == 3007
    row_reads = [(sql, params) for sql, params in selects if "count(" not in sql.lower()]
    # Every read that returns rows is bounded by a LIMIT of one page.
    for sql, params in row_reads:
        assert re.search(r"\bLIMIT \?", sql), sql
        assert params[-1] <= batch
    event_reads = [sql for sql, _ in row_reads if "FROM events" in sql]
    assert len(event_reads) >= 40 * 75 // batch


# -- legacy pickles ------------------------------------------------------------


def malicious_pickle(marker: Path) -> bytes:
    """A protocol-0 pickle that, loaded by pickle.loads, runs ``touch marker``."""
    return f"cos\nsystem\n(S'touch {marker}'\ntR.".encode()


def test_restricted_unpickler_refuses_code_and_runs_none_of_it(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    for payload, name in (
        (malicious_pickle(marker), "os.system"),
        (b"cbuiltins\neval\n(S'1'\ntR.", "builtins.eval"),
        (b"ccopyreg\n_reconstructor\n.", "copyreg._reconstructor"),
    ):
        with pytest.raises(RefusedPickleError, match=re.escape(name)):
            RestrictedUnpickler(io.BytesIO(payload)).load()
        with pytest.raises(ValueError, match="Refused to load"):
            restricted_loads(payload)
    assert not marker.exists()


def test_allowed_classes_exist_and_cover_what_event_actions_can_hold() -> None:
    for module, names in ALLOWED_CLASSES.items():
        imported = importlib.import_module(module)
        for name in names:
            assert isinstance(getattr(imported, name), type), f"{module}.{name}"
    reachable: set[tuple[str, str]] = set()
    pending: list[Any] = [EventActions, AuthConfig]
    seen: set[int] = set()
    while pending:
        annotation = pending.pop()
        if id(annotation) in seen:
            continue
        seen.add(id(annotation))
        pending.extend(get_args(annotation))
        if isinstance(annotation, type) and issubclass(annotation, BaseModel | Enum):
            reachable.add((annotation.__module__, annotation.__qualname__))
            if issubclass(annotation, BaseModel):
                pending.extend(field.annotation for field in annotation.model_fields.values())
    allowed = {(module, name) for module, names in ALLOWED_CLASSES.items() for name in names}
    assert reachable - allowed == set()


async def test_v0_session_with_a_malicious_pickle_is_refused_whole(tmp_path: Path) -> None:
    source_path, marker = tmp_path / "v0.db", tmp_path / "ran"
    await build_source("adk-v0", sqlite_url(source_path), source_path)
    with sqlite3.connect(source_path) as connection:
        connection.execute(
            "UPDATE events SET actions = ? WHERE rowid = "
            "(SELECT max(rowid) FROM events WHERE session_id = 's3')",
            (malicious_pickle(marker),),
        )
    destination = tmp_path / "store.db"

    kind, report, verification = await import_with_library(
        sqlite_url(source_path), sqlite_url(destination)
    )

    assert kind == "adk-v0"
    assert not marker.exists()
    assert report.refused.count == 1
    assert "session 's3'" in report.refused.first[0] and "os.system" in report.refused.first[0]
    # s1 shared a transaction with s3; it was written again without it.
    assert (report.sessions_written, report.events_written) == (2, 5)
    assert not verification.ok
    assert verification.differences.first == [
        "session 's3' (app 'chat', user 'u1'): missing in the destination"
    ]
    with sqlite3.connect(destination) as connection:
        rows = connection.execute("SELECT session_id, count(*) FROM adk_events GROUP BY 1")
        assert dict(rows.fetchall()) == {"s1": 5}
