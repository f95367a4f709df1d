"""Concurrency guarantees with several service instances (and processes) on one database."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator

import pytest
from conftest import Database
from google.adk.errors import StaleSessionError
from google.adk.errors.already_exists_error import AlreadyExistsError
from google.adk.errors.session_not_found_error import SessionNotFoundError
from google.adk.sessions.session import Session
from helpers import make_event, revision_of
from sqlalchemy import select

from adk_store import SqlSessionService, TransactionConflictError

APP = "app"


@pytest.fixture
async def two_services(shared_database: Database) -> AsyncIterator[tuple[SqlSessionService, ...]]:
    first = SqlSessionService.from_url(shared_database.url, auto_migrate=True)
    second = SqlSessionService.from_url(shared_database.url, auto_migrate=True)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def test_scoped_keys_from_many_sessions_are_never_lost(
    two_services: tuple[SqlSessionService, SqlSessionService],
) -> None:
    first, second = two_services
    writers = 6
    rounds = 5
    sessions = [
        await (first if i % 2 else second).create_session(app_name=APP, user_id=f"u{i % 2}")
        for i in range(writers)
    ]

    async def write(index: int) -> None:
        service = first if index % 2 else second
        session = sessions[index]
        for round_ in range(rounds):
            await service.append_event(
                session,
                make_event(
                    delta={
                        f"user:w{index}": round_,
                        f"app:w{index}": round_,
                        "app:last": index,
                        f"own{index}": round_,
                    }
                ),
            )

    await asyncio.gather(*(write(i) for i in range(writers)))
    app_state = await first.store.get_app_state(app_name=APP)
    assert {k: v for k, v in app_state.items() if k != "last"} == {
        f"w{i}": rounds - 1 for i in range(writers)
    }
    for user in ("u0", "u1"):
        user_state = await second.get_user_state(app_name=APP, user_id=user)
        parity = int(user[1])
        assert user_state == {f"w{i}": rounds - 1 for i in range(writers) if i % 2 == parity}


async def test_two_copies_of_one_session_cannot_fork_history(
    two_services: tuple[SqlSessionService, SqlSessionService],
) -> None:
    first, second = two_services
    created = await first.create_session(app_name=APP, user_id="u", session_id="shared")
    mine = await first.get_session(app_name=APP, user_id="u", session_id="shared")
    theirs = await second.get_session(app_name=APP, user_id="u", session_id="shared")
    results = await asyncio.gather(
        first.append_event(mine, make_event("mine", delta={"owner": "first"})),
        second.append_event(theirs, make_event("theirs", delta={"owner": "second"})),
        return_exceptions=True,
    )
    failures = [r for r in results if isinstance(r, BaseException)]
    assert len(failures) == 1 and isinstance(failures[0], StaleSessionError)
    stored = await first.get_session(app_name=APP, user_id="u", session_id=created.id)
    assert len(stored.events) == 1
    winner = stored.events[0].content.parts[0].text
    assert stored.state["owner"] == {"mine": "first", "theirs": "second"}[winner]


async def test_retrying_writers_all_land_in_order(
    two_services: tuple[SqlSessionService, SqlSessionService],
) -> None:
    """Writers that re-read on StaleSessionError get every append stored exactly once."""
    first, second = two_services
    await first.create_session(app_name=APP, user_id="u", session_id="busy")

    async def writer(name: str, service: SqlSessionService) -> int:
        retries = 0
        for index in range(6):
            while True:
                session = await service.get_session(app_name=APP, user_id="u", session_id="busy")
                try:
                    await service.append_event(session, make_event(f"{name}-{index}"))
                    break
                except StaleSessionError:
                    retries += 1
        return retries

    await asyncio.gather(*(writer(f"w{i}", (first, second)[i % 2]) for i in range(4)))
    stored = await first.get_session(app_name=APP, user_id="u", session_id="busy")
    texts = [e.content.parts[0].text for e in stored.events]
    assert sorted(texts) == sorted(f"w{i}-{j}" for i in range(4) for j in range(6))
    for i in range(4):
        mine = [t for t in texts if t.startswith(f"w{i}-")]
        assert mine == [f"w{i}-{j}" for j in range(6)]
    assert revision_of(stored) == len(texts)


async def test_racing_creators_get_exactly_one_success(
    two_services: tuple[SqlSessionService, SqlSessionService],
) -> None:
    first, second = two_services
    results = await asyncio.gather(
        *(
            (first, second)[i % 2].create_session(
                app_name=APP, user_id="u", session_id="race", state={"creator": i}
            )
            for i in range(10)
        ),
        return_exceptions=True,
    )
    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(r, AlreadyExistsError) for r in losers), losers
    stored = await second.get_session(app_name=APP, user_id="u", session_id="race")
    assert stored.state == winners[0].state


WORKER = textwrap.dedent(
    """
    import asyncio, json, sys
    from google.adk.errors import StaleSessionError
    from google.adk.events import Event, EventActions
    from adk_store import SqlSessionService

    async def main(url, name, count):
        acknowledged = []
        async with SqlSessionService.from_url(url, auto_migrate=True) as service:
            for index in range(count):
                while True:
                    session = await service.get_session(
                        app_name="app", user_id="u", session_id="multi")
                    event = Event(author=name, invocation_id=f"{name}-{index}",
                                  actions=EventActions(state_delta={
                                      f"user:{name}": index, f"app:{name}": index}))
                    try:
                        await service.append_event(session, event)
                    except StaleSessionError:
                        continue
                    acknowledged.append(event.id)
                    break
        print(json.dumps(acknowledged))

    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
    """
)


async def test_several_processes_share_one_database(shared_database: Database) -> None:
    """Separate processes (each migrating on start) append to one session without loss."""
    async with SqlSessionService.from_url(shared_database.url, auto_migrate=True) as service:
        await service.create_session(app_name=APP, user_id="u", session_id="multi")
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            WORKER,
            shared_database.url,
            f"p{i}",
            "8",
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for i in range(3)
    ]
    acknowledged: list[str] = []
    for process in processes:
        out, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        acknowledged += json.loads(out)
    async with SqlSessionService.from_url(shared_database.url) as service:
        stored = await service.get_session(app_name=APP, user_id="u", session_id="multi")
        user_state = await service.get_user_state(app_name=APP, user_id="u")
        app_state = await service.store.get_app_state(app_name=APP)
    assert sorted(e.id for e in stored.events) == sorted(acknowledged)
    assert len(acknowledged) == 24
    assert user_state == app_state == {f"p{i}": 7 for i in range(3)}


async def test_concurrent_auto_migration_is_safe(shared_database: Database) -> None:
    services = [
        SqlSessionService.from_url(shared_database.url, auto_migrate=True) for _ in range(4)
    ]
    try:
        await asyncio.gather(*(s.store.ensure_ready() for s in services))
        created = await asyncio.gather(
            *(s.create_session(app_name=APP, user_id="u") for s in services)
        )
        assert len({c.id for c in created}) == 4
    finally:
        for s in services:
            await s.close()


@pytest.mark.parametrize(
    "calls",
    [
        ("delete", "create", "create"),
        ("delete", "create", "delete"),
        ("create", "append", "delete"),
    ],
    ids=["delete-create-create", "delete-create-delete", "create-append-delete"],
)
async def test_racing_calls_on_one_id_raise_only_adk_errors(
    two_services: tuple[SqlSessionService, SqlSessionService], calls: tuple[str, ...]
) -> None:
    """Deadlocks between racing transactions are retried, never handed to the caller.

    MariaDB reported one of these rounds as a raw ``OperationalError`` (1213,
    deadlock) in almost every round before the store retried conflicts.
    """
    first, second = two_services
    expected = (AlreadyExistsError, SessionNotFoundError, StaleSessionError)

    async def call(service: SqlSessionService, name: str, seed: Session) -> object:
        if name == "create":
            return await service.create_session(
                app_name=APP, user_id="u", session_id=seed.id, state={"user:seen": 1}
            )
        if name == "append":
            return await service.append_event(seed, make_event(f"to {seed.id}"))
        return await service.delete_session(app_name=APP, user_id="u", session_id=seed.id)

    for round_number in range(25):
        seed = await first.create_session(app_name=APP, user_id="u", session_id=f"r{round_number}")
        services = (first, second, first)
        outcomes = await asyncio.gather(
            *(call(service, name, seed) for service, name in zip(services, calls, strict=True)),
            return_exceptions=True,
        )
        unexpected = [
            o for o in outcomes if isinstance(o, BaseException) and not isinstance(o, expected)
        ]
        assert unexpected == [], (round_number, unexpected)


async def test_a_call_that_keeps_losing_its_locks_gets_a_library_error(
    shared_database: Database,
) -> None:
    """Lock waits that time out are retried, then reported as TransactionConflictError."""
    if not shared_database.url.startswith(("mysql", "mariadb")):
        pytest.skip("InnoDB's lock wait timeout (1205) is the conflict a lock holder causes")
    impatient = {"connect_args": {"init_command": "SET SESSION innodb_lock_wait_timeout=1"}}
    async with (
        SqlSessionService.from_url(shared_database.url, auto_migrate=True) as holder,
        SqlSessionService.from_url(shared_database.url, **impatient) as caller,
    ):
        await holder.create_session(app_name=APP, user_id="u", session_id="held")
        s = holder.store.schema.sessions
        async with holder.store.unit_of_work(write=True) as connection:
            await connection.execute(select(s.c.id).where(s.c.id == "held").with_for_update())
            with pytest.raises(TransactionConflictError, match="rolled back .* 5 times") as raised:
                await caller.delete_session(app_name=APP, user_id="u", session_id="held")
        assert "Retry the call" in str(raised.value)
        # Nothing was deleted by the attempts that lost.
        assert await holder.get_session(app_name=APP, user_id="u", session_id="held") is not None
