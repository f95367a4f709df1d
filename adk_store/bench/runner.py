"""``adk-store bench``: calibrate, then run every workload in interleaved rounds.

For one database the order is: calibrate each pooled contender's pool size
on the main workload and keep the fastest; with every contender at its best,
run the main workload (50 callers appending), serial appends and reads of a
long session's newest events, round after round across contenders (A B C,
A B C, ...), so that a slow minute of a shared machine falls on all of them;
then the services again with their default pools, at 50 and 200 callers,
for latency. The CLI runs this on the user's database; the harness in
``benchmarks/`` on throwaway servers it starts, with their CPU measured.
"""

from __future__ import annotations

import secrets
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.engine import URL

from adk_store.bench import contenders, raw, report
from adk_store.bench.contenders import RAW, Contender, Entrant
from adk_store.bench.timing import ServerCpu, Window, timed
from adk_store.bench.workloads import Prepared, Scale, Workloads
from adk_store.dialects import rules_named
from adk_store.engine import redact

Setup = Callable[[Contender], Awaitable[Prepared]]

SERVER_CPU_REMOTE = "n/a: the server is not on this machine's process table"


@dataclass
class Record:
    """Every window one contender ran of one workload on one backend."""

    backend: str
    workload: str
    contender: str
    configuration: str
    callers: int
    windows: list[Window] = field(default_factory=list)
    verified: bool | None = None
    error: str | None = None


@dataclass
class Calibration:
    """The pool sizes tried for a contender, their rates (median of passes) and the choice."""

    backend: str
    contender: str
    rates: dict[str, float]
    chosen: str


def _label(pool: int | None) -> str:
    return "default" if pool is None else str(pool)


class Bench:
    """One run: its progress bar, its workloads and every record taken so far."""

    def __init__(self, scale: Scale, console: Console, app: str | None = None) -> None:
        self.scale = scale
        self.console = console
        self.app = app or f"bench-{secrets.token_hex(3)}"
        self.started = time.time()
        self.records: list[Record] = []
        self.calibrations: list[Calibration] = []
        self.server_cpu: dict[str, str] = {}
        self.workloads = Workloads(self.app)
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            refresh_per_second=2,
        )

    def names(self) -> dict[str, str]:
        """The workloads' names at this scale, by role."""
        s = self.scale
        return {
            "main": f"append, {s.sessions} sessions",
            "serial": "append, 1 session",
            "read": f"get_session newest 20 of {s.history:,}",
            "crowd": "append, {callers} callers, default pool",
        }

    async def run_backend(
        self,
        backend: str,
        entrants: list[Entrant],
        *,
        server: ServerCpu | None,
        server_note: str,
        crowds: tuple[int, ...],
    ) -> None:
        """Calibrate, run every workload at each contender's best, then the crowds at defaults."""
        s = self.scale
        names = self.names()
        self.server_cpu[backend] = server_note
        chosen = {e.name: await self._calibrate_or_default(backend, e) for e in entrants}
        best = await self._open(backend, entrants, chosen, names["main"])
        w = self.workloads
        try:
            for workload, rounds, callers, fresh, setup in (
                (names["main"], s.rounds, s.sessions, True, partial(w.appends, callers=s.sessions)),
                (names["serial"], s.short_rounds, 1, True, partial(w.appends, callers=1)),
                (names["read"], s.short_rounds, 1, False, partial(w.newest, length=s.history)),
            ):
                await self._rounds(
                    backend, best, server, workload, rounds, callers, setup, fresh=fresh
                )
        finally:
            for contender in best:
                await contender.close()
        services = [e for e in entrants if e.name != RAW]
        label = names["crowd"].format(callers=" and ".join(str(n) for n in crowds))
        defaults = await self._open(backend, services, {}, label)
        try:
            for callers in crowds:
                workload = names["crowd"].format(callers=callers)
                setup = partial(w.appends, callers=callers)
                await self._rounds(
                    backend, defaults, server, workload, s.short_rounds, callers, setup
                )
        finally:
            for contender in defaults:
                await contender.close()

    async def _open(
        self, backend: str, entrants: list[Entrant], pools: dict[str, int | None], workload: str
    ) -> list[Contender]:
        opened: list[Contender] = []
        for entrant in entrants:
            try:
                opened.append(await entrant.make(pools.get(entrant.name)))
            except Exception as exc:  # noqa: BLE001 - a contender that cannot start is a result
                self.records.append(
                    Record(backend, workload, entrant.name, "", 0, error=_describe(exc))
                )
        return opened

    async def _calibrate_or_default(self, backend: str, entrant: Entrant) -> int | None:
        """The best pool size; the default if calibrating failed (the failure is reported)."""
        try:
            return await self._calibrate(backend, entrant)
        except Exception as exc:  # noqa: BLE001 - the workloads report the contender's failure
            self.calibrations.append(
                Calibration(backend, entrant.name, {}, f"default (failed: {_describe(exc)})")
            )
            return None

    async def _calibrate(self, backend: str, entrant: Entrant) -> int | None:
        """The pool size among ``entrant.pools`` with the best median rate on the main workload."""
        s = self.scale
        pools = entrant.pools[: s.calibration_pools]
        if len(pools) < 2:
            return pools[0] if pools else None
        task = self.progress.add_task(
            f"{backend}: {entrant.name}: calibrating pool size",
            total=len(pools) * (s.calibration_passes + 1),
        )
        rates: dict[int | None, list[float]] = {pool: [] for pool in pools}
        tried: list[tuple[int | None, Contender, Prepared]] = []
        try:
            for pool in pools:
                contender = await entrant.make(pool)
                prepared = await self.workloads.appends(contender, s.sessions)
                tried.append((pool, contender, prepared))
                await timed(prepared.operations, s.warmup, None)
                self.progress.advance(task)
            for _ in range(s.calibration_passes):
                for pool, _contender, prepared in tried:
                    window = await timed(prepared.operations, s.calibration, None)
                    rates[pool].append(0.0 if window.failures else window.per_second)
                    self.progress.advance(task)
        finally:
            for _pool, contender, _prepared in tried:
                await contender.close()
            self.progress.remove_task(task)
        medians = {pool: statistics.median(r) for pool, r in rates.items() if r}
        best = max(medians, key=lambda pool: medians[pool])
        self.calibrations.append(
            Calibration(
                backend,
                entrant.name,
                {_label(pool): rate for pool, rate in medians.items()},
                _label(best),
            )
        )
        return best

    async def _rounds(
        self,
        backend: str,
        entrants: list[Contender],
        server: ServerCpu | None,
        workload: str,
        rounds: int,
        callers: int,
        setup: Setup,
        *,
        fresh: bool = True,
    ) -> None:
        """``rounds`` windows per contender, interleaved; ``fresh`` sets up anew each round.

        Appends get new sessions each round (so no session grows without
        bound over a run); reads reuse the one long session set up first.
        """
        records = {
            c.name: Record(backend, workload, c.name, c.configuration, callers) for c in entrants
        }
        self.records.extend(records.values())
        prepared: dict[str, Prepared] = {}
        task = self.progress.add_task(f"{backend}: {workload}", total=rounds * len(entrants))
        for round_ in range(rounds):
            for contender in entrants:
                record = records[contender.name]
                self.progress.update(task, description=f"{backend}: {workload}: {contender.name}")
                if record.error is None:
                    try:
                        await self._window(
                            record, contender, prepared, round_, fresh, setup, server
                        )
                    except Exception as exc:  # noqa: BLE001 - a contender's failure is a result
                        record.error = _describe(exc)
                self.progress.advance(task)
        self.progress.remove_task(task)

    async def _window(
        self,
        record: Record,
        contender: Contender,
        prepared: dict[str, Prepared],
        round_: int,
        fresh: bool,
        setup: Setup,
        server: ServerCpu | None,
    ) -> None:
        s = self.scale
        if fresh or contender.name not in prepared:
            prepared[contender.name] = await setup(contender)
        work = prepared[contender.name]
        if round_ == 0:
            await timed(work.operations, s.warmup, None)
        record.windows.append(await timed(work.operations, s.window, server))
        record.verified = await work.verify() and record.verified is not False


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


async def run(url: URL, *, adk: bool, quick: bool, out: Path, console: Console) -> dict[str, Any]:
    """Measure adk-store, the raw baseline and (with ``adk``) ADK's service on ``url``."""
    scale = Scale.quick() if quick else Scale.full()
    bench = Bench(scale, console)
    backend = url.get_backend_name()
    target = url.render_as_string(hide_password=False)
    console.print(f"Measuring on {redact(url)} under app names starting {bench.app}.")
    embedded = rules_named(backend).embedded
    pools: tuple[int | None, ...] = () if embedded else (None, 10, 20, 50)
    entrants = [Entrant(contenders.ADK_STORE, lambda p: contenders.adk_store(target, p), pools)]
    if adk:
        entrants.append(
            Entrant(contenders.ADK_DATABASE, lambda p: contenders.adk_database(target, p), pools)
        )
    baseline = raw.entrant(target)
    if baseline is not None:
        entrants.append(baseline)
    note = "in-process: SQLite runs inside the client" if embedded else SERVER_CPU_REMOTE
    with bench.progress:
        await bench.run_backend(
            backend,
            entrants,
            server=None,
            server_note=note,
            crowds=(scale.crowd,) if embedded else (scale.sessions, scale.crowd),
        )
    command = "adk-store bench" + (" --quick" if quick else "") + ("" if adk else " --no-adk")
    result = report.build(command, bench, database=redact(url), app_name=bench.app)
    report.publish(result, out, console)
    return result
