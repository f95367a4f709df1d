"""Faults under load: servers crash and restart, writers are killed, the pool runs dry.

Every call either returned and is durable, or raised an error the caller can
catch by type (ADK's own, or :class:`~adk_store.errors.StoreConnectionError`);
no append is ever half-written; the service recovers without being rebuilt.
The load is the torture of ``test_torture.py`` with ``faults=True``: calls
cut off by the fault are in doubt, and must have been applied wholly or not
at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import Database
from helpers import make_event
from servers import MariaDBServer, PostgresServer

from adk_store import SqlSessionService, StoreConnectionError, engine
from adk_store.errors import PoolTimeoutError
from adk_store.reliability import Torture, TortureReport

# Calls reported before a fault is injected: the fault lands in a running load.
CALLS_BEFORE_FAULT = 150


@pytest.fixture
def durable_postgres() -> Iterator[PostgresServer]:
    server = PostgresServer.start(durable=True)
    yield server
    server.stop()


@pytest.fixture
def durable_mariadb() -> Iterator[MariaDBServer]:
    server = MariaDBServer.start(durable=True)
    yield server
    server.stop()


async def calls_reported(torture: Torture, count: int) -> None:
    """Wait until the workers have reported ``count`` calls (or every worker is done)."""
    while len(torture.ledger.outcomes) < count and torture.elapsed == 0.0:  # noqa: ASYNC110
        # Polled: the ledger is filled by worker processes, with no event to wait on.
        await asyncio.sleep(0.05)


def summary(fault: str, report: TortureReport) -> str:
    """One line for the reliability report (shown with ``pytest -s``)."""
    failed = sum(results.get("unavailable", 0) for results in report.calls.values())
    appends = report.calls["append"]
    return (
        f"{fault}: {report.processes} processes x {report.tasks} writers, {report.elapsed:.1f} s, "
        f"{report.total_calls} calls, {appends.get('ok', 0)} appends returned, "
        f"{failed} calls raised StoreConnectionError, {report.in_doubt} writes in doubt, "
        f"{report.events_stored} events stored, "
        f"{len(report.violations)} violations"
    )


def outcomes_after_outage(torture: Torture) -> list[str]:
    """Results reported after the first StoreConnectionError, in arrival order."""
    results = [outcome.result for outcome in torture.ledger.outcomes.values()]
    first = results.index("unavailable")
    return results[first + 1 :]


async def run_through_server_fault(
    url: str, fault: Callable[[], None], label: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A torture with ``fault`` injected mid-load, and a bystander service used across it.

    The bystander (in this process) checks every pooled connection it takes
    out, so the ones the fault killed are replaced without a single error.
    """
    monkeypatch.setattr(engine, "IDLE_PING_SECONDS", 0.0)
    torture = Torture(url, processes=2, tasks=3, seconds=8, faults=True)
    async with SqlSessionService.from_url(url, auto_migrate=True) as bystander:
        session = await bystander.create_session(app_name="bystander", user_id="u", session_id="s")
        await bystander.append_event(session, make_event("before"))

        async def inject(_pids: list[int]) -> None:
            await calls_reported(torture, CALLS_BEFORE_FAULT)
            await asyncio.to_thread(fault)

        await torture.run(during=inject)
        # The bystander was not rebuilt: its dead pooled connection is replaced.
        stored = await bystander.get_session(app_name="bystander", user_id="u", session_id="s")
        assert stored is not None
        await bystander.append_event(stored, make_event("after"))
        again = await bystander.get_session(app_name="bystander", user_id="u", session_id="s")
    assert again is not None
    assert [event.content.parts[0].text for event in again.events] == ["before", "after"]
    report = await torture.report()
    assert report.violations == []
    # The fault hit calls in flight, they failed with the store's own error
    # type, and the workers' services went on working afterwards.
    assert any(results.get("unavailable") for results in report.calls.values())
    assert "ok" in outcomes_after_outage(torture)
    print(summary(label, report))


async def test_postgres_crash_restart_under_load(
    durable_postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = durable_postgres.url(durable_postgres.create_database("faults"))
    await run_through_server_fault(
        url, durable_postgres.crash_restart, "PostgreSQL restarted -m immediate", monkeypatch
    )


async def test_mariadb_killed_and_restarted_under_load(
    durable_mariadb: MariaDBServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = durable_mariadb.url(durable_mariadb.create_database("faults"))

    def kill_and_restart() -> None:
        durable_mariadb.kill()
        durable_mariadb.restart()

    await run_through_server_fault(
        url, kill_and_restart, "MariaDB killed (SIGKILL) and restarted", monkeypatch
    )


async def test_sqlite_writers_killed_mid_load_leave_a_sound_database(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    torture = Torture(f"sqlite+aiosqlite:///{path}", processes=3, tasks=3, seconds=6, faults=True)

    async def kill_two(pids: list[int]) -> None:
        for count, pid in zip((CALLS_BEFORE_FAULT, 2 * CALLS_BEFORE_FAULT), pids, strict=False):
            await calls_reported(torture, count)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    await torture.run(during=kill_two)
    with contextlib.closing(sqlite3.connect(path)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    report = await torture.report()
    assert report.violations == []
    # The kills cut calls off mid-flight; whatever they did is whole or absent.
    killed = [
        attempt
        for attempt in torture.ledger.attempts.values()
        if attempt.writer.startswith(("p0t", "p1t")) and torture.ledger.outcome(attempt.op) is None
    ]
    assert killed
    assert report.calls["append"]["ok"] > 0
    print(summary("two SQLite writer processes killed", report))


async def test_exhausted_pool_is_a_clear_timeout_not_a_hang(shared_database: Database) -> None:
    url = shared_database.url
    if url.startswith("postgresql"):
        # Trust authentication ignores it: the password must still never be shown.
        url = url.replace("postgres@", "postgres:pool-secret@")
    options = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 1}
    async with SqlSessionService.from_url(url, auto_migrate=True, **options) as service:
        await service.create_session(app_name="a", user_id="u", session_id="s")
        held = await service.store.engine.connect()
        try:
            with pytest.raises(PoolTimeoutError) as caught:
                await asyncio.wait_for(
                    service.get_session(app_name="a", user_id="u", session_id="s"), 120
                )
        finally:
            await held.close()
        # Released, the pool serves calls again.
        assert await service.get_session(app_name="a", user_id="u", session_id="s") is not None
    message = str(caught.value)
    assert isinstance(caught.value, TimeoutError) and isinstance(caught.value, StoreConnectionError)
    for setting in ("pool_size=1", "max_overflow=0", "pool_timeout=1"):
        assert setting in message
    assert "pool-secret" not in message
