"""Read replicas and multi-host URLs on a live primary and hot standby.

Reads land on the standby (its own statistics count them, and the primary's
engine runs none of them); a standby whose replay is paused is bypassed once
it is further behind than ``max_replica_lag``, and a stale copy read from it
is refused on append, so lagging replicas never lose an update.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator

import pytest
from google.adk.errors import StaleSessionError
from helpers import make_event, recorded_statements
from servers import ReplicatedPair, free_port
from sqlalchemy import text
from typer.testing import CliRunner

from adk_store import SqlSessionService, StoreConnectionError
from adk_store.cli import app

pytestmark = pytest.mark.replicated

READS = 20
# A bound well above the check's round trips on a loaded 2-core machine.
BOUND_SECONDS = 0.5


@pytest.fixture(scope="module")
def pair_database(replicated_pair: ReplicatedPair) -> str:
    return replicated_pair.primary.create_database("replicas")


@pytest.fixture
async def primary_service(
    replicated_pair: ReplicatedPair, pair_database: str
) -> AsyncIterator[SqlSessionService]:
    """A service on the primary alone, which creates the tables."""
    url = replicated_pair.primary.url(pair_database)
    async with SqlSessionService.from_url(url, auto_migrate=True) as service:
        yield service


@pytest.fixture
def replay_paused(replicated_pair: ReplicatedPair) -> Iterator[None]:
    """The standby receives the primary's changes (commits go on) but applies none."""
    replicated_pair.standby.pause_replay()
    try:
        yield
    finally:
        replicated_pair.standby.resume_replay()
        replicated_pair.wait_until_replayed()


def _table_reads(pair: ReplicatedPair, database: str, table: str) -> int:
    """Index and sequential scans of ``table`` counted by the standby itself."""
    query = (
        "SELECT coalesce(idx_scan, 0) + coalesce(seq_scan, 0) FROM pg_stat_user_tables "
        f"WHERE relname = '{table}'"
    )
    return int(pair.standby.psql(query, database) or 0)


def _touches_tables(statements: list[str]) -> list[str]:
    return [statement for statement in statements if "adk_" in statement]


async def test_reads_land_on_the_replica(
    replicated_pair: ReplicatedPair, pair_database: str, primary_service: SqlSessionService
) -> None:
    session = await primary_service.create_session(app_name="r", user_id="ann", state={"k": 1})
    await primary_service.append_event(session, make_event(delta={"user:seen": True}))
    await asyncio.to_thread(replicated_pair.wait_until_replayed)
    before = _table_reads(replicated_pair, pair_database, "adk_sessions")

    service = SqlSessionService.from_url(
        replicated_pair.primary.url(pair_database),
        replica_urls=replicated_pair.standby.url(pair_database),
    )
    await service.store.ensure_ready()
    with recorded_statements(service.store.engine) as on_primary:
        for _ in range(READS):
            copy = await service.get_session(app_name="r", user_id="ann", session_id=session.id)
            assert copy is not None and len(copy.events) == 1
        listed = await service.list_sessions(app_name="r", user_id="ann")
        page = await service.list_sessions_page(app_name="r", page_size=10)
        events = await service.list_user_events_page(app_name="r", user_id="ann")
        user_state = await service.get_user_state(app_name="r", user_id="ann")
    # Closing the replica's connections makes its backends report their statistics.
    await service.close()

    assert [s.id for s in listed.sessions] == [s.id for s in page.sessions] == [session.id]
    assert len(events.events) == 1 and user_state == {"seen": True}
    assert _touches_tables(on_primary) == []
    deadline = time.monotonic() + 10
    while _table_reads(replicated_pair, pair_database, "adk_sessions") - before < READS + 2:
        assert time.monotonic() < deadline, "the standby did not count the reads"
        await asyncio.sleep(0.1)


@pytest.mark.usefixtures("primary_service")
async def test_a_lagging_replica_is_bypassed_beyond_the_bound_and_its_copies_are_stale(
    replicated_pair: ReplicatedPair, pair_database: str, request: pytest.FixtureRequest
) -> None:
    urls = {
        "url": replicated_pair.primary.url(pair_database),
        "replica_urls": [replicated_pair.standby.url(pair_database)],
    }
    async with (
        SqlSessionService.from_url(**urls, max_replica_lag=BOUND_SECONDS) as bounded,
        SqlSessionService.from_url(**urls) as unbounded,
    ):
        session = await bounded.create_session(app_name="lag", user_id="bob")
        await bounded.append_event(session, make_event("first"))
        await asyncio.to_thread(replicated_pair.wait_until_replayed)
        key = {"app_name": "lag", "user_id": "bob", "session_id": session.id}

        # Caught up: the bounded service reads the replica.
        with recorded_statements(bounded.store.engine) as on_primary:
            fresh = await bounded.get_session(**key)
        assert fresh is not None and len(fresh.events) == 1
        assert _touches_tables(on_primary) == []

        request.getfixturevalue("replay_paused")
        await bounded.append_event(session, make_event("second"))

        # Without a bound the replica answers with what it has applied...
        stale = await unbounded.get_session(**key)
        assert stale is not None and [e.content.parts[0].text for e in stale.events] == ["first"]
        # ...and an append on that copy is refused by the primary, not lost.
        with pytest.raises(StaleSessionError):
            await unbounded.append_event(stale, make_event("from a stale copy"))

        # With the bound, once the replica may be further behind, the primary answers.
        await asyncio.sleep(BOUND_SECONDS * 1.5)
        with recorded_statements(bounded.store.engine) as on_primary:
            current = await bounded.get_session(**key)
        assert current is not None and len(current.events) == 2
        assert _touches_tables(on_primary) != []

        replicated_pair.standby.resume_replay()
        await asyncio.to_thread(replicated_pair.wait_until_replayed)
        # Caught up again: back to the replica (at most one more check away).
        await asyncio.sleep(BOUND_SECONDS * 0.3)
        with recorded_statements(bounded.store.engine) as on_primary:
            again = await bounded.get_session(**key)
        assert again is not None and len(again.events) == 2
        assert _touches_tables(on_primary) == []


async def test_an_unreachable_replica_is_named_without_its_password(
    replicated_pair: ReplicatedPair, pair_database: str, primary_service: SqlSessionService
) -> None:
    session = await primary_service.create_session(app_name="down", user_id="cy")
    dead = f"postgresql+asyncpg://postgres:s3cret-pw@127.0.0.1:{free_port()}/{pair_database}"
    key = {"app_name": "down", "user_id": "cy", "session_id": session.id}
    primary = replicated_pair.primary.url(pair_database)
    async with SqlSessionService.from_url(primary, replica_urls=dead) as service:
        with pytest.raises(StoreConnectionError) as raised:
            await service.get_session(**key)
    message = str(raised.value)
    assert "s3cret-pw" not in message and "postgres:***@127.0.0.1" in message
    # With a bound, a replica that cannot be checked is skipped: the primary answers.
    async with SqlSessionService.from_url(primary, replica_urls=dead, max_replica_lag=5) as service:
        assert await service.get_session(**key) is not None


@pytest.mark.parametrize(
    "form",
    ["asyncpg", "psycopg", "psycopg-comma-lists"],
)
async def test_multi_host_urls_connect_to_the_writable_server(
    replicated_pair: ReplicatedPair, pair_database: str, form: str
) -> None:
    """The standby is listed first; ``target_session_attrs=read-write`` skips it."""
    standby, primary = replicated_pair.standby.port, replicated_pair.primary.port
    if form == "psycopg-comma-lists":
        url = (
            f"postgresql+psycopg://postgres@/{pair_database}?host=127.0.0.1,127.0.0.1"
            f"&port={standby},{primary}&target_session_attrs=read-write"
        )
    else:
        url = (
            f"postgresql+{form}://postgres@/{pair_database}?host=127.0.0.1:{standby}"
            f"&host=127.0.0.1:{primary}&target_session_attrs=read-write"
        )
    async with SqlSessionService.from_url(url, auto_migrate=True) as service:
        session = await service.create_session(app_name="multi", user_id=form)
        await service.append_event(session, make_event())
        async with service.store.unit_of_work(autocommit=True) as connection:
            port = (await connection.execute(text("SELECT inet_server_port()"))).scalar_one()
    assert port == primary


@pytest.mark.usefixtures("replay_paused")
async def test_sessions_cli_reads_the_replica(
    replicated_pair: ReplicatedPair, pair_database: str, primary_service: SqlSessionService
) -> None:
    await primary_service.create_session(app_name="cli", user_id="dee", session_id="only-new")
    primary = replicated_pair.primary.url(pair_database)
    replica = replicated_pair.standby.url(pair_database)
    runner = CliRunner()
    listing = ["sessions", "list", "--url", primary, "--app", "cli", "--json"]

    def listed(*extra: str) -> list[str]:
        result = runner.invoke(app, [*listing, *extra])
        assert result.exit_code == 0, result.output
        return [row["id"] for row in json.loads(result.stdout)["sessions"]]

    # The standby has not applied the new session; the primary has it.
    assert await asyncio.to_thread(listed, "--replica-url", replica) == []
    assert await asyncio.to_thread(listed) == ["only-new"]
