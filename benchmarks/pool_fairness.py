"""Appends per caller when more callers than pooled connections append in a loop.

``python -m benchmarks.pool_fairness --url URL`` from a checkout, against a
scratch database: each caller appends to its own session for the given time
through one `SqlSessionService`; prints the fewest and most appends a caller
made, and the median and longest call. A caller shut out of the pool makes
one append and then waits out ``pool_timeout``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from google.adk.events.event import Event

from adk_store import SqlSessionService


async def measure(url: str, callers: int, seconds: float, pool_size: int) -> None:
    options = {"pool_size": pool_size, "max_overflow": 0}
    async with SqlSessionService.from_url(url, auto_migrate=True, **options) as service:
        sessions = [
            await service.create_session(app_name="fairness", user_id=f"u{n}")
            for n in range(callers)
        ]
        calls: list[list[float]] = [[] for _ in sessions]
        deadline = time.monotonic() + seconds

        async def append_until_deadline(caller: int) -> None:
            while time.monotonic() < deadline:
                started = time.monotonic()
                await service.append_event(sessions[caller], Event(author="user"))
                calls[caller].append(time.monotonic() - started)

        await asyncio.gather(*(append_until_deadline(n) for n in range(callers)))
    counts = [len(times) for times in calls]
    everything = [t for times in calls for t in times]
    print(
        f"{callers} callers, pool_size={pool_size}, {seconds:g} s: appends per caller "
        f"min {min(counts):,} / max {max(counts):,}, {sum(counts):,} in all; call median "
        f"{statistics.median(everything) * 1000:.1f} ms, longest {max(everything):.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="a scratch database it may write to")
    parser.add_argument("--callers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--pool-size", type=int, default=2)
    options = parser.parse_args()
    asyncio.run(measure(options.url, options.callers, options.seconds, options.pool_size))


if __name__ == "__main__":
    main()
