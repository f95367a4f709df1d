"""How long one page of every user's sessions of an app takes, as the app grows.

``python -m benchmarks.listing_pages --url URL --sizes 10000,100000,1000000``
from a checkout, against a scratch database: fills one app with that many
sessions (1,000 users), then times 20 consecutive pages of
``list_sessions_page`` without a user, 50 sessions each, at every size.
A page is one index seek, so its time should not grow with the app.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from adk_store import SqlSessionService

T0 = datetime(2026, 1, 1, tzinfo=UTC)
INSERT_BATCH = 5000


async def measure(url: str, sizes: list[int]) -> None:
    async with SqlSessionService.from_url(url, auto_migrate=True) as service:
        store = service.store
        await store.ensure_ready()
        have = 0
        for size in sizes:
            rows = [
                {
                    "app_name": "big",
                    "user_id": f"u{n % 1000}",
                    "id": f"s{n}",
                    "state": {},
                    "revision": 0,
                    "create_time": T0,
                    "update_time": T0 + timedelta(seconds=n),
                }
                for n in range(have, size)
            ]
            for start in range(0, len(rows), INSERT_BATCH):
                async with store.engine.begin() as connection:
                    await connection.execute(
                        insert(store.schema.sessions), rows[start : start + INSERT_BATCH]
                    )
            have = size
            if store.engine.dialect.name == "postgresql":
                # Planner statistics, as autovacuum would gather them in time.
                async with store.engine.connect() as connection:
                    await connection.exec_driver_sql("ANALYZE")
            page = await service.list_sessions_page(app_name="big", page_size=50)
            times = []
            for _ in range(20):
                started = time.perf_counter()
                page = await service.list_sessions_page(
                    app_name="big", page_size=50, page_token=page.next_page_token
                )
                times.append(time.perf_counter() - started)
            print(
                f"{size:>9,} sessions: median page {statistics.median(times) * 1000:.1f} ms, "
                f"max {max(times) * 1000:.1f} ms",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="a scratch database it may fill")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    options = parser.parse_args()
    asyncio.run(measure(options.url, [int(size) for size in options.sizes.split(",")]))


if __name__ == "__main__":
    main()
