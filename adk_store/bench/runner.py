"""``adk-store bench``: every contender, every workload, one run, one report.

PostgreSQL runs in a throwaway cluster started for the run with the server's
default durability (fsync and synchronous commit on), each contender in its
own database of that cluster; SQLite contenders get their own files.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from adk_store.bench import contenders
from adk_store.bench.servers import PostgresServer
from adk_store.bench.workloads import Measurement, Workloads, realistic_event

REFERENCE = "ADK DatabaseSessionService"


@dataclass(frozen=True)
class Scale:
    appends_serial: int
    appends_concurrent: int
    histories: tuple[int, ...]
    history_appends: int
    recent_reads: int
    full_reads: int
    app_sessions: tuple[int, ...]
    list_reads: int
    creates: int

    @classmethod
    def full(cls) -> Scale:
        return cls(1000, 5000, (10, 100, 10_000), 300, 200, 5, (1_000, 100_000), 100, 1000)

    @classmethod
    def quick(cls) -> Scale:
        return cls(40, 100, (10, 60), 10, 5, 2, (100, 1_000), 5, 40)


class Bench:
    def __init__(self, scale: Scale, console: Console) -> None:
        self.scale = scale
        self.console = console
        self.results: list[tuple[str, Measurement]] = []
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._task: Any = None
        self.workloads = Workloads(self._tick)

    def _tick(self, count: int) -> None:
        if self._task is not None:
            self.progress.advance(self._task, count)

    async def _step(
        self,
        backend: str,
        contender: str,
        workload: str,
        total: int,
        run: Callable[[], Awaitable[Any]],
    ) -> Any:
        """Run one step; a contender that fails is recorded as a failed measurement, not fatal."""
        self._task = self.progress.add_task(f"{backend}: {contender}: {workload}", total=total)
        try:
            result = await run()
        except Exception as exc:  # noqa: BLE001 - a contender's failure is a result
            error = f"{type(exc).__name__}: {exc}"[:200]
            self.results.append((backend, Measurement(workload, contender, 0, 0.0, error=error)))
            return None
        finally:
            self.progress.remove_task(self._task)
            self._task = None
        if isinstance(result, Measurement):
            self.results.append((backend, result))
        return result

    async def run_backend(
        self, backend: str, services: list[contenders.Contender], raw: contenders.RawAsyncpg | None
    ) -> None:
        s = self.scale
        w = self.workloads
        for c in services:
            n = c.name
            await self._step(
                backend,
                n,
                "append, 1 concurrent session",
                s.appends_serial,
                lambda c=c: w.append(c, 1, s.appends_serial),
            )
            await self._step(
                backend,
                n,
                "append, 50 concurrent sessions",
                s.appends_concurrent,
                lambda c=c: w.append(c, 50, s.appends_concurrent),
            )
            for length in s.histories:
                built = await self._step(
                    backend,
                    n,
                    f"history of {length:,} events",
                    length,
                    lambda c=c, k=length: w.history(c, k),
                )
                if built is None or c.service is None:
                    continue
                # Appends go to a copy holding the newest 20 events, as a Runner
                # configured with num_recent_events would: a copy holding all
                # 10,000 events slows every contender's Python process alike
                # (garbage collection), which is not the store's cost.
                session = await contenders.get(c.service, built, 20)
                await self._step(
                    backend,
                    n,
                    f"append, history of {length:,} events",
                    s.history_appends,
                    lambda c=c, ss=session, k=length: w.append_after_history(
                        c, ss, k, s.history_appends
                    ),
                )
                session = await contenders.get(c.service, session, None)
                for limit, reads in ((20, s.recent_reads), (None, s.full_reads)):
                    label = (
                        f"get_session {'recent 20' if limit else 'full history'}, {length:,} events"
                    )
                    await self._step(
                        backend,
                        n,
                        label,
                        reads,
                        lambda c=c, ss=session, lim=limit, r=reads, lab=label: w.read(
                            c, ss, lim, r, lab
                        ),
                    )
            if c.seed_sessions is not None:
                for count in s.app_sessions:
                    await self._step(
                        backend,
                        n,
                        f"list one user's sessions, {count:,} in the app",
                        s.list_reads,
                        lambda c=c, k=count: w.listing(c, k, s.list_reads),
                    )
                if n == "adk-store":
                    await self._step(
                        backend,
                        n,
                        "paged listing",
                        s.list_reads,
                        lambda c=c: w.listing(c, s.app_sessions[-1], s.list_reads, paged=True),
                    )
            await self._step(
                backend,
                n,
                "create_session, 50 concurrent",
                s.creates,
                lambda c=c: w.create(c, s.creates, 50),
            )
        if raw is not None:
            await raw.open(50)
            await self._step(
                backend,
                raw.name,
                "append, 1 concurrent session",
                s.appends_serial,
                lambda: w.raw_insert(raw, 1, s.appends_serial),
            )
            await self._step(
                backend,
                raw.name,
                "append, 50 concurrent sessions",
                s.appends_concurrent,
                lambda: w.raw_insert(raw, 50, s.appends_concurrent),
            )
            for length in s.histories:
                session_id = f"raw-history-{length}"
                for k in range(length):
                    await raw.insert(session_id, realistic_event(k, "raw"))
                for limit, reads in ((20, s.recent_reads), (None, s.full_reads)):
                    label = (
                        f"get_session {'recent 20' if limit else 'full history'}, {length:,} events"
                    )
                    await self._step(
                        backend,
                        raw.name,
                        label,
                        reads,
                        lambda sid=session_id, lim=limit, r=reads, lab=label: w.raw_read(
                            raw, sid, lim, r, lab
                        ),
                    )


async def run(*, backends: list[str], quick: bool, out: Path, console: Console) -> dict[str, Any]:
    scale = Scale.quick() if quick else Scale.full()
    bench = Bench(scale, console)
    started = time.time()
    with bench.progress, tempfile.TemporaryDirectory(prefix="adk-store-bench-") as scratch:
        if "postgresql" in backends:
            server = PostgresServer.start(durable=True)
            try:
                urls = {
                    name: server.url(server.create_database(name))
                    for name in ("ours", "adk", "raw")
                }
                services = [
                    await contenders.adk_store(urls["ours"]),
                    await contenders.adk_database(urls["adk"]),
                    await contenders.in_memory(),
                ]
                raw = contenders.RawAsyncpg(urls["raw"])
                try:
                    await bench.run_backend("postgresql", services, raw)
                finally:
                    await raw.close()
                    for contender in services:
                        await contender.close()
            finally:
                server.stop()
        if "sqlite" in backends:
            services = [
                await contenders.adk_store(f"sqlite+aiosqlite:///{scratch}/ours.db"),
                await contenders.adk_database(f"sqlite+aiosqlite:///{scratch}/adk.db"),
                await contenders.adk_sqlite(f"{scratch}/adk_sqlite.db"),
            ]
            try:
                await bench.run_backend("sqlite", services, None)
            finally:
                for contender in services:
                    await contender.close()
    report = {
        "command": "adk-store bench" + (" --quick" if quick else ""),
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
            for backend, m in bench.results
        ],
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(report, indent=2))
    (out / "bench.md").write_text(markdown(report))
    console.print(render_table(report))
    chart(report, out / "bench.png")
    failed = [r for r in report["results"] if r["verified"] is False]
    errors = [r for r in report["results"] if r["error"]]
    if errors:
        names = sorted({f"{r['backend']}/{r['contender']}" for r in errors})
        console.print(f"{len(errors)} measurements ended in errors: {', '.join(names)}.")
    console.print(
        f"Peak memory {report['peak_rss_mib']} MiB; {len(report['results'])} measurements in "
        f"{report['seconds']} s; results in {out}/bench.json and {out}/bench.png."
    )
    if failed:
        console.print(f"[red]{len(failed)} measurements lost or misread acknowledged data.[/]")
    else:
        console.print("Every acknowledged write was read back.")
    return report


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
    reference = {
        (r["backend"], r["workload"]): r["per_second"]
        for r in report["results"]
        if r["contender"] == REFERENCE
    }
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
    reference = {
        (r["backend"], r["workload"]): r["per_second"]
        for r in report["results"]
        if r["contender"] == REFERENCE
    }
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


def chart(report: dict[str, Any], path: Path) -> None:
    import matplotlib

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
