"""What an event row and a session update cost on PostgreSQL, before and after revision 0004.

Appends ``--events`` of the benchmark's realistic events to one session on a
throwaway PostgreSQL, then reports the stored sizes (row, document, the copy
of its content that revision 0004 dropped) and how many updates of the
session and scope rows were HOT. Then it goes down to revision 0003, which
puts the copies back, rewrites the table (``VACUUM FULL``) and reports the
row size as the previous releases stored it.

    python -m benchmarks.row_size [--events 500]
"""

from __future__ import annotations

import argparse
import asyncio

from servers import PostgresServer
from sqlalchemy import text

from adk_store import SqlSessionService
from adk_store.bench.workloads import realistic_event
from adk_store.engine import create_engine
from adk_store.migrations import downgrade

SIZES = text(
    "SELECT avg(pg_column_size(e.*))::int AS row_bytes,"
    " avg(pg_column_size(e.event_data))::int AS document_bytes,"
    " avg(pg_column_size(e.event_data -> 'content'))::int AS content_bytes"
    " FROM adk_events e"
)
ROW_ONLY = text("SELECT avg(pg_column_size(e.*))::int AS row_bytes FROM adk_events e")
UPDATES = text(
    "SELECT relname, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables"
    " WHERE relname IN ('adk_sessions', 'adk_app_states', 'adk_user_states') ORDER BY relname"
)


async def run(url: str, events: int) -> None:
    async with SqlSessionService.from_url(url, auto_migrate=True) as service:
        session = await service.create_session(app_name="sizes", user_id="u")
        for index in range(events):
            await service.append_event(session, realistic_event(index, "sizes"))
            session.events.clear()
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            sizes = (await connection.execute(SIZES)).one()
            # Statistics reach the shared view at most once a second.
            await asyncio.sleep(1.5)
            updates = (await connection.execute(UPDATES)).all()
        print(
            f"at head: row {sizes.row_bytes:,} bytes, document {sizes.document_bytes:,} bytes, "
            f"its content {sizes.content_bytes:,} bytes"
        )
        for table, updated, hot in updates:
            print(f"{table}: {updated:,} updates, {hot:,} of them HOT")
        await downgrade(engine, "adk_", "0003")
        async with engine.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("VACUUM FULL adk_events"))
            before = (await connection.execute(ROW_ONLY)).scalar_one()
        print(f"at 0003, with the copies: row {before:,} bytes as stored")
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500)
    arguments = parser.parse_args()
    server = PostgresServer.start(durable=True)
    try:
        asyncio.run(run(server.url(server.create_database("sizes")), arguments.events))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
