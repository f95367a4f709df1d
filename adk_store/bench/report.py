"""The report of a benchmark run: JSON, Markdown, a terminal table and a chart.

Shared by ``adk-store bench`` and the comparison harness in ``benchmarks/``,
so both write the same files and docs/benchmarks.md can show either. Rates
are medians over rounds with their min-max spread; CPU per operation is the
median over rounds; latencies pool every call of every round.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import time
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from adk_store.bench.contenders import ADK_DATABASE, ADK_SQLITE, ADK_STORE, RAW
from adk_store.bench.timing import percentile

if TYPE_CHECKING:
    from adk_store.bench.runner import Bench, Record

PACKAGES = (
    "adk-store",
    "google-adk",
    "sqlalchemy",
    "asyncpg",
    "aiomysql",
    "pymysql",
    "aiosqlite",
)
REFERENCES = (ADK_DATABASE, ADK_SQLITE, RAW)


@dataclass(frozen=True)
class Target:
    """A goal of the performance issue: adk-store's rate over a reference's, at least ``goal``."""

    backends: tuple[str, ...]
    role: str
    reference: str
    goal: float
    text: str


TARGETS = (
    Target(("postgresql",), "main", ADK_DATABASE, 8.0, "append ≥ 8× ADK DatabaseSessionService"),
    Target(("postgresql",), "main", RAW, 0.5, "append ≥ 0.5× the raw insert"),
    Target(("postgresql",), "main", RAW, 1.0, "append ≥ 1× the raw insert (the mark aimed at)"),
    Target(("postgresql",), "read", ADK_DATABASE, 3.0, "get newest 20 ≥ 3× ADK"),
    Target(
        ("mariadb", "mysql"), "main", ADK_DATABASE, 4.0, "append ≥ 4× ADK DatabaseSessionService"
    ),
    Target(("mariadb", "mysql"), "read", ADK_DATABASE, 2.0, "get newest 20 ≥ 2× ADK"),
    Target(("sqlite",), "main", ADK_SQLITE, 1.0, "append ≥ 1× ADK SqliteSessionService"),
    Target(("sqlite",), "read", ADK_SQLITE, 2.0, "get newest 20 ≥ 2× ADK SqliteSessionService"),
    Target(("sqlite",), "read", ADK_DATABASE, 2.0, "get newest 20 ≥ 2× ADK DatabaseSessionService"),
)


def summarise(record: Record) -> dict[str, Any]:
    """One contender's windows of one workload as medians, spread, CPU and latency."""
    windows = record.windows
    rates = [w.per_second for w in windows]
    latencies = sorted(t for w in windows for t in w.latencies)
    counted = [w for w in windows if w.operations]
    server = [(w.server_cpu, w.operations) for w in counted if w.server_cpu is not None]
    failures = [f for w in windows for f in w.failures]
    return {
        "backend": record.backend,
        "workload": record.workload,
        "contender": record.contender,
        "configuration": record.configuration,
        "callers": record.callers,
        "rounds": [
            {
                "operations": w.operations,
                "seconds": round(w.seconds, 3),
                "per_second": round(w.per_second, 1),
                "client_cpu_s": round(w.client_cpu, 3),
                "server_cpu_s": None if w.server_cpu is None else round(w.server_cpu, 3),
                "failed_calls": len(w.failures),
                "idle_callers": w.idle_callers,
            }
            for w in windows
        ],
        "per_second": statistics.median(rates) if rates else 0.0,
        "spread": [min(rates), max(rates)] if rates else None,
        "client_us": (
            statistics.median(1e6 * w.client_cpu / w.operations for w in counted)
            if counted
            else None
        ),
        "server_us": (
            statistics.median(1e6 * cpu / operations for cpu, operations in server)
            if server and len(server) == len(counted)
            else None
        ),
        "latency_ms": {
            "p50": 1000 * percentile(latencies, 0.50),
            "p99": 1000 * percentile(latencies, 0.99),
            "max": 1000 * (latencies[-1] if latencies else 0.0),
        },
        "calls": len(latencies),
        "failed_calls": len(failures),
        "first_failure": failures[0] if failures else None,
        "idle_callers": max((w.idle_callers for w in windows), default=0),
        "verified": record.verified,
        "error": record.error,
    }


def _versions() -> dict[str, str]:
    found = {}
    for package in PACKAGES:
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            continue
    return found


def build(command: str, bench: Bench, **about: Any) -> dict[str, Any]:
    """The report as JSON-ready data; ``about`` adds fields such as the database measured."""
    results = [summarise(record) for record in bench.records]
    names = bench.names()
    report = {
        "command": command,
        **about,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "packages": _versions(),
        },
        "method": {
            "scale": asdict(bench.scale),
            "workloads": names,
            "server_cpu": bench.server_cpu,
            "inside_window": (
                "each caller builds its event (the realistic ADK Event; the raw baseline also "
                "dumps it to JSON) and awaits the call; the window ends when every call started "
                "before the deadline has returned"
            ),
            "outside_window": (
                "creating the sessions, the warm-up before a contender's first window, and "
                "reading every acknowledged event back after each window"
            ),
        },
        "seconds": round(time.time() - bench.started, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "calibration": [asdict(c) for c in bench.calibrations],
        "results": results,
    }
    report["ratios"] = ratios(results)
    report["targets"] = targets(report["ratios"], names)
    return report


def ratios(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """adk-store's median rate over each reference's, per backend and workload."""
    rates = {
        (r["backend"], r["workload"], r["contender"]): r["per_second"]
        for r in results
        if r["per_second"]
    }
    found = []
    for (backend, workload, contender), ours in rates.items():
        if contender != ADK_STORE:
            continue
        over = {
            reference: ours / rates[(backend, workload, reference)]
            for reference in REFERENCES
            if (backend, workload, reference) in rates
        }
        found.append({"backend": backend, "workload": workload, "over": over})
    return found


def targets(found: list[dict[str, Any]], names: dict[str, str]) -> list[dict[str, Any]]:
    """Each of the issue's targets that this run measured, met or missed."""
    by_key = {(r["backend"], r["workload"]): r["over"] for r in found}
    backends = sorted({r["backend"] for r in found})
    rows = []
    for target in TARGETS:
        for backend in backends:
            if backend not in target.backends:
                continue
            ratio = by_key.get((backend, names[target.role]), {}).get(target.reference)
            rows.append(
                {
                    "backend": backend,
                    "target": target.text,
                    "goal": target.goal,
                    "ratio": ratio,
                    "met": None if ratio is None else ratio >= target.goal,
                }
            )
    return rows


def publish(report: dict[str, Any], out: Path, console: Console) -> None:
    """Write bench.json, bench.md and bench.png to ``out`` and summarise on the console."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(report, indent=2))
    (out / "bench.md").write_text(markdown(report))
    console.print(render_table(report))
    console.print(render_targets(report))
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
    if lost_writes(report):
        failed = [r for r in report["results"] if r["verified"] is False]
        console.print(f"[red]{len(failed)} measurements lost or misread acknowledged data.[/]")
    else:
        console.print("Every acknowledged write was read back.")


def lost_writes(report: dict[str, Any]) -> bool:
    """Whether a contender lost or misread an acknowledged write: the run failed."""
    return any(result["verified"] is False for result in report["results"])


def _number(value: float | None, digits: int = 0) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _cells(r: dict[str, Any], server_note: str) -> list[str]:
    spread = r["spread"]
    latency = r["latency_ms"]
    server = _number(r["server_us"]) if r["server_us"] is not None else server_note
    verified = {True: "yes", False: "NO"}.get(r["verified"], "")
    if r["error"]:
        verified = f"error: {r['error'][:80]}"
    failed = f"{r['failed_calls']:,}"
    if r["idle_callers"]:
        failed += f" ({r['idle_callers']} callers got nothing)"
    return [
        r["backend"],
        r["workload"],
        r["contender"],
        f"{r['per_second']:,.0f}",
        f"{spread[0]:,.0f}–{spread[1]:,.0f}" if spread else "",
        _number(r["client_us"]),
        server,
        f"{latency['p50']:.2f}",
        f"{latency['p99']:.2f}",
        f"{latency['max']:.1f}",
        failed,
        verified,
    ]


COLUMNS = (
    "backend",
    "workload",
    "contender",
    "ops/s (median)",
    "spread (min–max)",
    "client CPU µs/op",
    "server CPU µs/op",
    "p50 ms",
    "p99 ms",
    "max ms",
    "failed calls",
    "verified",
)


def _server_note(report: dict[str, Any], backend: str) -> str:
    note = str(report["method"]["server_cpu"].get(backend, "n/a"))
    return "n/a" if note.startswith("n/a") else "in client" if note.startswith("in-") else note


def render_table(report: dict[str, Any]) -> Table:
    table = Table(*COLUMNS, title="adk-store bench")
    for r in report["results"]:
        table.add_row(*_cells(r, _server_note(report, r["backend"])))
    return table


def _ratio_text(row: dict[str, Any]) -> str:
    return "n/a" if row["ratio"] is None else f"{row['ratio']:.2f}×"


def _met_text(row: dict[str, Any]) -> str:
    return {True: "met", False: "missed"}.get(row["met"], "not measured")


QUICK = "windows under 5 s: a check of the harness, not figures to compare"


def _quick(report: dict[str, Any]) -> bool:
    return bool(report["method"]["scale"]["window"] < 5)


def render_targets(report: dict[str, Any]) -> Table:
    title = "Targets of the performance issue" + (f" ({QUICK})" if _quick(report) else "")
    table = Table("backend", "target", "measured", "", title=title)
    for row in report["targets"]:
        table.add_row(row["backend"], row["target"], _ratio_text(row), _met_text(row))
    return table


def markdown(report: dict[str, Any]) -> str:
    """The run as Markdown: how it was measured, the results, ratios and targets."""
    method = report["method"]
    scale = method["scale"]
    machine = report["machine"]
    packages = ", ".join(f"{name} {v}" for name, v in machine["packages"].items())
    lines = [
        f"Command: `{report['command']}`, {report['seconds']:,.0f} s in all"
        + (f" ({QUICK})." if _quick(report) else "."),
        "",
        f"Machine: {machine['cpus']} cores, {machine['platform']}, Python {machine['python']}; "
        f"{packages}. Client and servers share the cores.",
        "",
        f"Each figure comes from timed windows of {scale['window']:g} s (a window ends when "
        f"the calls started before its deadline return): {scale['rounds']} rounds of the "
        f"{method['workloads']['main']} workload and {scale['short_rounds']} of every other, "
        "interleaved across contenders (A B C, A B C, ...). Rates are medians over rounds, "
        "with the slowest and fastest round as the spread. Before a contender's first window, "
        f"{scale['warmup']:g} s of the same workload warm it up (pool connections opened, "
        f"statements prepared). Inside the window: {method['inside_window']}. Outside it: "
        f"{method['outside_window']}.",
        "",
        f"Workloads: *{method['workloads']['main']}*, each caller appending to its own "
        "session, new sessions every round, every contender at its best pool size (below); "
        f"*{method['workloads']['serial']}*, one caller; *{method['workloads']['read']}*, one "
        "caller reading the newest 20 events (as ADK `Event`s) of a session written through "
        "the same contender; *append, N callers, default pool*, the services as they come, "
        "for latency under load (the raw baseline is not run there). Events are about 1.2 KB "
        "of JSON: a text part and a function call, a session key on every event, a `user:` "
        "key every fifth and an `app:` key every fiftieth.",
        "",
        "CPU per operation: client is the benchmark process's CPU time (`time.process_time`, "
        "all threads, so SQLite's own work counts here); server is the user and system time "
        "of the database server's process tree from `/proc`, background writers included. "
        "Latency is per call, from building the event to the call's return, over every call "
        "of every round.",
        "",
        "| backend | contender | configuration | workloads |",
        "|---|---|---|---|",
    ]
    used: dict[tuple[str, str, str], list[str]] = {}
    for r in report["results"]:
        used.setdefault((r["backend"], r["contender"], r["configuration"]), []).append(
            r["workload"]
        )
    for (backend, contender, configuration), workloads in used.items():
        lines.append(f"| {backend} | {contender} | {configuration} | {'; '.join(workloads)} |")
    lines.append("")
    for backend, note in method["server_cpu"].items():
        lines.append(f"Server CPU on {backend}: {note}.  ")
    if report["calibration"]:
        lines += [
            "",
            f"Pool sizes tried on the {method['workloads']['main']} workload "
            f"({scale['calibration_passes']} interleaved windows of {scale['calibration']:g} s "
            "each, median appends/s); the fastest is used for every workload but the "
            "default-pool ones:",
            "",
            "| backend | contender | appends/s by pool size | chosen |",
            "|---|---|---|---|",
        ]
        for c in report["calibration"]:
            tried = ", ".join(f"{pool}: {rate:,.0f}" for pool, rate in c["rates"].items())
            lines.append(f"| {c['backend']} | {c['contender']} | {tried} | {c['chosen']} |")
    lines += ["", "| " + " | ".join(COLUMNS) + " |", "|---|---|---|" + "---:|" * 8 + "---|"]
    for r in report["results"]:
        cells = _cells(r, _server_note(report, r["backend"]))
        if r["verified"] is False:
            cells[-1] = "**NO**"
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        f"| backend | workload | adk-store / {ADK_DATABASE} | adk-store / {ADK_SQLITE} "
        f"| adk-store / {RAW} |",
        "|---|---|---:|---:|---:|",
    ]
    for row in report["ratios"]:
        over = row["over"]
        cells = [f"{over[name]:.2f}×" if name in over else "" for name in REFERENCES]
        lines.append(f"| {row['backend']} | {row['workload']} | " + " | ".join(cells) + " |")
    lines += ["", "| backend | target | measured | |", "|---|---|---:|---|"]
    for row in report["targets"]:
        lines.append(
            f"| {row['backend']} | {row['target']} | {_ratio_text(row)} | {_met_text(row)} |"
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

    rows = [r for r in report["results"] if r["per_second"]]
    keys = list(dict.fromkeys((r["backend"], r["workload"]) for r in rows))
    names = list(dict.fromkeys(r["contender"] for r in rows))
    figure, axes = plt.subplots(figsize=(12, 0.45 * len(keys) + 2))
    height = 0.8 / max(len(names), 1)
    for offset, name in enumerate(names):
        mine = {(r["backend"], r["workload"]): r for r in rows if r["contender"] == name}
        shown = [key for key in keys if key in mine]
        medians = [mine[key]["per_second"] for key in shown]
        low = [m - mine[key]["spread"][0] for m, key in zip(medians, shown, strict=True)]
        high = [mine[key]["spread"][1] - m for m, key in zip(medians, shown, strict=True)]
        axes.barh(
            [keys.index(key) + offset * height for key in shown],
            medians,
            height=height,
            xerr=[low, high],
            label=name,
        )
    axes.set_yticks([i + 0.4 - height / 2 for i in range(len(keys))])
    axes.set_yticklabels([f"{backend}: {workload}" for backend, workload in keys], fontsize=8)
    axes.invert_yaxis()
    axes.set_xscale("log")
    axes.set_xlabel("operations per second, median of rounds with min-max (log scale)")
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True
