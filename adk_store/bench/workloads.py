"""The workloads: appends by concurrent callers, and reads of a long session's newest events.

Every append uses the same realistic event: a text part and a function call,
a session key changed on every event, a ``user:`` key every five events and
an ``app:`` key every fifty. Each caller builds its event inside the timed
loop, for every contender alike: building an ADK ``Event`` costs 26-70 us on
the 2-core machine, which a contender given prebuilt events would not pay.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from google.adk.events import Event, EventActions
from google.genai import types

from adk_store.bench.contenders import Contender
from adk_store.bench.timing import Operation

TEXT = (
    "The order #{n} shipped on Tuesday from the Rotterdam warehouse; the carrier "
    "expects delivery within three working days. "
) * 6

RECENT = 20


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
    """How long and how often each workload runs: ``full`` for figures, ``quick`` for a smoke run.

    ``rounds`` windows of the main workload (appends by 50 callers) and
    ``short_rounds`` of every other are interleaved across contenders;
    ``warmup`` seconds of the same workload run before a contender's first
    window (pool connections opened, statements prepared). Calibration tries
    the first ``calibration_pools`` pool sizes of a contender with the main
    workload, each warmed up, in ``calibration_passes`` interleaved windows
    of ``calibration`` seconds, and keeps the fastest.
    """

    window: float
    rounds: int
    short_rounds: int
    warmup: float
    calibration: float
    calibration_passes: int
    history: int
    calibration_pools: int
    sessions: int = 50
    crowd: int = 200

    @classmethod
    def full(cls) -> Scale:
        return cls(
            window=5.0,
            rounds=5,
            short_rounds=3,
            warmup=1.0,
            calibration=1.5,
            calibration_passes=2,
            history=1000,
            calibration_pools=4,
        )

    @classmethod
    def quick(cls) -> Scale:
        return cls(
            window=0.3,
            rounds=2,
            short_rounds=1,
            warmup=0.1,
            calibration=0.2,
            calibration_passes=1,
            history=60,
            calibration_pools=2,
        )


@dataclass
class Prepared:
    """A workload set up on one contender: one operation per caller, and its check."""

    operations: list[Operation]
    verify: Callable[[], Awaitable[bool]]


def _in_order(acknowledged: list[str], stored: list[str]) -> bool:
    """Whether every acknowledged id is stored, in the order acknowledged."""
    remaining = iter(stored)
    return all(event_id in remaining for event_id in acknowledged)


class Workloads:
    """Sets workloads up on a contender, under app name ``app``: a run's data stays apart."""

    def __init__(self, app: str) -> None:
        self.app = app
        self._tags = itertools.count()

    async def appends(self, contender: Contender, callers: int) -> Prepared:
        """``callers`` callers, each appending to its own new session."""
        tag = f"{self.app}-{next(self._tags)}"
        sessions: list[Any] = [
            await contender.new_session(self.app, f"u{i % 10}", f"{tag}-{i}")
            for i in range(callers)
        ]
        acknowledged: list[list[str]] = [[] for _ in sessions]

        def caller(session: Any, done: list[str], invocation: str) -> Operation:
            async def append() -> None:
                n = len(done)
                event = realistic_event(n, f"{invocation}-{n // 3}")
                await contender.append(session, event)
                done.append(event.id)

            return append

        async def verify() -> bool:
            for session, done in zip(sessions, acknowledged, strict=True):
                if not _in_order(done, await contender.stored_ids(session)):
                    return False
            return True

        operations = [
            caller(session, done, f"{tag}-{i}")
            for i, (session, done) in enumerate(zip(sessions, acknowledged, strict=True))
        ]
        return Prepared(operations, verify)

    async def newest(self, contender: Contender, length: int) -> Prepared:
        """One caller reading the newest 20 events of a session holding ``length``."""
        tag = f"{self.app}-{next(self._tags)}"
        session = await contender.new_session(self.app, "reader", tag)
        ids: list[str] = []
        for n in range(length):
            event = realistic_event(n, f"{tag}-{n // 3}")
            await contender.append(session, event)
            ids.append(event.id)
        expected = ids[-RECENT:]
        outcomes = {"right": 0, "wrong": 0}

        async def read() -> None:
            events = await contender.recent(session, RECENT)
            outcomes["right" if [e.id for e in events] == expected else "wrong"] += 1

        async def verify() -> bool:
            return outcomes["wrong"] == 0 and outcomes["right"] > 0

        return Prepared([read], verify)
