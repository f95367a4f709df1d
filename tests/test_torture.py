"""Many processes on one database keep every promise, and the checker catches broken ones.

The torture (``adk_store.reliability``) runs separate worker processes, each
with its own service, appending to shared sessions, racing creates and
deletes, and writing ``app:``/``user:`` keys; then checks the database
against every call's outcome. The checker is tested against states built
directly in the database: one that cannot fail would prove nothing.
"""

from __future__ import annotations

import contextlib
import copy
import json
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import BACKENDS, _fresh_database
from google.adk.errors import StaleSessionError
from helpers import make_event
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from adk_store import SessionStore, SqlSessionService
from adk_store.cli import app
from adk_store.cli.torture import show
from adk_store.reliability import Torture, TortureReport, Violation
from adk_store.reliability.ledger import Attempt, Outcome
from adk_store.reliability.workload import RACE_SESSIONS, SHARED_SESSIONS, build_event

TORTURE_BACKENDS = [b for b in ("sqlite-file", "postgresql", "mariadb-aiomysql") if b in BACKENDS]
runner = CliRunner()


@pytest.mark.parametrize("backend", TORTURE_BACKENDS)
async def test_processes_racing_on_one_database_keep_every_promise(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    database = _fresh_database(backend, request, tmp_path)
    torture = Torture(database.url, processes=3, tasks=4, seconds=4)
    await torture.run()
    report = await torture.report()
    assert report.violations == []
    # The run reached every path it is meant to check, not only the happy one.
    appends, creates = report.calls["append"], report.calls["create"]
    assert appends["ok"] > 0 and appends["stale"] > 0
    assert creates["ok"] > 0 and creates["exists"] > 0
    assert report.calls["delete"]["ok"] > 0
    assert report.events_stored > 0 and report.in_doubt == 0


async def test_append_built_on_a_deleted_session_is_refused(service: SqlSessionService) -> None:
    await service.create_session(app_name="a", user_id="u", session_id="s", state={"life": 1})
    old_copy = await service.get_session(app_name="a", user_id="u", session_id="s")
    assert old_copy is not None
    await service.delete_session(app_name="a", user_id="u", session_id="s")
    await service.create_session(app_name="a", user_id="u", session_id="s", state={"life": 2})
    with pytest.raises(StaleSessionError, match="deleted and created again"):
        await service.append_event(old_copy, make_event("built on the deleted session"))
    stored = await service.get_session(app_name="a", user_id="u", session_id="s")
    assert stored is not None and stored.events == [] and stored.state == {"life": 2}


# -- the checker against broken states ---------------------------------------


@pytest.fixture(scope="module")
async def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Torture:
    """One clean SQLite run whose database each test below copies and breaks."""
    path = tmp_path_factory.mktemp("torture") / "store.db"
    torture = Torture(f"sqlite+aiosqlite:///{path}", processes=2, tasks=3, seconds=3)
    await torture.run()
    assert await torture.verify() == []
    return torture


@pytest.fixture
def run_copy(finished_run: Torture, tmp_path: Path) -> Torture:
    """The finished run, pointed at a copy of its database."""
    target = tmp_path / "copy.db"
    source = str(make_url(finished_run.url).database)
    with (
        contextlib.closing(sqlite3.connect(source)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)
    run = copy.copy(finished_run)
    run.url = f"sqlite+aiosqlite:///{target}"
    run.ledger = copy.deepcopy(finished_run.ledger)
    return run


async def broken(
    run: Torture, damage: Callable[[SessionStore], Awaitable[None]]
) -> list[Violation]:
    """Damage the run's database directly; what the check finds beyond the undamaged run."""
    before = await run.verify()
    store = SessionStore.from_url(run.url)
    try:
        await damage(store)
    finally:
        await store.close()
    return [violation for violation in await run.verify() if violation not in before]


def rules(violations: list[Violation]) -> set[str]:
    return {violation.rule for violation in violations}


async def test_checker_finds_a_forked_history(run_copy: Torture) -> None:
    """A refused (stale) append whose event got stored anyway: two events on one revision."""
    user_id, session_id = SHARED_SESSIONS[0]
    loser = next(
        attempt
        for attempt in run_copy.ledger.of("append")
        if (attempt.user_id, attempt.session_id) == (user_id, session_id)
        and (outcome := run_copy.ledger.outcome(attempt.op)) is not None
        and outcome.result == "stale"
    )

    async def store_the_loser(store: SessionStore) -> None:
        event = build_event(loser)
        data = event.model_dump(mode="json", exclude_none=True)
        row = {
            "app_name": run_copy.app_name,
            "user_id": user_id,
            "session_id": session_id,
            "id": event.id,
            "invocation_id": event.invocation_id,
            "author": event.author,
            "timestamp": datetime.fromtimestamp(event.timestamp, UTC),
            "event_data": data,
            "custom_metadata": data["custom_metadata"],
            **store.owner_values,
        }
        async with store.engine.begin() as connection:
            await connection.execute(insert(store.schema.events), row)

    found = await broken(run_copy, store_the_loser)
    assert {"fork", "refused-but-stored", "half-written"} <= rules(found)
    assert any(loser.op in v.detail for v in found if v.rule == "fork")


async def test_checker_finds_a_lost_app_key(run_copy: Torture) -> None:
    lost: list[str] = []

    async def drop_a_key(store: SessionStore) -> None:
        table = store.schema.app_states
        where = [table.c.app_name == run_copy.app_name, *store.owner_filter(table)]
        async with store.engine.begin() as connection:
            state = (await connection.execute(select(table.c.state).where(*where))).scalar_one()
            lost.append(next(key for key in state if key.startswith("w_")))
            del state[lost[0]]
            await connection.execute(update(table).where(*where).values(state=state))

    found = await broken(run_copy, drop_a_key)
    assert rules(found) == {"lost-key"}
    assert [v.detail.split(" is ")[0] for v in found] == [f"app:{lost[0]}"]


async def test_checker_finds_a_state_change_without_its_event(run_copy: Torture) -> None:
    user_id, session_id = SHARED_SESSIONS[1]

    async def drop_newest_event(store: SessionStore) -> None:
        events = store.schema.events
        where = [
            events.c.app_name == run_copy.app_name,
            events.c.user_id == user_id,
            events.c.session_id == session_id,
            *store.owner_filter(events),
        ]
        async with store.engine.begin() as connection:
            newest = (
                await connection.execute(
                    select(events.c.id).where(*where).order_by(events.c.timestamp.desc()).limit(1)
                )
            ).scalar_one()
            await connection.execute(delete(events).where(*where, events.c.id == newest))

    found = await broken(run_copy, drop_newest_event)
    assert {"half-written", "lost-append"} <= rules(found)


async def test_checker_reports_a_raw_driver_error(run_copy: Torture) -> None:
    read = next(iter(run_copy.ledger.of("read")))
    found = await newly_found(
        run_copy,
        Outcome(
            op=read.op,
            result="unexpected",
            error="sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) database is locked",
        ),
    )
    assert [v.rule for v in found] == ["error"]
    assert "sqlalchemy.exc.OperationalError" in found[0].detail


async def test_checker_finds_a_refused_create_that_left_its_session(run_copy: Torture) -> None:
    """A race session made by a creator that was told the session already existed."""
    refused = next(
        attempt
        for attempt in run_copy.ledger.of("create")
        if attempt.incarnation is not None
        and (outcome := run_copy.ledger.outcome(attempt.op)) is not None
        and outcome.result == "exists"
    )

    async def make_it_the_creator(store: SessionStore) -> None:
        sessions = store.schema.sessions
        where = [
            sessions.c.app_name == run_copy.app_name,
            sessions.c.user_id == refused.user_id,
            sessions.c.id == refused.session_id,
            *store.owner_filter(sessions),
        ]
        now = datetime.now(UTC)
        row = {
            "app_name": run_copy.app_name,
            "user_id": refused.user_id,
            "id": refused.session_id,
            "state": {"incarnation": refused.op},
            "revision": 0,
            "create_time": now,
            "update_time": now,
            **store.owner_values,
        }
        async with store.engine.begin() as connection:
            await connection.execute(delete(sessions).where(*where))
            await connection.execute(insert(sessions), row)

    found = await broken(run_copy, make_it_the_creator)
    assert rules(found) == {"refused-but-stored"}
    assert refused.op in found[0].detail


async def newly_found(run: Torture, *lines: Attempt | Outcome) -> list[Violation]:
    """What the check finds once ``lines`` are added to the run's ledger."""
    before = await run.verify()
    for line in lines:
        run.ledger.record(line)
    return [violation for violation in await run.verify() if violation not in before]


def call(op: str, action: str, key: tuple[str, str], at: float, **fields: object) -> Attempt:
    writer, seq = op.split(":")
    return Attempt.model_validate(
        dict(
            op=op,
            writer=writer,
            seq=int(seq),
            action=action,
            user_id=key[0],
            session_id=key[1],
            at=at,
            **fields,
        )
    )


async def test_checker_finds_an_append_that_outlived_its_session(run_copy: Torture) -> None:
    """Created, re-created by someone else, and only then appended to: the append must fail."""
    key = RACE_SESSIONS[0]
    first = call("p9t1:1", "create", key, at=1.0, incarnation="p9t1:1")
    second = call("p9t2:1", "create", key, at=3.0, incarnation="p9t2:1")
    late = call("p9t1:2", "append", key, at=5.0, incarnation="p9t1:1", base=0, event_id="x")
    found = await newly_found(
        run_copy,
        first,
        Outcome(op=first.op, result="ok", at=2.0),
        second,
        Outcome(op=second.op, result="ok", at=4.0),
        late,
        Outcome(op=late.op, result="ok", at=6.0),
    )
    # (Its app:/user: keys are missing too: the append never really happened.)
    assert [v.detail.split(" was ")[0] for v in found if v.rule == "stale-incarnation"] == [
        "append p9t1:2"
    ]


async def test_checker_finds_a_stale_refusal_without_a_rival(run_copy: Torture) -> None:
    key = SHARED_SESSIONS[0]
    refused = call("p9t3:1", "append", key, at=1.0, base=10**6, event_id="never-stored")
    found = await newly_found(run_copy, refused, Outcome(op=refused.op, result="stale", at=2.0))
    assert [v.rule for v in found] == ["false-stale"]


# -- the command -------------------------------------------------------------


def test_torture_command_reports_json(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    args = ["torture", "--url", url, "--processes", "1", "--tasks", "2", "--seconds", "1"]
    result = runner.invoke(app, [*args, "--json"])
    report = TortureReport.model_validate(json.loads(result.output))
    assert result.exit_code == (0 if report.ok else 1)
    assert report.violations == []
    assert report.calls["append"]["ok"] > 0


def test_torture_command_refuses_a_database_processes_cannot_share() -> None:
    result = runner.invoke(app, ["torture", "--url", "sqlite+aiosqlite://", "--seconds", "1"])
    assert result.exit_code == 2
    assert "in-memory SQLite database cannot be shared" in result.output


def test_summary_groups_broken_promises(capsys: pytest.CaptureFixture[str]) -> None:
    report = TortureReport(
        url="postgresql+asyncpg://app:***@db/agents",
        service="adk",
        app_name="torture-0",
        processes=2,
        tasks=2,
        seconds=1,
        elapsed=1,
        calls={"append": {"ok": 3, "stale": 1}},
        events_stored=3,
        in_doubt=0,
        violations=[Violation(rule="fork", detail=f"fork number {i}") for i in range(5)],
    )
    show(report)
    out = capsys.readouterr().out
    assert "fork: 5" in out and "fork number 2" in out and "fork number 3" not in out
    assert "5 broken promise(s)" in out
