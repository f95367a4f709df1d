"""``adk-store bench``: every workload on adk-store and ADK's service, on the user's database.

It starts nothing: the database at ``--url`` must be running, and the run
writes under a new app name there (``bench-...``). Comparing with ADK's
other services on throwaway servers is the harness in ``benchmarks/`` of a
checkout, which drives the same `Bench`.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.engine import URL

from adk_store.bench import contenders, report
from adk_store.bench.workloads import Measurement, Scale, Workloads
from adk_store.engine import redact


class Bench:
    """One run: its progress bar, its workloads and every measurement taken so far."""

    def __init__(self, scale: Scale, console: Console, app: str | None = None) -> None:
        self.scale = scale
        self.console = console
        self.app = app or f"bench-{secrets.token_hex(3)}"
        self.started = time.time()
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
        self.workloads = Workloads(self.tick, self.app)

    def tick(self, count: int) -> None:
        """Advance the bar of the step running now by ``count`` operations."""
        if self._task is not None:
            self.progress.advance(self._task, count)

    async def step(
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

    async def run_backend(self, backend: str, services: list[contenders.Contender]) -> None:
        """Every workload on each service, one service after the other."""
        s = self.scale
        w = self.workloads
        for c in services:
            n = c.name
            await self.step(
                backend,
                n,
                "append, 1 concurrent session",
                s.appends_serial,
                partial(w.append, c, 1, s.appends_serial),
            )
            await self.step(
                backend,
                n,
                "append, 50 concurrent sessions",
                s.appends_concurrent,
                partial(w.append, c, 50, s.appends_concurrent),
            )
            for length in s.histories:
                built = await self.step(
                    backend,
                    n,
                    f"history of {length:,} events",
                    length,
                    partial(w.history, c, length),
                )
                if built is None or c.service is None:
                    continue
                # Appends go to a copy holding the newest 20 events, as a Runner
                # configured with num_recent_events would: a copy holding all
                # 10,000 events slows every contender's Python process alike
                # (garbage collection), which is not the store's cost.
                session = await contenders.get(c.service, built, 20)
                await self.step(
                    backend,
                    n,
                    f"append, history of {length:,} events",
                    s.history_appends,
                    partial(w.append_after_history, c, session, length, s.history_appends),
                )
                session = await contenders.get(c.service, session, None)
                for limit, reads in ((20, s.recent_reads), (None, s.full_reads)):
                    label = (
                        f"get_session {'recent 20' if limit else 'full history'}, {length:,} events"
                    )
                    await self.step(
                        backend,
                        n,
                        label,
                        reads,
                        partial(w.read, c, session, limit, reads, label),
                    )
            if c.seed_sessions is not None:
                for count in s.app_sessions:
                    await self.step(
                        backend,
                        n,
                        f"list one user's sessions, {count:,} in the app",
                        s.list_reads,
                        partial(w.listing, c, count, s.list_reads),
                    )
                if n == "adk-store":
                    await self.step(
                        backend,
                        n,
                        "paged listing",
                        s.list_reads,
                        partial(w.listing, c, s.app_sessions[-1], s.list_reads, paged=True),
                    )
            await self.step(
                backend,
                n,
                "create_session, 50 concurrent",
                s.creates,
                partial(w.create, c, s.creates, 50),
            )


async def run(url: URL, *, adk: bool, quick: bool, out: Path, console: Console) -> dict[str, Any]:
    """Measure adk-store (and ADK's ``DatabaseSessionService`` with ``adk``) on ``url``."""
    scale = Scale.quick() if quick else Scale.full()
    bench = Bench(scale, console)
    backend = url.get_backend_name()
    target = url.render_as_string(hide_password=False)
    console.print(f"Measuring on {redact(url)} under app names starting {bench.app}.")
    with bench.progress:
        services = [await contenders.adk_store(target)]
        try:
            if adk:
                services.append(await contenders.adk_database(target))
            await bench.run_backend(backend, services)
        finally:
            for contender in services:
                await contender.close()
    command = "adk-store bench" + (" --quick" if quick else "") + ("" if adk else " --no-adk")
    result = report.build(
        command, scale, bench.started, bench.results, database=redact(url), app_name=bench.app
    )
    report.publish(result, out, console)
    return result
