"""The ``adk-store`` command, in process and from a built wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import Database
from typer.testing import CliRunner

from adk_store.cli import app

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


def test_db_commands_round_trip(shared_database: Database) -> None:
    url = ["--url", shared_database.url]
    before = runner.invoke(app, ["db", "current", *url])
    assert before.exit_code == 0, before.output
    assert "current: (none)" in before.output and "needs 'adk-store db upgrade'" in before.output
    assert runner.invoke(app, ["db", "upgrade", *url]).exit_code == 0
    after = runner.invoke(app, ["db", "current", *url])
    assert "current: 0001" in after.output and "up to date" in after.output
    checked = runner.invoke(app, ["db", "check", *url])
    assert checked.exit_code == 0 and "No differences" in checked.output
    assert runner.invoke(app, ["db", "downgrade", *url]).exit_code == 0
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
    first = runner.invoke(app, ["demo", "--url", url])
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
    assert "current: 0001" in current.stdout


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
