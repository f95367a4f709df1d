"""ADK's ``BaseSessionService`` on top of `adk_store.store.SessionStore`.

Behaviour follows ADK 2.13's own services (state scopes and merge order,
``GetSessionConfig``, listing order, ``temp:`` handling, idempotent
re-delivery of an event) with the store's guarantees underneath: one
transaction per append and a revision compare-and-swap instead of timestamps.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from google.adk.errors import StaleSessionError
from google.adk.events.event import Event
from google.adk.platform import time as platform_time
from google.adk.sessions.base_session_service import (
    BaseSessionService,
    GetSessionConfig,
    ListSessionsResponse,
)
from google.adk.sessions.session import Session
from pydantic import BaseModel
from sqlalchemy.engine import URL
from typing_extensions import override

from adk_store import paging
from adk_store.closing import ClosesOnExit
from adk_store.errors import StoreConfigurationError
from adk_store.identifiers import (
    DEFAULT_TABLE_PREFIX,
    check_id,
    check_session_key,
    check_storable_event,
)
from adk_store.layout import TableLayout
from adk_store.records import (
    EARLIEST_TIMESTAMP,
    END_TIMESTAMP,
    ListingCursor,
    SessionVersion,
    StateDeltas,
    StoredSession,
    to_datetime,
)
from adk_store.store import SessionStore
from adk_store.validation import check_state

# The most rows a LIMIT can ask for on every supported database.
_MAX_ROW_COUNT = 2**63 - 1


class SessionPage(ListSessionsResponse):
    """A page of sessions and the token for the next one (None on the last page)."""

    next_page_token: str | None = None


class UserEvent(BaseModel):
    """An event of a user, with the id of the session that holds it."""

    session_id: str
    event: Event


class UserEventsPage(BaseModel):
    """A page of a user's events and the token for the next one (None on the last page)."""

    events: list[UserEvent]
    next_page_token: str | None = None


class SqlSessionService(ClosesOnExit, BaseSessionService):
    """A durable, concurrency-safe ADK session service on any SQL database.

    ``SqlSessionService()`` with no arguments uses the embedded SQLite file
    (see `adk_store.engine.default_database_path`). Pass a URL (or use
    `from_url`) for a server database, or an existing `SessionStore`.

    Tables are created or upgraded on first use when ``auto_migrate=True``.
    Left at None, that happens only where nobody else could do it: the
    embedded default file and in-memory SQLite. A server's tables come from
    ``adk-store db upgrade`` (or ``auto_migrate=True``); a service never
    creates them behind an operator's back.
    """

    def __init__(
        self,
        url: str | URL | None = None,
        *,
        layout: TableLayout | str = DEFAULT_TABLE_PREFIX,
        owner: Any = None,
        auto_migrate: bool | None = None,
        store: SessionStore | None = None,
        replica_urls: str | URL | Sequence[str | URL] | None = None,
        max_replica_lag: timedelta | float | None = None,
        **engine_options: Any,
    ) -> None:
        if store is None:
            store = SessionStore.from_url(
                url,
                layout=layout,
                owner=owner,
                auto_migrate=auto_migrate,
                replica_urls=replica_urls,
                max_replica_lag=max_replica_lag,
                **engine_options,
            )
        elif url is not None or engine_options or replica_urls or max_replica_lag is not None:
            raise StoreConfigurationError(
                "Pass either a store or a URL with engine options and replicas, not both "
                "(a store made with SessionStore(engine, replicas=...) carries its replicas)."
            )
        self.store = store

    @classmethod
    def from_url(
        cls,
        url: str | URL | None = None,
        *,
        layout: TableLayout | str = DEFAULT_TABLE_PREFIX,
        owner: Any = None,
        auto_migrate: bool | None = None,
        replica_urls: str | URL | Sequence[str | URL] | None = None,
        max_replica_lag: timedelta | float | None = None,
        **engine_options: Any,
    ) -> SqlSessionService:
        """A service on ``url``, the same as ``SqlSessionService(url, ...)``.

        ``layout`` must name the layout the tables were created with (table
        prefix, PostgreSQL schema, owner column); ``owner`` binds the service
        to one owner, whose sessions are the only ones it can see.
        ``replica_urls`` are read replicas for `get_session`, the listings
        and `get_user_state`; appends and every read inside one go to
        ``url``. ``max_replica_lag`` (a timedelta or seconds, PostgreSQL
        only) sends reads to ``url`` while a replica is further behind.
        """
        return cls(
            url,
            layout=layout,
            owner=owner,
            auto_migrate=auto_migrate,
            replica_urls=replica_urls,
            max_replica_lag=max_replica_lag,
            **engine_options,
        )

    async def close(self) -> None:
        await self.store.close()

    @override
    async def create_session(
        self,
        *,
        app_name: str,
        user_id: str,
        state: dict[str, Any] | None = None,
        session_id: str | None = None,
    ) -> Session:
        session_id = _normalise_session_id(session_id) or str(uuid.uuid4())
        check_session_key(app_name, user_id, session_id)
        check_state(state)
        stored = await self.store.create_session(
            app_name=app_name,
            user_id=user_id,
            session_id=session_id,
            deltas=StateDeltas.split(state),
            now=to_datetime(platform_time.get_time()),
        )
        return _to_session(stored)

    @override
    async def get_session(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        config: GetSessionConfig | None = None,
    ) -> Session | None:
        session_id = _normalise_session_id(session_id) or ""
        check_session_key(app_name, user_id, session_id)
        num_recent_events, after = _read_options(config or GetSessionConfig())
        stored = await self.store.get_session(
            app_name=app_name,
            user_id=user_id,
            session_id=session_id,
            num_recent_events=num_recent_events,
            after=after,
        )
        return None if stored is None else _to_session(stored)

    @override
    async def list_sessions(
        self, *, app_name: str, user_id: str | None = None
    ) -> ListSessionsResponse:
        _check_listing(app_name, user_id)
        stored = await self.store.list_sessions(app_name=app_name, user_id=user_id)
        return ListSessionsResponse(sessions=[_to_session(item) for item in stored])

    async def list_sessions_page(
        self,
        *,
        app_name: str,
        user_id: str | None = None,
        page_size: int = 100,
        page_token: str | None = None,
    ) -> SessionPage:
        """One page of `list_sessions`, in the same order, beyond ADK's interface.

        Pass the returned ``next_page_token`` to get the next page; it is None
        on the last page. Pages are keyset pages: each costs the same however
        many sessions the app holds, and sessions created or updated while
        paging are not skipped (an updated session moves to the end).
        """
        _check_listing(app_name, user_id)
        paging.check_page_size(page_size)
        after = None if page_token is None else paging.decode(page_token, app_name, user_id)
        stored = await self.store.list_sessions(
            app_name=app_name, user_id=user_id, page_size=page_size + 1, after=after
        )
        next_token = None
        if len(stored) > page_size:
            stored = stored[:page_size]
            next_token = paging.encode(ListingCursor.after(stored[-1]), app_name, user_id)
        return SessionPage(
            sessions=[_to_session(item) for item in stored], next_page_token=next_token
        )

    async def list_user_events_page(
        self,
        *,
        app_name: str,
        user_id: str,
        page_size: int = 100,
        page_token: str | None = None,
    ) -> UserEventsPage:
        """Every event of a user across all their sessions, a page per query.

        For memory services, which otherwise list the sessions and then read
        each one (a query per session). Events come session by session, in
        order within each; pass ``next_page_token`` for the next page.
        """
        check_id("app_name", app_name)
        check_id("user_id", user_id)
        paging.check_page_size(page_size)
        after = None
        if page_token is not None:
            after = paging.decode_events(page_token, app_name, user_id)
        records = await self.store.list_user_events(
            app_name=app_name, user_id=user_id, page_size=page_size + 1, after=after
        )
        next_token = None
        if len(records) > page_size:
            records = records[:page_size]
            next_token = paging.encode_events(records[-1].cursor, app_name, user_id)
        return UserEventsPage(
            events=[
                UserEvent(
                    session_id=record.session_id, event=Event.model_validate(record.event_data)
                )
                for record in records
            ],
            next_page_token=next_token,
        )

    async def iter_user_events(
        self, *, app_name: str, user_id: str, page_size: int = 100
    ) -> AsyncIterator[UserEvent]:
        """All of `list_user_events_page`, page after page."""
        token: str | None = None
        while True:
            page = await self.list_user_events_page(
                app_name=app_name, user_id=user_id, page_size=page_size, page_token=token
            )
            for item in page.events:
                yield item
            token = page.next_page_token
            if token is None:
                return

    @override
    async def delete_session(self, *, app_name: str, user_id: str, session_id: str) -> None:
        session_id = _normalise_session_id(session_id) or ""
        check_session_key(app_name, user_id, session_id)
        await self.store.delete_session(app_name=app_name, user_id=user_id, session_id=session_id)

    @override
    async def get_user_state(self, *, app_name: str, user_id: str) -> dict[str, Any]:
        check_id("app_name", app_name)
        check_id("user_id", user_id)
        return await self.store.get_user_state(app_name=app_name, user_id=user_id)

    @override
    async def append_event(self, session: Session, event: Event) -> Event:
        if event.partial:
            return event
        check_session_key(session.app_name, session.user_id, session.id)
        check_storable_event(event)
        expected = _version_of(session)
        # temp: keys reach the caller's copy for the rest of the invocation,
        # never storage.
        self._apply_temp_state(session, event)
        event = self._trim_temp_delta_state(event)
        outcome = await self.store.append_event(
            app_name=session.app_name,
            user_id=session.user_id,
            session_id=session.id,
            expected=expected,
            event_row=event_row(event),
            deltas=StateDeltas.split(event.actions.state_delta if event.actions else None),
        )
        if outcome.duplicate:
            return event
        self._commit_event_to_session(session, event)
        session.last_update_time = event.timestamp
        session._storage_update_marker = outcome.version.marker
        return event


def _check_listing(app_name: str, user_id: str | None) -> None:
    check_id("app_name", app_name)
    if user_id is not None:
        check_id("user_id", user_id)


def _read_options(config: GetSessionConfig) -> tuple[int | None, datetime | None]:
    """``config`` as the store reads it: how many newest events, and from what time.

    Any float and any count are valid options, and ADK's in-memory service
    answers them all; so does this one, without turning them into a time or
    a LIMIT no database takes. Every stored time lies within
    `adk_store.records.is_storable_time`: a lower bound later than that
    range asks for no event, and one before it sets no bound, as does NaN
    (no time is less than NaN, so the in-memory service returns every event).
    No table holds more rows than a signed 64-bit count, so a larger count
    is every event.
    """
    count = config.num_recent_events
    if count is not None and count > _MAX_ROW_COUNT:
        count = None
    after = config.after_timestamp
    if after is None or not after >= EARLIEST_TIMESTAMP:
        return count, None
    if after >= END_TIMESTAMP:
        return 0, None
    return count, to_datetime(after)


def _normalise_session_id(session_id: str | None) -> str | None:
    """ADK strips session ids; an empty one means "generate one"."""
    if session_id is None:
        return None
    check_id("session_id", session_id)
    return session_id.strip() or None


def _version_of(session: Session) -> SessionVersion | None:
    """The version the caller's copy was read at (None: never read from storage)."""
    marker = session._storage_update_marker
    if marker is None:
        return None
    version = SessionVersion.parse(marker)
    if version is None:
        raise StaleSessionError(
            f"Session {session.id} was not loaded from this store (its revision marker is "
            f"{marker!r}); fetch it with get_session before appending."
        )
    return version


def _to_session(stored: StoredSession) -> Session:
    session = Session(
        id=stored.id,
        app_name=stored.app_name,
        user_id=stored.user_id,
        state=stored.merged_state(),
        events=[Event.model_validate(data) for data in stored.events],
        last_update_time=stored.update_time.timestamp(),
    )
    session._storage_update_marker = stored.version.marker
    return session


def event_row(event: Event) -> dict[str, Any]:
    """The event as stored: the whole event as JSON plus its queryable columns."""
    data = event.model_dump(mode="json", exclude_none=True)
    return {
        "id": event.id,
        "invocation_id": event.invocation_id,
        "author": event.author,
        "branch": event.branch,
        "timestamp": to_datetime(event.timestamp),
        "event_data": data,
        "partial": event.partial,
        "turn_complete": event.turn_complete,
        "interrupted": event.interrupted,
        "error_code": event.error_code,
        "error_message": event.error_message,
    }
