"""Pooled connections that died with a server restart are replaced without rebuilding the service."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from helpers import make_event

from adk_store import SqlSessionService, engine
from adk_store.bench.servers import PostgresServer


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    server = PostgresServer.start(durable=False)
    yield server
    server.stop()


async def test_service_recovers_after_postgres_restart(
    own_postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "IDLE_PING_SECONDS", 0.0)
    url = own_postgres.url(own_postgres.create_database("restart"))
    async with SqlSessionService.from_url(url, auto_migrate=True) as service:
        session = await service.create_session(app_name="a", user_id="u", session_id="s")
        await service.append_event(session, make_event("before"))
        own_postgres.restart()
        # The pooled connection is dead; it is detected at checkout and replaced.
        await service.append_event(session, make_event("after"))
        stored = await service.get_session(app_name="a", user_id="u", session_id="s")
    assert [e.content.parts[0].text for e in stored.events] == ["before", "after"]
