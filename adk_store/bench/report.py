"""The report of a benchmark run: JSON, a Markdown table, a terminal table and a chart.

Shared by ``adk-store bench`` and the comparison harness in ``benchmarks/``,
so both write the same files and docs/benchmarks.md can show either.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from adk_store.bench.workloads import Measurement, Scale

REFERENCE = "ADK DatabaseSessionService"


def build(
    command: str,
    scale: Scale,
    started: float,
    results: list[tuple[str, Measurement]],
    **about: Any,
) -> dict[str, Any]:
    """The report as JSON-ready data; ``about`` adds fields such as the database measured."""
    return {
        "command": command,
        **about,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "scale": asdict(scale),
        "seconds": round(time.time() - started, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "results": [
            {"backend": backend, **asdict(m), "per_second": m.per_second, "ms": m.ms_per_operation}
            for backend, m in results
        ],
    }


def publish(report: dict[str, Any], out: Path, console: Console) -> None:
    """Write bench.json, bench.md and bench.png to ``out`` and summarise on the console."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(report, indent=2))
    (out / "bench.md").write_text(markdown(report))
    console.print(render_table(report))
    files = [out / "bench.json", out / "bench.md"]
    if chart(report, out / "bench.png", console):
        files.append(out / "bench.png")
    errors = [r for r in report["results"] if r["error"]]
    if errors:
        names = sorted({f"{r['backend']}/{r['contender']}" for r in errors})
        console.print(f"{len(errors)} measurements ended in errors: {', '.join(names)}.")
    console.print(
        f"Peak memory {report['peak_rss_mib']} MiB; {len(report['results'])} measurements in "
        f"{report['seconds']} s; results in {', '.join(str(f) for f in files)}."
    )
    failed = [r for r in report["results"] if r["verified"] is False]
    if failed:
        console.print(f"[red]{len(failed)} measurements lost or misread acknowledged data.[/]")
    else:
        console.print("Every acknowledged write was read back.")


def lost_writes(report: dict[str, Any]) -> bool:
    """Whether a contender lost or misread an acknowledged write: the run failed."""
    return any(result["verified"] is False for result in report["results"])


def _reference_rates(report: dict[str, Any]) -> dict[tuple[str, str], float]:
    return {
        (r["backend"], r["workload"]): r["per_second"]
        for r in report["results"]
        if r["contender"] == REFERENCE
    }


def render_table(report: dict[str, Any]) -> Table:
    table = Table(
        "backend",
        "workload",
        "contender",
        "ops/s",
        "ms/op",
        f"× {REFERENCE}",
        "peak KiB",
        "verified",
        title="adk-store bench",
    )
    reference = _reference_rates(report)
    for r in report["results"]:
        base = reference.get((r["backend"], r["workload"]))
        ratio = f"{r['per_second'] / base:.1f}" if base else ""
        peak = f"{r['peak_kib']:,.0f}" if r["peak_kib"] is not None else ""
        table.add_row(
            r["backend"],
            r["workload"],
            r["contender"],
            f"{r['per_second']:,.0f}",
            f"{r['ms']:.2f}",
            ratio,
            peak,
            {True: "yes", False: "NO"}.get(r["verified"], ""),
            r["error"] or "",
        )
    return table


def markdown(report: dict[str, Any]) -> str:
    """The results as a Markdown table, for docs/benchmarks.md."""
    reference = _reference_rates(report)
    lines = [
        f"| backend | workload | contender | ops/s | ms/op | x {REFERENCE} | peak KiB | verified |",
        "|---|---|---|---:|---:|---:|---:|---|",
    ]
    for r in report["results"]:
        base = reference.get((r["backend"], r["workload"]))
        ratio = f"{r['per_second'] / base:.1f}" if base else ""
        peak = f"{r['peak_kib']:,.0f}" if r["peak_kib"] is not None else ""
        verified = {True: "yes", False: "**NO**"}.get(r["verified"], "")
        if r["error"]:
            verified = f"error: {r['error'][:80]}"
        lines.append(
            f"| {r['backend']} | {r['workload']} | {r['contender']} | {r['per_second']:,.0f} "
            f"| {r['ms']:.2f} | {ratio} | {peak} | {verified} |"
        )
    return "\n".join(lines) + "\n"


def chart(report: dict[str, Any], path: Path, console: Console) -> bool:
    """Draw the bar chart; without matplotlib (the ``bench`` extra) say so and draw nothing."""
    try:
        import matplotlib
    except ImportError:
        console.print(
            f"{path.name} not drawn: it needs matplotlib; "
            "install it with pip install matplotlib (from an adk-store checkout: "
            "pip install '.[bench]')."
        )
        return False

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = report["results"]
    keys = list(dict.fromkeys((r["backend"], r["workload"]) for r in rows))
    names = list(dict.fromkeys(r["contender"] for r in rows))
    figure, axes = plt.subplots(figsize=(12, 0.45 * len(keys) + 2))
    height = 0.8 / len(names)
    for offset, name in enumerate(names):
        values = {
            (r["backend"], r["workload"]): r["per_second"] for r in rows if r["contender"] == name
        }
        positions = [i + offset * height for i, key in enumerate(keys) if key in values]
        axes.barh(
            positions, [values[key] for key in keys if key in values], height=height, label=name
        )
    axes.set_yticks([i + 0.4 - height / 2 for i in range(len(keys))])
    axes.set_yticklabels([f"{backend}: {workload}" for backend, workload in keys], fontsize=8)
    axes.invert_yaxis()
    axes.set_xscale("log")
    axes.set_xlabel("operations per second (log scale, higher is better)")
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True
