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
from typing import Any

import pytest
from conftest import BACKENDS, SERVER_BACKENDS
from typer.testing import CliRunner

from adk_store import SqlSessionService
from adk_store.bench.contenders import ADK_DATABASE, ADK_SQLITE, RAW
from adk_store.cli import app

REPO = Path(__file__).resolve().parents[1]
MARIADB_BACKENDS = [name for name, (server, *_) in SERVER_BACKENDS.items() if server == "mariadb"]
PNG = b"\x89PNG\r\n\x1a\n"


def _check_report(report: dict[str, Any], backend: str, contenders: set[str]) -> None:
    """Structure of one backend's results: every workload, rounds, spread, CPU and latency."""
    scale = report["method"]["scale"]
    names = report["method"]["workloads"]
    rows = [r for r in report["results"] if r["backend"] == backend]
    assert {r["contender"] for r in rows} == contenders
    main = {r["contender"]: r for r in rows if r["workload"] == names["main"]}
    assert set(main) == contenders
    for r in main.values():
        assert len(r["rounds"]) == scale["rounds"] and r["callers"] == scale["sessions"]
    services = contenders - {RAW}
    crowd = {(r["contender"], r["callers"]) for r in rows if "default pool" in r["workload"]}
    assert {(name, scale["crowd"]) for name in services} <= crowd
    for r in rows:
        assert r["error"] is None, r
        assert r["verified"] is True, r
        low, high = r["spread"]
        assert 0 < low <= r["per_second"] <= high, r
        latency = r["latency_ms"]
        assert 0 < latency["p50"] <= latency["p99"] <= latency["max"], r
        assert r["calls"] >= sum(round_["operations"] for round_ in r["rounds"]) > 0
        assert r["client_us"] > 0
    # Appends by 50 callers: every caller's window holds its own appends.
    assert all(round_["idle_callers"] == 0 for r in main.values() for round_ in r["rounds"])
    ratios = {r["workload"]: r["over"] for r in report["ratios"] if r["backend"] == backend}
    ours, adk = main["adk-store"]["per_second"], main[ADK_DATABASE]["per_second"]
    assert ratios[names["main"]][ADK_DATABASE] == pytest.approx(ours / adk)
    targets = [t for t in report["targets"] if t["backend"] == backend]
    assert targets and all(t["met"] == (t["ratio"] >= t["goal"]) for t in targets if t["ratio"])
    tried = [c for c in report["calibration"] if c["backend"] == backend]
    raw = next(c for c in tried if c["contender"] == RAW)
    assert len(raw["rates"]) == 2 and raw["chosen"] in raw["rates"]
    assert raw["rates"][raw["chosen"]] == max(raw["rates"].values())
    assert main[RAW]["configuration"].split(", ")[1] in (
        f"{raw['chosen']} connection",
        f"{raw['chosen']} connections",
    )


def test_bench_measures_adk_store_adk_and_raw_on_the_database_given(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'scratch.db'}"
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["bench", "--url", url, "--quick", "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "bench.json").read_text())
    _check_report(report, "sqlite", {"adk-store", ADK_DATABASE, RAW})
    # SQLite runs inside the benchmark's process: no server CPU apart from the client's.
    assert all(r["server_us"] is None for r in report["results"])
    assert (out / "bench.png").read_bytes()[:8] == PNG
    page = (out / "bench.md").read_text()
    assert "| sqlite | append, 50 sessions | adk-store |" in page
    assert "| sqlite | get newest 20 ≥ 2× ADK DatabaseSessionService |" in page
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


SERVERS = [
    name
    for name, needs in (("postgresql", {"postgresql"}), ("mariadb", set(MARIADB_BACKENDS)))
    if needs & set(BACKENDS)
]


@pytest.mark.skipif(not SERVERS, reason="starts a PostgreSQL or MariaDB server")
def test_harness_runs_every_contender_on_the_servers_it_starts(tmp_path: Path) -> None:
    flags = [f"--backend={name}" for name in [*SERVERS, "sqlite"]]
    result = _harness("--quick", *flags, "--out", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((tmp_path / "bench.json").read_text())
    for name in SERVERS:
        _check_report(report, name, {"adk-store", ADK_DATABASE, RAW})
        # The servers run on this machine: their CPU per operation is measured
        # (ticks of 10 ms: only the main workload is long enough to be sure of one).
        rows = [r for r in report["results"] if r["backend"] == name]
        assert all(r["server_us"] is not None for r in rows)
        main = report["method"]["workloads"]["main"]
        assert all(r["server_us"] > 0 for r in rows if r["workload"] == main)
    _check_report(report, "sqlite", {"adk-store", ADK_DATABASE, ADK_SQLITE, RAW})
    assert (tmp_path / "bench.png").read_bytes()[:8] == PNG
    assert (
        f"| {SERVERS[0]} | append, 50 sessions | adk-store |" in (tmp_path / "bench.md").read_text()
    )
    assert "Every acknowledged write was read back" in result.stdout


def test_harness_refuses_an_unknown_backend(tmp_path: Path) -> None:
    result = _harness("--backend", "oracle", "--out", str(tmp_path))
    assert result.returncode == 2 and "invalid choice: 'oracle'" in result.stderr
    assert not (tmp_path / "bench.json").exists()
