"""Group commit: appends that arrive while others are being written go together in one batch.

Each append to a server costs round trips and a commit (a WAL or redo-log
flush), and on a 2-core machine the commit is most of the server's work.
Appends to different sessions that wait while earlier ones are in flight are
therefore written together: one statement on PostgreSQL, one transaction
elsewhere, one commit for the lot. Nothing waits on a timer. While fewer
than ``lanes`` batches are in flight an append goes at once, alone, in its
caller's task, exactly as without grouping (cancelling the caller then
cancels its write, as it would have); only appends that arrive while every
lane is busy wait, and the next free lane takes all of them (up to
``max_batch``) as one batch.

A batch holds at most one append per session: a second append to the same
session waits for a later batch, so appends to one session are written in
the order they arrived and each one's compare-and-swap sees the revision the
one before it produced. The statement writes what it can and reports, per
append, the session's new version or nothing; an append it did not write
(stale copy, missing session, event already stored) is resolved by its caller
alone on the single-append path, which raises that caller's own error. Work
queued by a caller that was cancelled is dropped before it is sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar
from weakref import WeakKeyDictionary

Request = TypeVar("Request")
Result = TypeVar("Result")

# A batch is written by one statement: each write outcome per request, in order.
WriteBatch = Callable[[Sequence[Request]], Awaitable[Sequence[Result | None]]]


@dataclass
class _Waiting(Generic[Request, Result]):
    key: Hashable
    request: Request
    outcome: asyncio.Future[Result | None] = field(repr=False)


class GroupCommit(Generic[Request, Result]):
    """Merges concurrent writes into batches; one queue per event loop."""

    def __init__(self, write: WriteBatch[Request, Result], *, lanes: int, max_batch: int) -> None:
        self._write = write
        self._lanes = lanes
        self._max_batch = max_batch
        self._queues: WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue[Request, Result]]
        self._queues = WeakKeyDictionary()

    @property
    def batches(self) -> int:
        """Batches written so far, on every event loop (a lone append counts as one)."""
        return sum(queue.batches for queue in self._queues.values())

    @property
    def requests(self) -> int:
        """Requests sent in those batches."""
        return sum(queue.requests for queue in self._queues.values())

    @property
    def written(self) -> int:
        """Requests those batches wrote (the rest were left to their callers)."""
        return sum(queue.written for queue in self._queues.values())

    async def submit(self, key: Hashable, request: Request) -> Result | None:
        """Write ``request`` in the next batch that can take it.

        Returns what the batch wrote for it, or None if the batch left it
        out; raises what the batch raised (a lost connection, a conflict that
        did not resolve) for every request in it.
        """
        loop = asyncio.get_running_loop()
        queue = self._queues.get(loop)
        if queue is None:
            queue = self._queues[loop] = _Queue(self._write, self._lanes, self._max_batch)
        return await queue.submit(key, request)


class _Queue(Generic[Request, Result]):
    def __init__(self, write: WriteBatch[Request, Result], lanes: int, max_batch: int) -> None:
        self._write = write
        self._lanes = lanes
        self._max_batch = max_batch
        self._waiting: list[_Waiting[Request, Result]] = []
        self._in_flight = 0
        self.batches = 0
        self.requests = 0
        self.written = 0
        # Strong references: the loop keeps only weak ones to its tasks.
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, key: Hashable, request: Request) -> Result | None:
        if not self._waiting and self._in_flight < self._lanes:
            return await self._write_alone(request)
        outcome: asyncio.Future[Result | None] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(key, request, outcome))
        self._dispatch()
        return await outcome

    async def _write_alone(self, request: Request) -> Result | None:
        """A lane is free and nobody waits: write at once, in the caller's own task.

        No task or future is made for it, so an append without contention
        costs what it would without grouping; appends that arrive meanwhile
        are dispatched when it is done.
        """
        self._in_flight += 1
        self.batches += 1
        self.requests += 1
        try:
            (result,) = await self._write([request])
        finally:
            self._in_flight -= 1
            self._dispatch()
        if result is not None:
            self.written += 1
        return result

    def _dispatch(self) -> None:
        while self._in_flight < self._lanes:
            batch = self._take()
            if not batch:
                return
            self._in_flight += 1
            self.batches += 1
            self.requests += len(batch)
            task = asyncio.get_running_loop().create_task(self._run(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _take(self) -> list[_Waiting[Request, Result]]:
        """The oldest waiting requests, at most one per key and ``max_batch`` in all."""
        batch: list[_Waiting[Request, Result]] = []
        keys: set[Hashable] = set()
        left: list[_Waiting[Request, Result]] = []
        for waiting in self._waiting:
            if waiting.outcome.done():
                continue  # its caller was cancelled
            if len(batch) < self._max_batch and waiting.key not in keys:
                keys.add(waiting.key)
                batch.append(waiting)
            else:
                left.append(waiting)
        self._waiting = left
        return batch

    async def _run(self, batch: list[_Waiting[Request, Result]]) -> None:
        try:
            results = await self._write([waiting.request for waiting in batch])
        except Exception as exc:  # noqa: BLE001 - every caller of the batch gets its error
            for waiting in batch:
                if not waiting.outcome.done():
                    waiting.outcome.set_exception(exc)
        except BaseException:
            for waiting in batch:
                waiting.outcome.cancel()
            raise
        else:
            self.written += sum(result is not None for result in results)
            for waiting, result in zip(batch, results, strict=True):
                if not waiting.outcome.done():
                    waiting.outcome.set_result(result)
        finally:
            self._in_flight -= 1
            self._dispatch()
