"""``adk-store copy``: a whole store moved to another database, exactly as stored."""

from __future__ import annotations

import asyncio
import itertools
import os
from pathlib import Path

import pytest
from conftest import BACKENDS
from google.adk.sessions.session import Session
from helpers import make_event, revision_of
from servers import MariaDBServer, PostgresServer
from sqlalchemy import text
from typer.testing import CliRunner

from adk_store import SqlSessionService
from adk_store.cli import app
from adk_store.engine import create_engine
from adk_store.layout import OwnerColumn, TableLayout

APP = "chat"
# (user, session id, number of events)
SESSIONS = [("u1", "a", 3), ("u1", "b", 0), ("u2", "c", 5), ("u3", "d", 2)]
EVENTS = sum(count for _, _, count in SESSIONS)
TENANT = OwnerColumn("tenant")
runner = CliRunner()
_numbers = itertools.count()


def needs(*backends: str) -> pytest.MarkDecorator:
    missing = [name for name in backends if name not in BACKENDS]
    return pytest.mark.skipif(
        bool(missing), reason=f"ADK_STORE_TEST_BACKENDS leaves out {', '.join(missing)}"
    )


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, " ".join(result.output.split())


async def fill(url: str) -> None:
    """Sessions with events and session, app: and user: state, through the service."""
    async with SqlSessionService.from_url(url, auto_migrate=True) as service:
        for user, session_id, count in SESSIONS:
            session = await service.create_session(
                app_name=APP,
                user_id=user,
                session_id=session_id,
                state={"n": 0, "app:opened": session_id, "user:name": user.upper()},
            )
            for turn in range(count):
                delta = {"n": turn + 1, "app:last": session_id, "user:turns": turn + 1}
                event = make_event(f"turn {turn} of {session_id}", delta=delta)
                await service.append_event(session, event)


async def snapshot(url: str) -> dict[tuple[str, str], Session]:
    """Every session as the service reads it: events, merged state, time, revision marker."""
    async with SqlSessionService.from_url(url) as service:
        found = {}
        for user, session_id, _ in SESSIONS:
            session = await service.get_session(app_name=APP, user_id=user, session_id=session_id)
            assert session is not None
            found[(user, session_id)] = session
        return found


async def execute(url: str, statement: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text(statement))
    await engine.dispose()


def new_database(server: PostgresServer | MariaDBServer, dialect: str = "mysql") -> str:
    name = server.create_database(f"copy_{os.getpid()}_{next(_numbers)}")
    if isinstance(server, MariaDBServer):
        return server.url(name, dialect=dialect)
    return server.url(name)


@needs("postgresql")
def test_sqlite_store_copied_to_postgresql_reads_back_the_same(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    source = f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    asyncio.run(fill(source))
    destination = new_database(postgres)

    code, output = invoke("copy", "--from", source, "--to", destination, "--migrate")

    assert code == 0, output
    assert f"Wrote 4 sessions ({EVENTS} events), 1 app state and 3 user state rows." in output
    assert "Source and destination match." in output
    copied, original = asyncio.run(snapshot(destination)), asyncio.run(snapshot(source))
    # Sessions compare with their revision marker: revisions are copied too.
    assert copied == original
    assert revision_of(copied[("u2", "c")]) == 5

    code, output = invoke("copy", "--from", source, "--to", destination)
    assert code == 0, output
    assert "Nothing written: 4 sessions and 4 state rows are already present" in output

    code, output = invoke("copy", "--from", source, "--to", source)
    assert code == 1 and "name the same tables" in output


@needs("postgresql", "mariadb-aiomysql")
def test_postgresql_to_mariadb_resumes_and_reports_differences(
    postgres: PostgresServer, mariadb: MariaDBServer
) -> None:
    source = new_database(postgres)
    asyncio.run(fill(source))
    destination = new_database(mariadb, dialect="mariadb")
    common = ("copy", "--from", source, "--to", destination, "--batch-size", "2")

    code, output = invoke(*common, "--migrate", "--limit", "2")
    assert code == 0, output
    assert "Wrote 2 sessions" in output and "Stopped at --limit" in output

    code, output = invoke(*common)
    assert code == 0, output
    assert "Wrote 2 sessions" in output and "skipped: 2 sessions" in output
    assert "Source and destination match." in output
    assert asyncio.run(snapshot(destination)) == asyncio.run(snapshot(source))

    asyncio.run(
        execute(
            destination,
            "DELETE FROM adk_events WHERE session_id = 'c' ORDER BY timestamp DESC LIMIT 1",
        )
    )
    code, output = invoke(*common)
    assert code == 1
    assert "Left as they are: 1 sessions and 0 state rows" in output
    assert (
        "session 'c' (app 'chat', user 'u2'): 5 events in the source, 4 in the destination"
        in output
    )
    assert "1 differences" in output


async def fill_owners(url: str) -> None:
    """Two owners with the same app, user and session ids."""
    for owner in ("acme", "globex"):
        async with SqlSessionService.from_url(
            url, layout=TableLayout(owner_column=TENANT), owner=owner, auto_migrate=True
        ) as service:
            session = await service.create_session(
                app_name=APP, user_id="u1", session_id="a", state={"user:owner": owner}
            )
            await service.append_event(session, make_event(f"hello from {owner}"))


async def owner_view(url: str, owner: str) -> tuple[list[str], Session | None]:
    async with SqlSessionService.from_url(
        url, layout=TableLayout(owner_column=TENANT), owner=owner
    ) as service:
        listed = await service.list_sessions(app_name=APP)
        session = await service.get_session(app_name=APP, user_id="u1", session_id="a")
        return [item.id for item in listed.sessions], session


def test_copy_with_an_owner_moves_that_owners_rows_only(tmp_path: Path) -> None:
    source = f"sqlite+aiosqlite:///{tmp_path / 'tenants.db'}"
    destination = f"sqlite+aiosqlite:///{tmp_path / 'acme.db'}"
    asyncio.run(fill_owners(source))

    code, output = invoke(
        "copy",
        "--from",
        source,
        "--to",
        destination,
        "--owner-column",
        TENANT.spec,
        "--owner",
        "acme",
        "--migrate",
    )

    assert code == 0, output
    assert "Wrote 1 sessions (1 events), 0 app state and 1 user state rows." in output
    assert "Source and destination match." in output
    ids, copied = asyncio.run(owner_view(destination, "acme"))
    _, original = asyncio.run(owner_view(source, "acme"))
    assert ids == ["a"] and copied == original
    assert copied is not None and copied.state == {"user:owner": "acme"}
    assert asyncio.run(owner_view(destination, "globex")) == ([], None)
