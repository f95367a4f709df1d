"""Timed windows: callers looping until a deadline, with their latencies and CPU.

A window runs for a fixed time, not a fixed count, so a fast and a slow
contender are measured over the same stretch of a busy machine. Every call
started before the deadline is waited for and counted in the window's length;
a call that waits out a pool timeout therefore shows as a long window and a
long latency, not as a missing sample.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

Operation = Callable[[], Awaitable[object]]

_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Window:
    """What one timed window measured; ``server_cpu`` is None where it cannot be read."""

    operations: int
    seconds: float
    client_cpu: float
    server_cpu: float | None
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    idle_callers: int = 0

    @property
    def per_second(self) -> float:
        return self.operations / self.seconds if self.seconds else 0.0


class ServerCpu:
    """CPU time used by a database server's process tree, read from ``/proc``.

    Sums user and system time of the server process and every descendant,
    plus the time of descendants already reaped (``cutime``/``cstime``), so a
    backend that exits during a window (a closed overflow connection) still
    counts. Background processes such as PostgreSQL's WAL writer are part of
    the tree and of the cost.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def seconds(self) -> float:
        parents: dict[int, int] = {}
        times: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                text = (entry / "stat").read_text()
            except OSError:  # exited while we looked
                continue
            # The command name may hold spaces and parentheses: split after its last ')'.
            fields = text[text.rindex(")") + 2 :].split()
            pid = int(entry.name)
            parents[pid] = int(fields[1])
            times[pid] = sum(int(value) for value in fields[11:15])
        tree = {self.pid}
        grew = True
        while grew:
            found = {pid for pid, parent in parents.items() if parent in tree} - tree
            tree |= found
            grew = bool(found)
        return sum(times.get(pid, 0) for pid in tree) / _TICKS


async def timed(
    operations: Sequence[Operation], seconds: float, server: ServerCpu | None
) -> Window:
    """Run each operation in its own caller, again and again, for ``seconds``.

    A failed call is counted, timed and retried by its caller: a contender
    that refuses calls (pool timeouts) shows its refusals and its waits.
    """
    latencies: list[float] = []
    failures: list[str] = []
    done = [0] * len(operations)
    server_before = server.seconds() if server else None
    cpu_before = time.process_time()
    start = time.perf_counter()
    deadline = start + seconds

    async def caller(index: int, operation: Operation) -> None:
        while time.perf_counter() < deadline:
            called = time.perf_counter()
            try:
                await operation()
            except Exception as exc:  # noqa: BLE001 - a refused call is a result
                failures.append(f"{type(exc).__name__}: {exc}"[:200])
            else:
                done[index] += 1
            latencies.append(time.perf_counter() - called)

    await asyncio.gather(*(caller(i, op) for i, op in enumerate(operations)))
    elapsed = time.perf_counter() - start
    client_cpu = time.process_time() - cpu_before
    server_cpu = server.seconds() - server_before if server and server_before is not None else None
    return Window(
        operations=sum(done),
        seconds=elapsed,
        client_cpu=client_cpu,
        server_cpu=server_cpu,
        latencies=latencies,
        failures=failures,
        idle_callers=sum(1 for count in done if count == 0),
    )


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values (0.0 when there are none)."""
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]
