"""The benchmark harness at toy sizes: every contender runs and every write is read back.

Speed is not asserted here (timed thresholds belong to the benchmark itself);
this proves the harness works and that its verification can pass.
"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from adk_store.cli import app


def test_quick_bench_runs_every_contender_and_verifies(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["bench", "--quick", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
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
    ours = {r["workload"] for r in report["results"] if r["contender"] == "adk-store"}
    assert any(w.startswith("paged listing") for w in ours)
    assert any(w.startswith("append, 50") for w in ours)
    assert all(r["verified"] for r in report["results"]), [
        r for r in report["results"] if not r["verified"]
    ]
    assert (tmp_path / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (
        "| postgresql | append, 50 concurrent sessions | adk-store |"
        in (tmp_path / "bench.md").read_text()
    )
    assert "Every acknowledged write was read back" in result.output
