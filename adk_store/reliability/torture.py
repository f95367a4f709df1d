"""Many processes hammering one database, then a check of every promise.

`Torture` starts P worker processes (``python -m
adk_store.reliability.worker``) of T writers each, every one with its own
session service, lets them run for S seconds against one database, collects
their ledgers (every call and how it ended) and checks the database against
them with `adk_store.reliability.invariants`. Workers are separate
interpreters talking JSON lines over pipes, so a worker can be killed
mid-call like a crashed application server.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError
from sqlalchemy.engine import make_url

from adk_store.engine import redact
from adk_store.reliability.invariants import Violation, check, read_snapshot
from adk_store.reliability.ledger import (
    LINE,
    Attempt,
    Ledger,
    Outcome,
    Ready,
    ServiceKind,
    WorkerConfig,
)
from adk_store.reliability.workload import SHARED_SESSIONS, close_service, open_service

# Time for a worker to import ADK and open its service, and for stragglers
# to finish the call in hand once the run is over.
START_TIMEOUT_SECONDS = 120.0
FINISH_TIMEOUT_SECONDS = 120.0
PROGRESS_INTERVAL_SECONDS = 0.25
_STDERR_TAIL = 2000

Progress = Callable[[float, int], None]
During = Callable[[list[int]], Awaitable[None]]


class WorkerStartError(RuntimeError):
    """A worker process could not start; the message carries the end of its error output."""


class TortureReport(BaseModel):
    """What was run, what the callers saw, and every broken promise."""

    url: str
    service: ServiceKind
    app_name: str
    processes: int
    tasks: int
    seconds: float
    elapsed: float
    calls: dict[str, dict[str, int]]
    events_stored: int
    in_doubt: int
    violations: list[Violation]

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def total_calls(self) -> int:
        return sum(sum(results.values()) for results in self.calls.values())


@dataclass
class _Worker:
    number: int
    process: asyncio.subprocess.Process
    stdin: asyncio.StreamWriter
    stdout: asyncio.StreamReader
    stderr: asyncio.StreamReader


class Torture:
    """One run: its workers, its ledger, and the check of the database against it.

    ``faults`` says the run is disturbed on purpose (the database restarted,
    workers killed): calls that raised ``StoreConnectionError`` or never
    reported back are then in doubt rather than failures, and must have been
    applied wholly or not at all. The run writes under a fresh app name.
    """

    def __init__(
        self,
        url: str,
        *,
        processes: int,
        tasks: int,
        seconds: float,
        service: ServiceKind = "adk-store",
        faults: bool = False,
        seed: int | None = None,
    ) -> None:
        self.url = url
        self.processes = processes
        self.tasks = tasks
        self.seconds = seconds
        self.service = service
        self.faults = faults
        self.seed = secrets.randbits(32) if seed is None else seed
        self.app_name = f"torture-{secrets.token_hex(4)}"
        self.ledger = Ledger()
        self.problems: list[Violation] = []
        self.elapsed = 0.0
        self.events_stored = 0
        self._last_report = 0.0

    async def run(self, *, during: During | None = None, progress: Progress | None = None) -> None:
        """Prepare the shared sessions, run the workers, and collect their ledgers.

        ``during`` is started with the workers' process ids once they all
        run, and awaited after they finish: the place to inject a fault.
        ``progress`` is called with the elapsed seconds and calls reported so far.
        """
        await self.prepare()
        workers = [await self.spawn(number) for number in range(self.processes)]
        try:
            await asyncio.wait_for(
                asyncio.gather(*(self.wait_ready(worker) for worker in workers)),
                START_TIMEOUT_SECONDS,
            )
            started = time.monotonic()
            for worker in workers:
                worker.stdin.write(b"go\n")
                await worker.stdin.drain()
            fault = (
                asyncio.ensure_future(during([w.process.pid for w in workers])) if during else None
            )
            ticker = asyncio.ensure_future(self.tick(started, progress)) if progress else None
            try:
                await asyncio.wait_for(
                    asyncio.gather(*(self.collect(worker) for worker in workers)),
                    self.seconds + FINISH_TIMEOUT_SECONDS,
                )
            except TimeoutError:
                self.problems.append(
                    Violation(
                        rule="hang",
                        detail=f"workers still running {FINISH_TIMEOUT_SECONDS:.0f} s after "
                        "the end of the run; they were killed",
                    )
                )
            finally:
                if ticker is not None:
                    ticker.cancel()
            # Up to the last call reported: worker shutdown is not load.
            self.elapsed = max(self._last_report - started, 0.0)
            if fault is not None:
                await fault
        finally:
            for worker in workers:
                if worker.process.returncode is None:
                    worker.process.kill()
                    await worker.process.wait()

    async def prepare(self) -> None:
        """Create the tables if missing, and the shared sessions every writer appends to."""
        service = open_service(self.service, self.url, create_tables=True)
        try:
            for user_id, session_id in SHARED_SESSIONS:
                await service.create_session(
                    app_name=self.app_name, user_id=user_id, session_id=session_id
                )
        finally:
            await close_service(service)

    async def spawn(self, number: int) -> _Worker:
        pipe = asyncio.subprocess.PIPE
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "adk_store.reliability.worker",
            stdin=pipe,
            stdout=pipe,
            stderr=pipe,
        )
        if process.stdin is None or process.stdout is None or process.stderr is None:
            raise WorkerStartError("A torture worker was started without its pipes.")
        worker = _Worker(number, process, process.stdin, process.stdout, process.stderr)
        config = WorkerConfig(
            url=self.url,
            service=self.service,
            app_name=self.app_name,
            process=number,
            tasks=self.tasks,
            seconds=self.seconds,
            seed=self.seed,
        )
        worker.stdin.write(config.model_dump_json().encode() + b"\n")
        await worker.stdin.drain()
        return worker

    async def wait_ready(self, worker: _Worker) -> None:
        first = await worker.stdout.readline()
        with contextlib.suppress(ValidationError):
            if isinstance(LINE.validate_json(first), Ready):
                return
        if worker.process.returncode is None:
            worker.process.kill()
        await worker.process.wait()
        stderr = (await worker.stderr.read()).decode(errors="replace")
        raise WorkerStartError(
            f"Torture worker p{worker.number} did not start (exit code "
            f"{worker.process.returncode}, first line {first[:200]!r}); run "
            f"'{sys.executable} -m adk_store.reliability.worker' to see why. Its error "
            f"output ended with: {self.redacted(stderr[-_STDERR_TAIL:])}"
        )

    async def collect(self, worker: _Worker) -> None:
        """Read one worker's ledger until it exits, and judge how it exited."""
        stderr = asyncio.ensure_future(worker.stderr.read())
        async for raw in worker.stdout:
            try:
                line = LINE.validate_json(raw)
            except ValidationError:
                # A worker killed mid-write leaves a torn last line.
                if not self.faults:
                    self.problems.append(
                        Violation(
                            rule="worker", detail=f"worker p{worker.number} wrote {raw[:200]!r}"
                        )
                    )
                continue
            if isinstance(line, Attempt | Outcome):
                self.ledger.record(line)
                self._last_report = time.monotonic()
        code = await worker.process.wait()
        error_text = (await stderr).decode(errors="replace")
        if code == 0 or (self.faults and code == -signal.SIGKILL):
            return
        self.problems.append(
            Violation(
                rule="worker",
                detail=f"worker p{worker.number} exited with code {code}: "
                f"{self.redacted(error_text[-_STDERR_TAIL:])}",
            )
        )

    async def tick(self, started: float, progress: Progress) -> None:
        while True:
            progress(time.monotonic() - started, len(self.ledger.outcomes))
            await asyncio.sleep(PROGRESS_INTERVAL_SECONDS)

    def redacted(self, text: str) -> str:
        password = make_url(self.url).password
        return text.replace(str(password), "***") if password else text

    async def verify(self) -> list[Violation]:
        """Check the database as it is now against the ledger."""
        service = open_service(self.service, self.url, create_tables=False)
        try:
            snapshot = await read_snapshot(service, self.app_name, self.ledger)
        finally:
            await close_service(service)
        self.events_stored = sum(len(s.events) for s in snapshot.values() if s is not None)
        return [*self.problems, *check(self.ledger, snapshot, faults=self.faults)]

    async def run_and_check(
        self, *, during: During | None = None, progress: Progress | None = None
    ) -> TortureReport:
        """Run, then check the database against the ledger: the whole torture in one call."""
        await self.run(during=during, progress=progress)
        return await self.report()

    async def report(self) -> TortureReport:
        """Verify the database and sum the run up."""
        violations = await self.verify()
        return TortureReport(
            url=redact(self.url),
            service=self.service,
            app_name=self.app_name,
            processes=self.processes,
            tasks=self.tasks,
            seconds=self.seconds,
            elapsed=round(self.elapsed, 2),
            calls=self.ledger.counts(),
            events_stored=self.events_stored,
            in_doubt=sum(
                1
                for attempt in self.ledger.attempts.values()
                if attempt.action != "read" and self.ledger.in_doubt(attempt)
            ),
            violations=violations,
        )
