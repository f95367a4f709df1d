"""Read-replica options that need no replicated pair: what is accepted, what is refused."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from helpers import make_event

from adk_store import SessionStore, SqlSessionService, StoreConfigurationError
from adk_store.engine import create_engine


async def test_sqlite_replicas_serve_reads_without_a_lag_check(tmp_path: Path) -> None:
    """Any database can have replicas; only the freshness bound needs a lag check."""
    primary, copy = tmp_path / "primary.db", tmp_path / "copy.db"
    async with SqlSessionService.from_url(f"sqlite+aiosqlite:///{primary}", auto_migrate=True) as s:
        session = await s.create_session(app_name="a", user_id="u", session_id="old")
    shutil.copy(primary, copy)
    async with SqlSessionService.from_url(
        f"sqlite+aiosqlite:///{primary}", replica_urls=[f"sqlite+aiosqlite:///{copy}"]
    ) as service:
        await service.create_session(app_name="a", user_id="u", session_id="new")
        listed = await service.list_sessions(app_name="a", user_id="u")
        # Reads come from the copy, which lacks the new session...
        assert [item.id for item in listed.sessions] == ["old"]
        # ...and appends go to the primary, checked against its revision.
        await service.append_event(session, make_event())
        stored = await SessionStore.from_url(f"sqlite+aiosqlite:///{primary}").get_session(
            app_name="a", user_id="u", session_id="old"
        )
    assert stored is not None and len(stored.events) == 1


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"max_replica_lag": 5}, "pass replica_urls too"),
        (
            {"replica_urls": "sqlite+aiosqlite:///r.db", "max_replica_lag": timedelta(seconds=1)},
            "PostgreSQL only, not for sqlite",
        ),
        (
            {"replica_urls": "postgresql+asyncpg://u:pw@h/db", "max_replica_lag": None},
            "a copy of the primary",
        ),
    ],
)
def test_unworkable_replica_options_are_refused(options: dict[str, object], named: str) -> None:
    with pytest.raises(StoreConfigurationError, match=named) as raised:
        SessionStore.from_url("sqlite+aiosqlite://", **options)
    assert ":pw@" not in str(raised.value)


@pytest.mark.parametrize("bound", [0, -1, timedelta(0)])
def test_the_bound_must_be_positive(bound: object) -> None:
    with pytest.raises(StoreConfigurationError, match="positive duration"):
        SessionStore.from_url(
            "postgresql+asyncpg://u@h/db",
            replica_urls=["postgresql+asyncpg://u@r/db"],
            max_replica_lag=bound,
        )


def test_a_store_over_engines_takes_replica_engines() -> None:
    primary = create_engine("postgresql+asyncpg://u@h/db")
    replica = create_engine("postgresql+psycopg://u@r/db")
    store = SessionStore(primary, replicas=[replica], max_replica_lag=timedelta(seconds=2))
    assert store.replicas is not None and store.replicas.engines == (replica,)
    with pytest.raises(StoreConfigurationError, match="not both"):
        SqlSessionService(store=store, replica_urls=["postgresql+asyncpg://u@r/db"])
