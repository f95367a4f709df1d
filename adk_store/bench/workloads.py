"""What ``adk-store bench`` measures, and the check that nothing acknowledged was lost.

Every workload uses the same realistic event: about 1.5 KB, a text part and a
function call, a session key changed on every event, a ``user:`` key every
five events and an ``app:`` key every fifty.
"""

from __future__ import annotations

import time
import tracemalloc
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from google.adk.events import Event, EventActions
from google.adk.sessions.session import Session
from google.genai import types

from adk_store.bench.contenders import Contender, gather_limited, get

TEXT = (
    "The order #{n} shipped on Tuesday from the Rotterdam warehouse; the carrier "
    "expects delivery within three working days. "
) * 6


def realistic_event(index: int, invocation: str) -> Event:
    delta: dict[str, Any] = {"turn": index, "last_intent": "track_order"}
    if index % 5 == 0:
        delta["user:orders_seen"] = index
    if index % 50 == 0:
        delta["app:last_busy_turn"] = index
    return Event(
        author="support_agent",
        invocation_id=invocation,
        content=types.Content(
            role="model",
            parts=[
                types.Part(text=TEXT.format(n=index)),
                types.Part(
                    function_call=types.FunctionCall(
                        id=f"call-{index}",
                        name="lookup_order",
                        args={"order_id": f"A-{index:06d}", "fields": ["status", "eta", "carrier"]},
                    )
                ),
            ],
        ),
        actions=EventActions(state_delta=delta),
    )


@dataclass(frozen=True)
class Scale:
    """How many operations each workload runs: ``full`` for figures, ``quick`` for a smoke run."""

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


@dataclass
class Measurement:
    workload: str
    contender: str
    operations: int
    seconds: float
    peak_kib: float | None = None
    verified: bool | None = None
    error: str | None = None

    @property
    def per_second(self) -> float:
        return self.operations / self.seconds if self.seconds else 0.0

    @property
    def ms_per_operation(self) -> float:
        return 1000 * self.seconds / self.operations if self.operations else 0.0


class Workloads:
    """Runs each workload on one contender; ``tick`` advances the progress bar.

    Every session is written under ``app`` or an app name starting with it,
    so one run's data can be told apart from anything else in the database.
    """

    def __init__(self, tick: Callable[[int], None], app: str) -> None:
        self.tick = tick
        self.app = app

    async def append(self, contender: Contender, sessions: int, total: int) -> Measurement:
        service = contender.service
        assert service is not None
        prefix = uuid.uuid4().hex[:8]
        created = [
            await service.create_session(
                app_name=self.app, user_id=f"u{i % 10}", session_id=f"{prefix}-{i}"
            )
            for i in range(sessions)
        ]
        per_session = total // sessions
        events = {
            s.id: [realistic_event(n, f"inv-{s.id}-{n // 3}") for n in range(per_session)]
            for s in created
        }
        acknowledged: dict[str, list[str]] = {s.id: [] for s in created}
        failures: list[str] = []

        async def writer(session: Session) -> None:
            for event in events[session.id]:
                try:
                    await service.append_event(session, event)
                except Exception as exc:  # noqa: BLE001 - a contender's failure is a result
                    failures.append(f"{type(exc).__name__}: {exc}")
                    return
                acknowledged[session.id].append(event.id)
                self.tick(1)

        start = time.perf_counter()
        await gather_limited(sessions, [partial(writer, s) for s in created])
        seconds = time.perf_counter() - start
        verified = True
        for session in created:
            stored = await get(service, session, None)
            stored_ids = [e.id for e in stored.events]
            # Every acknowledged append stored, in order; a failed one may or may not be.
            verified &= stored_ids[: len(acknowledged[session.id])] == acknowledged[session.id]
        error = None
        if failures:
            error = f"{len(failures)} of {sessions} writers stopped; first: {failures[0][:120]}"
        return Measurement(
            f"append, {sessions} concurrent session{'s' * (sessions > 1)}",
            contender.name,
            sum(len(ids) for ids in acknowledged.values()),
            seconds,
            verified=verified,
            error=error,
        )

    async def history(self, contender: Contender, length: int) -> Session:
        """One session with ``length`` events, written through the contender."""
        service = contender.service
        assert service is not None
        session = await service.create_session(
            app_name=self.app,
            user_id="reader",
            session_id=f"history-{length}-{uuid.uuid4().hex[:6]}",
        )
        for n in range(length):
            await service.append_event(session, realistic_event(n, f"inv-{n // 3}"))
            self.tick(1)
        return session

    async def append_after_history(
        self, contender: Contender, session: Session, before: int, appends: int
    ) -> Measurement:
        """Serial appends to a session that already holds ``before`` events."""
        service = contender.service
        assert service is not None
        events = [realistic_event(before + n, "later") for n in range(appends)]
        start = time.perf_counter()
        for event in events:
            await service.append_event(session, event)
            self.tick(1)
        seconds = time.perf_counter() - start
        stored = await get(service, session, appends)
        return Measurement(
            f"append, history of {before:,} events",
            contender.name,
            appends,
            seconds,
            verified=[e.id for e in stored.events] == [e.id for e in events],
        )

    async def read(
        self, contender: Contender, session: Session, limit: int | None, reads: int, label: str
    ) -> Measurement:
        service = contender.service
        assert service is not None
        await get(service, session, limit)  # warm caches and prepared statements
        start = time.perf_counter()
        for _ in range(reads):
            found = await get(service, session, limit)
            self.tick(1)
        seconds = time.perf_counter() - start
        # Memory of one read, traced apart from the timed loop (tracing is slow).
        tracemalloc.start()
        await get(service, session, limit)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        expected = len(session.events) if limit is None else min(limit, len(session.events))
        return Measurement(
            label,
            contender.name,
            reads,
            seconds,
            peak_kib=peak / 1024,
            verified=len(found.events) == expected,
        )

    async def listing(
        self, contender: Contender, app_sessions: int, reads: int, paged: bool = False
    ) -> Measurement:
        """List one user's 20 sessions in an app holding ``app_sessions`` sessions."""
        service = contender.service
        assert service is not None and contender.seed_sessions is not None
        app = f"{self.app}-list-{app_sessions}-{uuid.uuid4().hex[:6]}"
        keys = [(f"user{i % 5000}", f"s{i}") for i in range(app_sessions - 20)]
        keys += [("target", f"t{i}") for i in range(20)]
        await contender.seed_sessions(app, keys)
        start = time.perf_counter()
        for _ in range(reads):
            if paged:
                page = await service.list_sessions_page(  # type: ignore[attr-defined]
                    app_name=app, user_id="target", page_size=10
                )
                found = len(page.sessions) + len(
                    (
                        await service.list_sessions_page(  # type: ignore[attr-defined]
                            app_name=app,
                            user_id="target",
                            page_size=10,
                            page_token=page.next_page_token,
                        )
                    ).sessions
                )
            else:
                found = len((await service.list_sessions(app_name=app, user_id="target")).sessions)
            self.tick(1)
        seconds = time.perf_counter() - start
        label = f"list one user's sessions, {app_sessions:,} in the app"
        if paged:
            label = f"paged listing (2 pages of 10), {app_sessions:,} in the app"
        return Measurement(label, contender.name, reads, seconds, verified=found == 20)

    async def create(self, contender: Contender, total: int, concurrency: int) -> Measurement:
        service = contender.service
        assert service is not None
        prefix = uuid.uuid4().hex[:8]
        ids = [f"{prefix}-{i}" for i in range(total)]

        async def make(session_id: str) -> None:
            await service.create_session(
                app_name=f"{self.app}-create",
                user_id=f"u{hash(session_id) % 100}",
                session_id=session_id,
                state={"locale": "en-GB", "user:plan": "pro"},
            )
            self.tick(1)

        start = time.perf_counter()
        await gather_limited(concurrency, [partial(make, i) for i in ids])
        seconds = time.perf_counter() - start
        listed = await service.list_sessions(app_name=f"{self.app}-create")
        stored = {s.id for s in listed.sessions}
        return Measurement(
            f"create_session, {concurrency} concurrent",
            contender.name,
            total,
            seconds,
            verified=set(ids) <= stored,
        )
