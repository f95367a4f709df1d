"""The ``adk-store`` command, in process and from a built wheel."""

from __future__ import annotations

import asyncio
import os
import pty
import sqlite3
import subprocess
import sys
import zipfile
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import Result
from conftest import Database
from helpers import make_event
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from adk_store import SqlSessionService
from adk_store.cli import app
from adk_store.dialects.sqlite import sqlite_file
from adk_store.migrations import head_revision

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


def create_empty_sqlite_file(url: str) -> None:
    """An empty database where the URL names a SQLite file, as a server starts out."""
    path = sqlite_file(make_url(url))
    if path is not None:
        path.touch()


def error_line(result: Result) -> str:
    """The failure's message: stderr must hold that one line and nothing else."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_db_commands_round_trip(shared_database: Database) -> None:
    url = ["--url", shared_database.url]
    create_empty_sqlite_file(shared_database.url)
    before = runner.invoke(app, ["db", "current", *url])
    assert before.exit_code == 0, before.output
    assert "current: (none)" in before.output and "needs 'adk-store db upgrade'" in before.output
    assert runner.invoke(app, ["db", "upgrade", *url]).exit_code == 0
    after = runner.invoke(app, ["db", "current", *url])
    assert f"current: {head_revision()}" in after.output and "up to date" in after.output
    checked = runner.invoke(app, ["db", "check", *url])
    assert checked.exit_code == 0 and "No differences" in checked.output
    downgraded = runner.invoke(app, ["db", "downgrade", *url, "--revision", "base", "--yes"])
    assert downgraded.exit_code == 0, downgraded.output
    assert "current: (none)" in runner.invoke(app, ["db", "current", *url]).output


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql://dba:pw@db.invalid/agents",
            [
                "JSONB",
                "TIMESTAMP(6) WITH TIME ZONE",
                "WITH (fillfactor = 80)",
                "USING gin",
                "WHERE state <> '{}'::jsonb",
                "ON DELETE CASCADE",
            ],
        ),
        ("sqlite:///nowhere.db", ["CREATE TABLE adk_sessions", "JSON NOT NULL", "DATETIME"]),
        ("mysql://dba:pw@db.invalid/agents", ["DATETIME(6)", "CHARSET=utf8mb4", "ENGINE=InnoDB"]),
        ("mariadb://dba:pw@db.invalid/agents", ["DATETIME(6)", "CHARSET=utf8mb4", "ENGINE=InnoDB"]),
        (
            "oracle://dba:pw@db.invalid/agents",
            ["VARCHAR2(128 CHAR)", "TIMESTAMP WITH TIME ZONE", "JSON", "ON DELETE CASCADE"],
        ),
    ],
)
def test_db_sql_renders_ddl_without_connecting(url: str, expected: list[str]) -> None:
    result = runner.invoke(app, ["db", "sql", "--url", url])
    assert result.exit_code == 0, result.output
    for fragment in expected:
        assert fragment in result.output, fragment
    assert "adk_alembic_version" in result.output
    assert "pw@" not in result.output


def test_unreachable_server_is_a_clear_error_without_password() -> None:
    result = runner.invoke(
        app, ["db", "upgrade", "--url", "postgresql+asyncpg://app:hunter2@127.0.0.1:9/agents"]
    )
    assert result.exit_code == 1
    assert "Cannot connect to postgresql+asyncpg://app:***@127.0.0.1:9/agents" in result.output
    assert "hunter2" not in result.output


def test_bad_url_and_sync_driver_are_explained() -> None:
    sync = runner.invoke(app, ["db", "current", "--url", "postgresql+psycopg2://u:pw@h/db"])
    assert (
        sync.exit_code == 1
        and "not a supported async driver" in sync.output
        and "pw" not in sync.output
    )
    unknown = runner.invoke(app, ["db", "current", "--url", "mongodb://h/db"])
    assert unknown.exit_code == 1 and "Unsupported database" in unknown.output


def test_demo_runs_twice_and_continues(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    first = runner.invoke(app, ["demo", "--url", url, "--migrate"])
    second = runner.invoke(app, ["demo", "--url", url])
    assert first.exit_code == 0, first.output
    assert "New session" in first.output and "Turn 2 of this session" in first.output
    assert "Continuing session" in second.output and "Turn 4 of this session" in second.output
    assert "12 events stored" in second.output


def test_installed_wheel_ships_migrations_and_upgrades(tmp_path: Path) -> None:
    """From a built wheel (not the checkout), `adk-store db upgrade` works."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next((tmp_path / "dist").glob("adk_store-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "adk_store/_migrations/env.py" in names
    assert "adk_store/_migrations/versions/0001_initial_schema.py" in names
    assert "adk_store/py.typed" in names
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    db = tmp_path / "wheel.db"
    code = (
        "import adk_store, adk_store.migrations as m; print(adk_store.__file__); "
        "print(m.script_location())"
    )
    where = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(target) in where.stdout and "_migrations" in where.stdout

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: PLW1510 - the exit code is asserted
            [
                sys.executable,
                "-m",
                "adk_store.cli",
                "db",
                *args,
                "--url",
                f"sqlite+aiosqlite:///{db}",
            ],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )

    upgraded = cli("upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    current = cli("current")
    assert f"current: {head_revision()}" in current.stdout


def test_unparseable_url_and_bad_engine_options_are_explained() -> None:
    from adk_store import SqlSessionService, StoreConfigurationError

    with pytest.raises(StoreConfigurationError, match="Cannot parse database URL") as raised:
        SqlSessionService.from_url("not a url:secret@@")
    assert "secret" not in str(raised.value)
    with pytest.raises(StoreConfigurationError, match="Cannot create an engine .*nonsense"):
        SqlSessionService.from_url("postgresql+asyncpg://u:pw@127.0.0.1:9/db", nonsense=1)


def test_db_sql_refuses_an_unsupported_url() -> None:
    result = runner.invoke(app, ["db", "sql", "--url", "mongodb://u:pw@h/db"])
    assert result.exit_code == 1 and "Unsupported database 'mongodb'" in result.output
    assert "pw@" not in result.output


def test_alembic_without_a_url_says_how_to_give_one(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "ADK_STORE_URL"}
    result = subprocess.run(  # noqa: PLW1510 - the exit code is asserted
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "-x url=... or ADK_STORE_URL" in result.stdout + result.stderr


# -- nothing lost without a yes ------------------------------------------------


def fill_sqlite_store(path: Path, sessions: int = 5, events: int = 5) -> str:
    """A store file holding ``sessions`` sessions of ``events`` events each; its URL."""
    url = f"sqlite+aiosqlite:///{path}"

    async def fill() -> None:
        async with SqlSessionService.from_url(url, auto_migrate=True) as service:
            for number in range(sessions):
                session = await service.create_session(
                    app_name="shop", user_id="ann", session_id=f"s{number}"
                )
                for _ in range(events):
                    await service.append_event(session, make_event())

    asyncio.run(fill())
    return url


def stored_counts(path: Path) -> tuple[int, int] | None:
    """Sessions and events in a store file; None once its tables are gone."""
    with closing(sqlite3.connect(path)) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        if "adk_sessions" not in tables:
            return None
        sessions = connection.execute("SELECT count(*) FROM adk_sessions").fetchone()[0]
        events = connection.execute("SELECT count(*) FROM adk_events").fetchone()[0]
        return sessions, events


def test_downgrade_needs_an_explicit_revision_and_a_yes(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    url = fill_sqlite_store(path)
    assert stored_counts(path) == (5, 25)

    no_target = runner.invoke(app, ["db", "downgrade", "--url", url])
    assert no_target.exit_code == 2 and "Missing option '--revision'" in no_target.output
    assert stored_counts(path) == (5, 25)

    # No terminal to ask in: refused, saying what would have gone.
    unconfirmed = runner.invoke(app, ["db", "downgrade", "--url", url, "--revision", "base"])
    assert unconfirmed.exit_code == 1
    line = error_line(unconfirmed)
    assert "drops every adk-store table, with 5 sessions, 25 events" in line
    assert "add --yes" in line
    assert stored_counts(path) == (5, 25)

    confirmed = runner.invoke(app, ["db", "downgrade", "--url", url, "--revision", "base", "--yes"])
    assert confirmed.exit_code == 0, confirmed.output
    assert "Downgraded" in confirmed.output and "to base" in confirmed.output
    assert stored_counts(path) is None


@pytest.mark.parametrize(("answer", "kept"), [("n", True), ("y", False)])
def test_downgrade_asks_in_a_terminal(answer: str, kept: bool, tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    url = fill_sqlite_store(path)
    command = ["db", "downgrade", "--url", url, "--revision", "base"]
    terminal, command_side = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "adk_store.cli", *command],
            stdin=command_side,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        os.close(command_side)
        os.write(terminal, f"{answer}\n".encode())
        _, err = process.communicate(timeout=120)
    finally:
        os.close(terminal)
    assert "drops every adk-store table, with 5 sessions, 25 events" in err
    assert "Go ahead?" in err
    assert process.returncode == (1 if kept else 0), err
    assert (stored_counts(path) == (5, 25)) if kept else (stored_counts(path) is None)


# -- a missing SQLite file is reported, never created ----------------------------

NOT_CREATING = [
    ("sessions", "list"),
    ("sessions", "show", "--app", "shop", "--user", "ann", "s0"),
    ("db", "current"),
    ("db", "check"),
    ("db", "downgrade", "--revision", "base", "--yes"),
    ("prune", "--older-than", "1d", "--dry-run"),
    ("prune", "--older-than", "1d", "--yes"),
    ("demo",),
]


@pytest.mark.parametrize("command", NOT_CREATING, ids=" ".join)
def test_a_mistyped_sqlite_path_creates_nothing(command: tuple[str, ...], tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "store.db"
    result = runner.invoke(app, [*command, "--url", f"sqlite+aiosqlite:///{missing}"])
    assert result.exit_code == 1
    assert error_line(result).startswith(f"error: no such file: {missing}. Nothing was created")
    assert list(tmp_path.iterdir()) == []


def test_a_missing_transfer_source_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "adk.db"
    destination = f"sqlite+aiosqlite:///{tmp_path / 'new' / 'store.db'}"
    imported = runner.invoke(app, ["import", "--from", str(missing), "--to", destination])
    copied = runner.invoke(
        app, ["copy", "--from", f"sqlite:///{missing}", "--to", destination, "--migrate"]
    )
    for result in (imported, copied):
        assert result.exit_code == 1
        assert f"{missing} does not exist" in error_line(result)
    assert list(tmp_path.iterdir()) == []


def test_only_the_demo_creates_the_embedded_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("ADK_STORE_HOME", str(home))
    monkeypatch.delenv("ADK_STORE_URL", raising=False)
    for command in (["sessions", "list"], ["db", "current"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 1
        assert f"no such file: {home / 'sessions.db'}" in error_line(result)
    assert not home.exists()
    demo = runner.invoke(app, ["demo"])
    assert demo.exit_code == 0, demo.output
    assert "tables created or upgraded if needed" in demo.output
    assert (home / "sessions.db").is_file()


# -- the demo follows the rule for URLs -------------------------------------------


def test_the_demo_creates_tables_at_a_url_only_with_migrate(shared_database: Database) -> None:
    url = ["--url", shared_database.url]
    create_empty_sqlite_file(shared_database.url)
    refused = runner.invoke(app, ["demo", *url])
    assert refused.exit_code == 1
    line = error_line(refused)
    assert "has no adk-store tables" in line and "adk-store db upgrade --url" in line
    assert "add --migrate to this command" in line
    assert "current: (none)" in runner.invoke(app, ["db", "current", *url]).output

    migrated = runner.invoke(app, ["demo", *url, "--migrate"])
    assert migrated.exit_code == 0, migrated.output
    assert "tables created or upgraded if needed" in migrated.output
    again = runner.invoke(app, ["demo", *url])
    assert again.exit_code == 0, again.output
    assert "Continuing session" in again.output
    assert "created or upgraded" not in again.output


# -- error text: printed as written, one line --------------------------------------


@pytest.mark.parametrize(
    "command",
    [("sessions", "list"), ("db", "current"), ("demo",), ("prune", "--older-than", "1d")],
    ids=" ".join,
)
def test_a_pip_extra_in_an_error_is_printed_as_written(
    command: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A console reads "[oracle]" as a style and drops it: the command must tell the extra."""
    monkeypatch.setitem(sys.modules, "oracledb", None)
    result = runner.invoke(app, [*command, "--url", "oracle://app:pw@db.invalid/agents"])
    assert result.exit_code == 1
    line = error_line(result)
    assert "pip install oracledb" in line and ".[oracle]" in line


def test_a_bracketed_path_in_an_error_is_printed_as_written(tmp_path: Path) -> None:
    missing = tmp_path / "[prod]" / "store.db"
    for command in (["sessions", "list"], ["db", "current"], ["db", "check"]):
        result = runner.invoke(app, [*command, "--url", f"sqlite+aiosqlite:///{missing}"])
        assert f"no such file: {missing}." in error_line(result)


def test_an_unknown_revision_is_one_line_naming_the_revisions() -> None:
    for command in ("sql", "upgrade"):
        result = runner.invoke(
            app, ["db", command, "--url", "sqlite+aiosqlite://", "--revision", "bogus"]
        )
        assert result.exit_code == 1
        line = error_line(result)
        assert line.startswith("error: Can't locate revision identified by 'bogus'.")
        assert "The revisions are 'base' or one of 0001" in line


def test_an_unexpected_error_is_one_line_and_debug_shows_the_traceback() -> None:
    # Alembic asserts on an empty revision: an error no command expects.
    command = ["db", "sql", "--url", "postgresql://app:hunter2@db.invalid/agents", "--revision", ""]
    plain = runner.invoke(app, command)
    assert plain.exit_code == 1
    assert error_line(plain) == (
        "error: AssertionError, without a message. Run 'adk-store --debug ...' for the traceback."
    )
    assert plain.stdout == ""
    debug = runner.invoke(app, ["--debug", *command])
    assert debug.exit_code == 1
    assert isinstance(debug.exception, AssertionError)
