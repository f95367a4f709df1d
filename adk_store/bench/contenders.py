"""What the benchmark measures, behind one interface: session services and raw baselines.

A `Contender` appends events to its own sessions and reads the newest ones
back; an `Entrant` builds a contender at a given pool size, so the runner can
try several sizes and keep the fastest. adk-store's ``SqlSessionService`` and
ADK's ``DatabaseSessionService`` are here; the raw single-statement baselines
are in `adk_store.bench.raw`, ADK's ``SqliteSessionService`` in the harness.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from google.adk.events import Event
from google.adk.sessions import BaseSessionService
from google.adk.sessions.base_session_service import GetSessionConfig
from google.adk.sessions.session import Session

from adk_store.service import SqlSessionService

ADK_STORE = "adk-store"
ADK_DATABASE = "ADK DatabaseSessionService"
ADK_SQLITE = "ADK SqliteSessionService"
RAW = "raw baseline"


class Contender(ABC):
    """One configured contender; ``configuration`` says how, for the report."""

    name: str
    configuration: str

    @abstractmethod
    async def new_session(self, app_name: str, user_id: str, session_id: str) -> Any:
        """A handle to a new, empty session that `append` and `recent` take."""

    @abstractmethod
    async def append(self, session: Any, event: Event) -> None:
        """Store one event; return once it is durable."""

    @abstractmethod
    async def recent(self, session: Any, limit: int) -> list[Event]:
        """The newest ``limit`` events, oldest first, as ADK ``Event`` objects."""

    @abstractmethod
    async def stored_ids(self, session: Any) -> list[str]:
        """Every stored event id of the session, oldest first (to check nothing was lost)."""

    @abstractmethod
    async def close(self) -> None: ...


class ServiceContender(Contender):
    """An ADK ``BaseSessionService``: appends through the ``Session`` the caller holds."""

    def __init__(
        self,
        name: str,
        configuration: str,
        service: BaseSessionService,
        close: Callable[[], Awaitable[None]],
    ) -> None:
        self.name = name
        self.configuration = configuration
        self.service = service
        self._close = close

    async def new_session(self, app_name: str, user_id: str, session_id: str) -> Session:
        return await self.service.create_session(
            app_name=app_name, user_id=user_id, session_id=session_id
        )

    async def append(self, session: Session, event: Event) -> None:
        await self.service.append_event(session, event)

    async def recent(self, session: Session, limit: int) -> list[Event]:
        return (await self._get(session, GetSessionConfig(num_recent_events=limit))).events

    async def stored_ids(self, session: Session) -> list[str]:
        return [event.id for event in (await self._get(session, None)).events]

    async def _get(self, session: Session, config: GetSessionConfig | None) -> Session:
        found = await self.service.get_session(
            app_name=session.app_name, user_id=session.user_id, session_id=session.id, config=config
        )
        if found is None:
            raise LookupError(f"session {session.id} vanished")
        return found

    async def close(self) -> None:
        await self._close()


@dataclass(frozen=True)
class Entrant:
    """Builds a contender at a pool size (None: its own default).

    ``pools`` are the sizes calibration tries; with none the contender has no
    pool to tune (SQLite's services) and runs as it comes.
    """

    name: str
    make: Callable[[int | None], Awaitable[Contender]]
    pools: tuple[int | None, ...] = ()


def pool_options(pool: int | None) -> dict[str, Any]:
    """SQLAlchemy engine options for a fixed pool of ``pool`` connections (None: defaults)."""
    return {} if pool is None else {"pool_size": pool, "max_overflow": 0}


def describe_pool(pool: int | None, default: str) -> str:
    return default if pool is None else f"pool_size={pool}, max_overflow=0"


async def adk_store(url: str, pool: int | None = None) -> Contender:
    service = SqlSessionService.from_url(url, auto_migrate=True, **pool_options(pool))
    await service.store.ensure_ready()
    embedded = url.startswith("sqlite")
    default = "defaults of SqlSessionService.from_url" + (" (SQLite)" if embedded else "")
    return ServiceContender(ADK_STORE, describe_pool(pool, default), service, service.close)


async def adk_database(url: str, pool: int | None = None) -> Contender:
    from google.adk.sessions import DatabaseSessionService

    service = DatabaseSessionService(url, **pool_options(pool))
    await service.prepare_tables()
    default = "ADK's defaults" + (
        " (SQLite)" if url.startswith("sqlite") else " (SQLAlchemy pool_size=5, max_overflow=10)"
    )
    return ServiceContender(ADK_DATABASE, describe_pool(pool, default), service, service.close)
