"""ADK's ``SqliteSessionService``: the contender only the harness measures.

It is ADK's own SQLite store, which opens a new aiosqlite connection per call
in the default rollback-journal mode; it takes a file path, not a URL, so
``adk-store bench --url`` has no place for it.
"""

from __future__ import annotations

from google.adk.sessions.sqlite_session_service import SqliteSessionService

from adk_store.bench.contenders import ADK_SQLITE, Contender, Entrant, ServiceContender


async def _nothing_to_close() -> None:
    return None


def adk_sqlite(path: str) -> Entrant:
    async def make(_pool: int | None) -> Contender:
        return ServiceContender(
            ADK_SQLITE,
            "ADK's defaults: a new aiosqlite connection per call, rollback journal",
            SqliteSessionService(path),
            _nothing_to_close,
        )

    return Entrant(ADK_SQLITE, make)
