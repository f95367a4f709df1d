"""The benchmarks at toy sizes: every contender runs and every write is read back.

Speed is not asserted here (timed thresholds belong to the benchmark itself);
this proves ``adk-store bench`` works on a database it is given, that the
comparison harness in ``benchmarks/`` works on the servers it starts, and
that their verification can pass.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BACKENDS
from typer.testing import CliRunner

from adk_store import SqlSessionService
from adk_store.cli import app

REPO = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"


def test_bench_measures_both_services_on_the_database_given(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'scratch.db'}"
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["bench", "--url", url, "--quick", "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "bench.json").read_text())
    contenders = {(r["backend"], r["contender"]) for r in report["results"]}
    assert contenders == {("sqlite", "adk-store"), ("sqlite", "ADK DatabaseSessionService")}
    ours = {r["workload"] for r in report["results"] if r["contender"] == "adk-store"}
    assert any(w.startswith("paged listing") for w in ours)
    assert any(w.startswith("append, 50") for w in ours)
    assert all(r["verified"] for r in report["results"]), [
        r for r in report["results"] if not r["verified"]
    ]
    assert (out / "bench.png").read_bytes()[:8] == PNG
    assert (
        "| sqlite | append, 50 concurrent sessions | adk-store |" in (out / "bench.md").read_text()
    )
    assert "Every acknowledged write was read back" in result.output
    # The run's sessions are in the database given, under the app name it reported.
    app_name = report["app_name"]
    assert app_name.startswith("bench-") and app_name in result.output
    assert asyncio.run(_session_count(url, app_name)) > 0


async def _session_count(url: str, app_name: str) -> int:
    async with SqlSessionService(url) as service:
        return len((await service.list_sessions(app_name=app_name)).sessions)


def test_bench_needs_a_url_and_writes_nothing_without_one(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["bench", "--out", str(tmp_path)], env={"ADK_STORE_URL": None})
    assert result.exit_code == 2 and "give --url" in result.output
    assert not (tmp_path / "bench.json").exists()


def _harness(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m benchmarks`` as documented: from the root of a checkout."""
    return subprocess.run(
        [sys.executable, "-m", "benchmarks", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.mark.skipif("postgresql" not in BACKENDS, reason="starts a PostgreSQL server")
def test_harness_runs_every_contender_on_the_servers_it_starts(tmp_path: Path) -> None:
    result = _harness("--quick", "--out", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((tmp_path / "bench.json").read_text())
    contenders = {(r["backend"], r["contender"]) for r in report["results"]}
    assert contenders == {
        ("postgresql", "adk-store"),
        ("postgresql", "ADK DatabaseSessionService"),
        ("postgresql", "ADK InMemorySessionService"),
        ("postgresql", "raw asyncpg"),
        ("sqlite", "adk-store"),
        ("sqlite", "ADK DatabaseSessionService"),
        ("sqlite", "ADK SqliteSessionService"),
    }
    assert all(r["verified"] for r in report["results"]), [
        r for r in report["results"] if not r["verified"]
    ]
    assert (tmp_path / "bench.png").read_bytes()[:8] == PNG
    assert (
        "| postgresql | append, 50 concurrent sessions | adk-store |"
        in (tmp_path / "bench.md").read_text()
    )
    assert "Every acknowledged write was read back" in result.stdout


def test_harness_refuses_an_unknown_backend(tmp_path: Path) -> None:
    result = _harness("--backend", "oracle", "--out", str(tmp_path))
    assert result.returncode == 2 and "invalid choice: 'oracle'" in result.stderr
    assert not (tmp_path / "bench.json").exists()
