"""Writes larger than a MySQL/MariaDB server accepts are refused before they are sent.

The drivers put values into the statement text, and a statement over the
server's ``max_allowed_packet`` made MariaDB drop the connection ("Lost the
connection ... Retry the call", which could never succeed). The document of
an event was also sent twice, so events over half the limit failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from conftest import Database
from google.adk.events.event import Event
from google.genai import types
from sqlalchemy import text

from adk_store import SqlSessionService, UnstorableValueError
from adk_store.engine import create_engine

LIMIT = 4 * 1024 * 1024


@pytest.fixture
async def small_packets(shared_database: Database) -> AsyncIterator[str]:
    """The database's server with ``max_allowed_packet`` at 4 MiB for new connections."""
    if not shared_database.url.startswith(("mysql", "mariadb")):
        pytest.skip("max_allowed_packet is a MySQL/MariaDB server setting")
    engine = create_engine(shared_database.url)
    try:
        async with engine.connect() as connection:
            before = (await connection.execute(text("SELECT @@global.max_allowed_packet"))).scalar()
            await connection.execute(text(f"SET GLOBAL max_allowed_packet = {LIMIT}"))
        yield shared_database.url
    finally:
        async with engine.connect() as connection:
            await connection.execute(text(f"SET GLOBAL max_allowed_packet = {int(before)}"))
        await engine.dispose()


def _event(megabytes: float) -> Event:
    text_part = types.Part(text="x" * int(megabytes * 1024 * 1024))
    return Event(
        author="user", invocation_id="big", content=types.Content(role="user", parts=[text_part])
    )


async def test_a_write_over_the_servers_limit_is_refused_and_nothing_is_lost(
    small_packets: str,
) -> None:
    async with SqlSessionService.from_url(small_packets, auto_migrate=True) as service:
        session = await service.create_session(app_name="a", user_id="u")
        # 3 MiB fits only because the document is sent once, not with its copies.
        await service.append_event(session, _event(3))
        with pytest.raises(UnstorableValueError) as refused:
            await service.append_event(session, _event(5))
        message = str(refused.value)
        assert "max_allowed_packet = 4,194,304 bytes" in message
        assert "nothing was sent" in message and "raise max_allowed_packet" in message
        with pytest.raises(UnstorableValueError, match="max_allowed_packet"):
            await service.create_session(app_name="a", user_id="u", state={"big": "y" * LIMIT})
        # The connection survived, and the session holds exactly the event that fitted.
        stored = await service.get_session(app_name="a", user_id="u", session_id=session.id)
        assert stored is not None
        assert [len(e.content.parts[0].text or "") for e in stored.events if e.content] == [
            3 * 1024 * 1024
        ]
        assert len((await service.list_sessions(app_name="a", user_id="u")).sessions) == 1


async def test_an_oversized_event_in_a_batch_fails_alone(small_packets: str) -> None:
    """Together over the limit, a batch is refused whole: each append then goes alone."""
    async with SqlSessionService.from_url(small_packets, auto_migrate=True) as service:
        sessions = [await service.create_session(app_name="a", user_id="u") for _ in range(6)]
        sizes = [1.5, 1.5, 1.5, 1.5, 5, 1.5]
        group = service.store.group_commit
        batches = group.batches
        results = await asyncio.gather(
            *(
                service.append_event(session, _event(size))
                for session, size in zip(sessions, sizes, strict=True)
            ),
            return_exceptions=True,
        )
        assert group.batches - batches < len(sessions), "appends that waited were sent together"
        assert isinstance(results[4], UnstorableValueError)
        assert not any(
            isinstance(result, BaseException) for n, result in enumerate(results) if n != 4
        )
        for session, size in zip(sessions, sizes, strict=True):
            stored = await service.get_session(app_name="a", user_id="u", session_id=session.id)
            assert stored is not None
            expected = [] if size > 4 else [int(size * 1024 * 1024)]
            assert [
                len(e.content.parts[0].text or "") for e in stored.events if e.content
            ] == expected
