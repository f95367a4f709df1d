"""SqlMemoryService: ADK's ``BaseMemoryService`` on the store's database and layout.

Memory is a table of its own (revision 0003), not a view over the stored
events: ADK hands a memory service sessions from any session service, and
what a user's agent remembers outlives the sessions it came from (they are
deleted, pruned or never stored here). Deleting a session leaves its memory;
`SqlMemoryService.forget` removes a session's or a user's memory outright.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from google.adk.events.event import Event
from google.adk.memory.base_memory_service import BaseMemoryService, SearchMemoryResponse
from google.adk.memory.memory_entry import MemoryEntry
from google.adk.platform import time as platform_time
from sqlalchemy.engine import URL
from typing_extensions import override

from adk_store.closing import ClosesOnExit
from adk_store.conflicts import retry_conflicts
from adk_store.errors import InvalidArgumentError, StoreConfigurationError
from adk_store.identifiers import DEFAULT_TABLE_PREFIX, MAX_AUTHOR_LENGTH, check_id
from adk_store.layout import TableLayout
from adk_store.memory.engines import DEFAULT_TEXT_SEARCH_CONFIG, engine_for
from adk_store.memory.statements import build_memory_statements
from adk_store.memory.text import entry_timestamp, query_words, searchable_text
from adk_store.records import to_datetime
from adk_store.store import SessionStore
from adk_store.validation import check_event

if TYPE_CHECKING:
    from google.adk.sessions.session import Session

# ADK's in-memory service files events given without a session under this
# id; entries written with add_memory get it too.
NO_SESSION_ID = "__unknown_session_id__"
# As many results as ADK's in-memory service returns.
DEFAULT_SEARCH_LIMIT = 10
_MAX_SEARCH_LIMIT = 1000


class SqlMemoryService(ClosesOnExit, BaseMemoryService):
    """Durable memory with each database's full-text search, on adk-store's tables.

    Built like `adk_store.SqlSessionService` (a URL, or an existing
    `adk_store.SessionStore` to share its engine, layout and owner). A search
    returns at most ``search_limit`` entries of the user, best first, shaped
    as ADK's ``InMemoryMemoryService`` shapes them. On PostgreSQL
    ``text_search_config`` names the text search configuration.
    """

    def __init__(
        self,
        url: str | URL | None = None,
        *,
        layout: TableLayout | str = DEFAULT_TABLE_PREFIX,
        owner: Any = None,
        auto_migrate: bool | None = None,
        store: SessionStore | None = None,
        search_limit: int = DEFAULT_SEARCH_LIMIT,
        text_search_config: str = DEFAULT_TEXT_SEARCH_CONFIG,
        **engine_options: Any,
    ) -> None:
        if store is None:
            store = SessionStore.from_url(
                url, layout=layout, owner=owner, auto_migrate=auto_migrate, **engine_options
            )
            self._owns_store = True
        elif url is not None or engine_options:
            raise StoreConfigurationError(
                "Pass either a store or a URL with engine options, not both."
            )
        else:
            self._owns_store = False
        if isinstance(search_limit, bool) or not 1 <= search_limit <= _MAX_SEARCH_LIMIT:
            raise InvalidArgumentError(
                f"search_limit is {search_limit!r}; give a whole number from 1 to "
                f"{_MAX_SEARCH_LIMIT}."
            )
        self.store = store
        self.search_limit = search_limit
        owned = list(store.owner_values)
        self.engine = engine_for(
            store.engine.dialect, store.schema.memories, owned, text_search_config
        )
        self.statements = build_memory_statements(self.engine, store.owner_values)

    @classmethod
    def from_url(
        cls,
        url: str | URL | None = None,
        *,
        layout: TableLayout | str = DEFAULT_TABLE_PREFIX,
        owner: Any = None,
        auto_migrate: bool | None = None,
        **options: Any,
    ) -> SqlMemoryService:
        """A service on ``url``, the same as ``SqlMemoryService(url, ...)``."""
        return cls(url, layout=layout, owner=owner, auto_migrate=auto_migrate, **options)

    async def close(self) -> None:
        """Release the engine, unless the store was given (its owner closes it)."""
        if self._owns_store:
            await self.store.close()

    # -- writing ----------------------------------------------------------

    @override
    async def add_session_to_memory(self, session: Session) -> None:
        """Remember the session's events that are not remembered yet; any number of times."""
        await self._add_events(session.app_name, session.user_id, session.id, session.events)

    @override
    async def add_events_to_memory(
        self,
        *,
        app_name: str,
        user_id: str,
        events: Sequence[Event],
        session_id: str | None = None,
        custom_metadata: Mapping[str, object] | None = None,
    ) -> None:
        """Remember ``events`` of a session (no key of ``custom_metadata`` is read)."""
        await self._add_events(app_name, user_id, session_id or NO_SESSION_ID, events)

    @override
    async def add_memory(
        self,
        *,
        app_name: str,
        user_id: str,
        memories: Sequence[MemoryEntry],
        custom_metadata: Mapping[str, object] | None = None,
    ) -> None:
        """Store entries as given; one without an id gets a new one, one without text is skipped.

        An entry whose id is stored already is left as it is (no key of
        ``custom_metadata`` is read).
        """
        _check_scope(app_name, user_id)
        now = platform_time.get_time()
        rows = []
        for memory in memories:
            text = searchable_text(memory.content)
            if text is None:
                continue
            entry = memory.model_copy(update={"id": memory.id or str(uuid.uuid4())})
            check_id("memory id", entry.id)
            if entry.author is not None:
                check_id("author", entry.author, MAX_AUTHOR_LENGTH)
            check_event(Event(author="memory", content=entry.content, timestamp=now))
            rows.append(self._row(app_name, user_id, NO_SESSION_ID, entry, now, text))
        await self._insert(rows, f"memories of user {user_id}")

    async def _add_events(
        self, app_name: str, user_id: str, session_id: str, events: Sequence[Event]
    ) -> None:
        _check_scope(app_name, user_id)
        check_id("session_id", session_id)
        remembered = [(event, text) for event in events if (text := _text_of(event))]
        if not remembered:
            return
        key = self._key(app_name, user_id, session_id=session_id)
        async with self.store.unit_of_work(autocommit=True) as connection:
            stored = set((await connection.execute(self.statements.stored_ids, key)).scalars())
        rows = []
        for event, text in remembered:
            if event.id in stored:
                continue
            check_id("event id", event.id)
            check_event(event)
            entry = MemoryEntry(
                id=event.id,
                content=event.content,  # type: ignore[arg-type]  # _text_of: not None
                author=event.author,
                timestamp=entry_timestamp(event.timestamp),
            )
            stored.add(event.id)
            rows.append(self._row(app_name, user_id, session_id, entry, event.timestamp, text))
        await self._insert(rows, f"the memory of session {session_id}")

    def _row(
        self,
        app_name: str,
        user_id: str,
        session_id: str,
        entry: MemoryEntry,
        timestamp: float,
        text: str,
    ) -> dict[str, Any]:
        return {
            **self.store.owner_values,
            **self.engine.search_parameters(),
            "app_name": app_name,
            "user_id": user_id,
            "session_id": session_id,
            "id": entry.id,
            "author": entry.author,
            "timestamp": to_datetime(timestamp),
            "entry": entry.model_dump(mode="json", exclude_none=True),
            "search_text": text,
        }

    async def _insert(self, rows: list[dict[str, Any]], what: str) -> None:
        """Insert every row in one transaction; a key stored meanwhile is left alone."""
        if not rows:
            return

        async def insert() -> None:
            async with self.store.unit_of_work(write=True) as connection:
                await connection.execute(self.statements.insert, rows)

        await retry_conflicts(self.store.rules, insert, f"storing {what}")

    # -- reading ----------------------------------------------------------

    @override
    async def search_memory(
        self, *, app_name: str, user_id: str, query: str
    ) -> SearchMemoryResponse:
        """The user's memories sharing words with ``query``, best first."""
        return SearchMemoryResponse(
            memories=await self.search(app_name=app_name, user_id=user_id, query=query)
        )

    async def search(
        self, *, app_name: str, user_id: str, query: str, limit: int | None = None
    ) -> list[MemoryEntry]:
        """`search_memory` with a limit of its own (default: the service's ``search_limit``)."""
        _check_scope(app_name, user_id)
        if limit is None:
            limit = self.search_limit
        if isinstance(limit, bool) or not 1 <= limit <= _MAX_SEARCH_LIMIT:
            raise InvalidArgumentError(
                f"limit is {limit!r}; give a whole number from 1 to {_MAX_SEARCH_LIMIT}."
            )
        words = query_words(query)
        if not words:
            return []
        params = {
            **self._key(app_name, user_id),
            **self.engine.search_parameters(),
            "query": self.engine.query_text(words),
            "limit": limit,
        }
        async with self.store.unit_of_work(autocommit=True) as connection:
            entries = (await connection.execute(self.statements.search, params)).scalars()
            return [MemoryEntry.model_validate(entry) for entry in entries]

    # -- deleting ---------------------------------------------------------

    @override
    async def delete_memory(
        self, *, app_name: str, user_id: str, memory_id: str | None = None
    ) -> None:
        """Delete the memory with ``memory_id`` (from every session); without an id, nothing.

        As in ADK's in-memory service, a deleted memory does not come back when
        its session is added again: its row stays, emptied, as a tombstone.
        """
        _check_scope(app_name, user_id)
        if not memory_id:
            return
        check_id("memory id", memory_id)
        params = self._key(app_name, user_id, id=memory_id)

        async def clear() -> None:
            async with self.store.unit_of_work(write=True) as connection:
                await connection.execute(self.statements.clear, params)

        await retry_conflicts(self.store.rules, clear, f"deleting memory {memory_id}")

    async def forget(self, *, app_name: str, user_id: str, session_id: str | None = None) -> int:
        """Remove a session's memory, or all of a user's, tombstones included; the rows removed.

        Unlike `delete_memory`, nothing is kept: adding the session again
        remembers it again.
        """
        _check_scope(app_name, user_id)
        if session_id is None:
            statement, params = self.statements.forget_user, self._key(app_name, user_id)
        else:
            check_id("session_id", session_id)
            statement = self.statements.forget_session
            params = self._key(app_name, user_id, session_id=session_id)

        async def remove() -> int:
            async with self.store.unit_of_work(write=True) as connection:
                return int((await connection.execute(statement, params)).rowcount)

        return await retry_conflicts(self.store.rules, remove, f"forgetting user {user_id}")

    @staticmethod
    def _key(app_name: str, user_id: str, **more: str) -> dict[str, str]:
        return {
            "key_app_name": app_name,
            "key_user_id": user_id,
            **{f"key_{name}": value for name, value in more.items()},
        }


def _check_scope(app_name: str, user_id: str) -> None:
    check_id("app_name", app_name)
    check_id("user_id", user_id)


def _text_of(event: Event) -> str | None:
    """The text memory keeps of ``event``; None for a partial event or one without text."""
    if event.partial:
        return None
    return searchable_text(event.content)
