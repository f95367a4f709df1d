"""The async store: runs adk-store's statements, on every database.

The statements are built once per store (`adk_store.statements`) and
executed here with parameter dicts. Each write is one transaction; the session row is locked
first (``FOR UPDATE``, or SQLite's ``BEGIN IMMEDIATE``) and its ``revision``
is compared and bumped, which is what makes concurrent writers safe.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from google.adk.errors import StaleSessionError
from google.adk.errors.already_exists_error import AlreadyExistsError
from google.adk.errors.session_not_found_error import SessionNotFoundError
from sqlalchemy import Select
from sqlalchemy.engine import URL
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import ColumnElement

from adk_store.batch_steps import write_in_sets
from adk_store.conflicts import retry_conflicts
from adk_store.dialects import WRITE_INTENT, rules_for
from adk_store.engine import (
    connect,
    create_engine,
    is_single_connection,
    migrates_by_default,
    resolve_url,
)
from adk_store.errors import DuplicateEventError, StoreConfigurationError, UnstorableValueError
from adk_store.group_commit import GroupCommit
from adk_store.hot_path import HotPath, hot_path_for
from adk_store.identifiers import DEFAULT_TABLE_PREFIX
from adk_store.layout import OwnerColumn, TableLayout
from adk_store.pool_sizing import open_pool
from adk_store.records import (
    AppendOutcome,
    EventCursor,
    ListingCursor,
    SessionVersion,
    StateDeltas,
    StoredSession,
    UserEventRecord,
)
from adk_store.replicas import ReadReplicas
from adk_store.schema import build_schema
from adk_store.statements import ScopeStatements, build_statements, owner_filter

# Batches of appends in flight at once, and appends per batch (adk_store.group_commit).
GROUP_COMMIT_LANES = 2
GROUP_COMMIT_MAX_BATCH = 64


class SessionStore:
    """Sessions, events and scoped state in SQL tables named with a prefix.

    Create it over an existing ``AsyncEngine`` or with `from_url`. The
    schema must be at the current revision: with ``auto_migrate=True`` the
    store upgrades it before its first query, otherwise it checks and raises
    `adk_store.errors.SchemaNotReadyError` naming the command to run.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        layout: TableLayout | str = DEFAULT_TABLE_PREFIX,
        owner: Any = None,
        auto_migrate: bool = False,
        owns_engine: bool = False,
        replicas: Sequence[AsyncEngine] = (),
        max_replica_lag: timedelta | float | None = None,
    ) -> None:
        self.engine = engine
        self.layout = TableLayout.of(layout)
        self.layout.check_dialect(engine.dialect.name)
        self.schema = build_schema(self.layout)
        self.rules = rules_for(engine.dialect)
        self.owner_values: dict[str, Any] = _owner_values(self.layout.owner_column, owner)
        self.auto_migrate = auto_migrate
        self._owns_engine = owns_engine
        self._ready = False
        self._ready_lock = asyncio.Lock()
        # One shared connection (in-memory SQLite) holds one transaction.
        self._turns = asyncio.Lock() if is_single_connection(engine) else None
        self._write_turns = (
            asyncio.Lock() if self.rules.single_writer and self._turns is None else None
        )
        self.statements = build_statements(self.schema, engine.dialect, self.owner_values)
        # Where reads may go (`adk_store.replicas`); None: everything on ``engine``.
        self.replicas = (
            ReadReplicas(engine, replicas, self.rules, max_replica_lag)
            if replicas or max_replica_lag is not None
            else None
        )
        # The hot statements' path on the primary and on each replica.
        self._hot_paths = {
            id(each): hot_path_for(each, partial(self._autocommit_on, each))
            for each in (engine, *replicas)
        }
        self.hot_path = self._hot_paths[id(engine)]
        # Appends that wait for a write in flight are written together.
        self.group_commit: GroupCommit[_Append, SessionVersion] = GroupCommit(
            self._write_group,
            # One writer at a time gains nothing from a second batch in flight.
            lanes=1 if self.rules.single_writer else GROUP_COMMIT_LANES,
            max_batch=GROUP_COMMIT_MAX_BATCH,
        )

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
    ) -> SessionStore:
        """A store that owns an engine made for ``url`` (embedded SQLite if None).

        ``auto_migrate=None`` creates the tables only where nobody else can:
        on the embedded default file and in an in-memory database. A server
        named by a URL is upgraded only when asked (``auto_migrate=True``
        or ``adk-store db upgrade``).

        ``replica_urls`` (one URL or several) are read replicas of ``url``:
        reads outside an append go to them, bounded by ``max_replica_lag``
        (a timedelta or seconds) where given; see `adk_store.replicas`. Their
        engines get the same ``engine_options``.
        """
        _refuse_layout_keywords(engine_options)
        resolved = resolve_url(url)
        if auto_migrate is None:
            auto_migrate = migrates_by_default(url, resolved)
        engines = [create_engine(resolved, **engine_options)]
        try:
            engines += [create_engine(replica, **engine_options) for replica in _urls(replica_urls)]
            return cls(
                engines[0],
                layout=layout,
                owner=owner,
                auto_migrate=auto_migrate,
                owns_engine=True,
                replicas=engines[1:],
                max_replica_lag=max_replica_lag,
            )
        except BaseException:
            # Nothing has connected yet, but the pools must not outlive the error.
            for engine in engines:
                engine.sync_engine.dispose()
            raise

    async def close(self) -> None:
        """Release pooled connections, if this store created the engine."""
        if self._owns_engine:
            await self.engine.dispose()
            if self.replicas is not None:
                await self.replicas.dispose()

    def owner_filter(self, table: Any) -> list[ColumnElement[bool]]:
        """Conditions that keep a query on ``table`` to this store's owner (none without one)."""
        return owner_filter(table, self.owner_values)

    # -- plumbing ---------------------------------------------------------

    async def ensure_ready(self) -> None:
        """Check (or with ``auto_migrate``, bring) the schema to the current revision."""
        if self._ready:
            return
        async with self._ready_lock:
            if self._ready:
                return
            # Alembic is loaded once per store, not by every import of the service.
            from adk_store import migrations

            if self.auto_migrate:
                await migrations.upgrade(self.engine, self.layout)
            await migrations.ensure_current(self.engine, self.layout)
            await open_pool(self.engine)
            self._ready = True

    @asynccontextmanager
    async def unit_of_work(
        self, *, write: bool = False, autocommit: bool = False, replica: bool = False
    ) -> AsyncIterator[AsyncConnection]:
        """A connection for one unit of work, for code that runs its own queries on the tables.

        It waits for the schema check and queues like the store's own work
        (one writer at a time on SQLite, one connection for in-memory SQLite).
        ``write`` begins a transaction that will write (SQLite takes its write
        lock at BEGIN); ``autocommit`` runs each statement on its own, for
        reads and single-statement writes that need no BEGIN/COMMIT round
        trips; otherwise a plain transaction. ``replica`` lets a read be served
        by a read replica, if the store has any (`adk_store.replicas`).
        """
        engine = self.engine
        if replica and self.replicas is not None:
            engine = await self.replicas.engine_for_read()
        if autocommit:
            async with self._autocommit_on(engine) as connection:
                yield connection
            return
        await self.ensure_ready()
        async with self._turns or nullcontext(), connect(engine) as connection:
            if write:
                connection = await connection.execution_options(**{WRITE_INTENT: True})
            queue = self._write_turns if write and self._write_turns else nullcontext()
            async with queue, connection.begin():
                yield connection

    @asynccontextmanager
    async def _autocommit_on(self, engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
        """A connection to ``engine`` running each statement on its own, in turn."""
        await self.ensure_ready()
        async with self._turns or nullcontext(), connect(engine) as connection:
            yield await connection.execution_options(isolation_level="AUTOCOMMIT")

    async def _read_path(self) -> HotPath:
        """The hot path of the engine that serves the next read (a replica, if any fits)."""
        if self.replicas is None:
            return self.hot_path
        return self._hot_paths[id(await self.replicas.engine_for_read())]

    # -- sessions ---------------------------------------------------------

    async def create_session(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        deltas: StateDeltas,
        now: datetime,
    ) -> StoredSession:
        """Insert a new session at revision 0 and apply its scoped state.

        Raises ``AlreadyExistsError`` if the id exists for this app and user,
        including when a concurrent creator inserted it first.
        """
        row = {
            **self.owner_values,
            "app_name": app_name,
            "user_id": user_id,
            "id": session_id,
            "state": deltas.session,
            "revision": 0,
            "incarnation": secrets.token_hex(16),
            "create_time": now,
            "update_time": now,
        }
        try:
            app_state, user_state = await retry_conflicts(
                self.rules,
                partial(self._insert_session, row, deltas),
                f"the creation of session {session_id}",
            )
        except IntegrityError:
            raise AlreadyExistsError(
                f"Session with id {session_id} already exists "
                f"(app_name={app_name!r}, user_id={user_id!r})."
            ) from None
        return StoredSession(
            app_name=app_name,
            user_id=user_id,
            id=session_id,
            state=deltas.session,
            revision=0,
            incarnation=row["incarnation"],
            create_time=now,
            update_time=now,
            app_state=app_state,
            user_state=user_state,
        )

    async def _insert_session(
        self, row: dict[str, Any], deltas: StateDeltas
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Insert the session row and merge its scoped state; the new scope states."""
        app_name, user_id, now = row["app_name"], row["user_id"], row["create_time"]
        async with self.unit_of_work(write=True) as connection:
            await connection.execute(self.statements.insert_session, row)
            app_state = await self._merge_scope(
                connection, "app", {"app_name": app_name}, deltas.app, now
            )
            user_state = await self._merge_scope(
                connection, "user", {"app_name": app_name, "user_id": user_id}, deltas.user, now
            )
        return app_state, user_state

    async def get_session(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        num_recent_events: int | None = None,
        after: datetime | None = None,
    ) -> StoredSession | None:
        """The session with its newest events (oldest first), or None.

        One statement reads both where the database can (one snapshot);
        otherwise the session row is read before the events, so an event
        appended in between shows up with the older revision and the caller's
        next append is refused as stale rather than forking history.
        """
        key = _session_params(app_name, user_id, session_id)
        await self.ensure_ready()
        path = await self._read_path()
        variant = (num_recent_events is not None, after is not None)
        params: dict[str, Any] = dict(key, limit=num_recent_events, after=after)
        at_once = self.statements.read_session
        if num_recent_events != 0 and at_once is not None:
            rows = await path.fetch(at_once[variant], params)
            if not rows:
                return None
            row = rows[0]
            events: list[dict[str, Any]] = row["events"] or []
        else:
            rows = await path.fetch(self.statements.select_session, key)
            if not rows:
                return None
            row = rows[0]
            events = []
            if num_recent_events != 0:
                statement = self.statements.select_events[variant]
                events = [event["event_data"] for event in await path.fetch(statement, params)]
                events.reverse()
        return _stored_session(row, app_name, user_id, session_id, events)

    async def list_sessions(
        self,
        *,
        app_name: str,
        user_id: str | None = None,
        page_size: int | None = None,
        after: ListingCursor | None = None,
    ) -> list[StoredSession]:
        """Sessions of an app (or of one user), least recently updated first, no events.

        With ``page_size``, at most that many sessions after ``after`` (the
        cursor of the last session of the previous page; None for the first):
        a keyset page, served by the listing index however many sessions the
        app holds.
        """
        params: dict[str, Any] = {"key_app_name": app_name, "key_user_id": user_id}
        if page_size is not None:
            cursor = after or ListingCursor.before_everything()
            params.update(
                limit=page_size,
                after_time=cursor.update_time,
                after_user=cursor.user_id,
                after_id=cursor.session_id,
            )
        await self.ensure_ready()
        path = await self._read_path()
        statement = self.statements.list_sessions[(user_id is not None, page_size is not None)]
        rows = await path.fetch(statement, params)
        return [_stored_session(row, row["app_name"], row["user_id"], row["id"]) for row in rows]

    async def list_user_events(
        self,
        *,
        app_name: str,
        user_id: str,
        page_size: int,
        after: EventCursor | None = None,
    ) -> list[UserEventRecord]:
        """One page of every event of a user, across all their sessions, in one query.

        Events come session by session, oldest first within a session; pass
        the ``cursor`` of the last record to get the next page. This is what a
        memory service needs to ingest a user's history without one query per
        session.
        """
        cursor = after or EventCursor.before_everything()
        params = {
            "key_app_name": app_name,
            "key_user_id": user_id,
            "after_session": cursor.session_id,
            "after_seq": cursor.seq,
            "after_event": cursor.event_id,
            "limit": page_size,
        }
        async with self.unit_of_work(autocommit=True, replica=True) as connection:
            rows = (await connection.execute(self.statements.user_events_page, params)).all()
        return [
            UserEventRecord(row.session_id, row.seq, row.timestamp, row.event_data) for row in rows
        ]

    async def delete_session(self, *, app_name: str, user_id: str, session_id: str) -> bool:
        """Delete the session and (by cascade) its events; False if it did not exist."""
        key = _session_params(app_name, user_id, session_id)

        async def delete() -> bool:
            async with self.unit_of_work(write=True) as connection:
                result = await connection.execute(self.statements.delete_session, key)
            return bool(result.rowcount)

        return await retry_conflicts(self.rules, delete, f"the deletion of session {session_id}")

    async def get_user_state(self, *, app_name: str, user_id: str) -> dict[str, Any]:
        async with self.unit_of_work(autocommit=True, replica=True) as connection:
            return await self._read_scope(
                connection, "user", {"app_name": app_name, "user_id": user_id}
            )

    async def get_app_state(self, *, app_name: str) -> dict[str, Any]:
        async with self.unit_of_work(autocommit=True, replica=True) as connection:
            return await self._read_scope(connection, "app", {"app_name": app_name})

    # -- events -----------------------------------------------------------

    async def append_event(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        expected: SessionVersion | None,
        event_row: dict[str, Any],
        deltas: StateDeltas,
    ) -> AppendOutcome:
        """Store one event and its state changes atomically.

        ``expected`` is the version the caller's copy was read at; if storage
        has moved on (or the session was deleted and created again),
        ``StaleSessionError`` is raised and nothing is written. ``None``
        appends to whatever storage holds. An event id
        already in the session is a no-op when the stored event is identical
        and a `DuplicateEventError` otherwise.
        """
        append = _Append(
            _session_params(app_name, user_id, session_id), expected, event_row, deltas
        )
        await self.ensure_ready()
        version = await self.group_commit.submit(tuple(append.key.values()), append)
        if version is not None:
            return AppendOutcome(version, False)
        # Alone, and with the outcome (or error) that is this append's own.
        statement = self.statements.atomic_append
        if statement is None:
            write = partial(self._append_in_steps, append)
        else:
            write = partial(self._append_at_once, statement, append)
        return await retry_conflicts(
            self.rules, write, f"the append of event {event_row['id']} to session {session_id}"
        )

    async def _append_at_once(self, statement: Select[Any], append: _Append) -> AppendOutcome:
        """The append as one statement (`adk_store.dialects.DialectRules.atomic_append`)."""
        await self.ensure_ready()
        conflict: IntegrityError | None = None
        written = None
        try:
            (written,) = await self.hot_path.fetch(statement, append.params())
        except IntegrityError as exc:
            conflict = exc
        if written is not None and written["revision"] is not None:
            return AppendOutcome(SessionVersion(written["revision"], written["incarnation"]), False)
        async with self.unit_of_work(autocommit=True) as connection:
            probe = await self._probe(connection, append.key, append.event_row)
        # Only the event's primary key can conflict; anything else is not ours to explain.
        if conflict is not None and (probe is None or probe.existing_event is None):
            raise conflict
        return self._refusal(append, probe)

    async def _append_in_steps(self, append: _Append) -> AppendOutcome:
        """The portable append: lock, check, then one statement per table."""
        async with self.unit_of_work(write=True) as connection:
            row = await self._lock_and_probe(connection, append)
            if _refused(append, row):
                return self._refusal(append, row)
            return AppendOutcome(await self._write_steps(connection, append, row), False)

    async def _write_group(self, batch: Sequence[_Append]) -> list[SessionVersion | None]:
        """Write a batch of appends (`adk_store.group_commit`); each one's new version or None.

        Where the database has a group append, the batch is one statement,
        and an append alone runs the single-append statement, so a caller
        with nobody to share a batch with waits no longer than without
        grouping. Elsewhere the batch is one transaction of a few set-based
        statements (`adk_store.batch_steps`), committed once. A batch that the
        database refuses as a whole (an event id stored concurrently, a value
        it cannot take, a statement over a MySQL server's packet limit)
        writes nothing: every append in it is left to its
        caller's single-append path, which reports its own outcome.
        """
        what = f"a group of {len(batch)} appends"
        try:
            if self.statements.atomic_append is None:
                return await retry_conflicts(
                    self.rules, partial(self._write_group_in_steps, batch), what
                )
            return await retry_conflicts(
                self.rules, partial(self._write_group_at_once, batch), what
            )
        except (IntegrityError, DataError, UnstorableValueError):
            return [None] * len(batch)

    async def _write_group_at_once(self, batch: Sequence[_Append]) -> list[SessionVersion | None]:
        group, single = self.statements.group_append, self.statements.atomic_append
        assert single is not None
        if len(batch) == 1 or group is None:
            rows = [await self.hot_path.fetch(single, append.params()) for append in batch]
            return [
                None
                if row["revision"] is None
                else SessionVersion(row["revision"], row["incarnation"])
                for (row,) in rows
            ]
        versions: list[SessionVersion | None] = [None] * len(batch)
        params = group.params([append.params() for append in batch])
        for row in await self.hot_path.fetch(group.statement, params):
            versions[row["ordinal"] - 1] = SessionVersion(row["revision"], row["incarnation"])
        return versions

    async def _write_group_in_steps(self, batch: Sequence[_Append]) -> list[SessionVersion | None]:
        async with self.unit_of_work(write=True) as connection:
            return await write_in_sets(connection, self.statements, self.owner_values, batch)

    async def _lock_and_probe(self, connection: AsyncConnection, append: _Append) -> Any:
        """Lock the session row; its revision, state and any stored event with the new id."""
        lock = (
            self.statements.lock_session_with_state
            if append.deltas.session
            else self.statements.lock_session
        )
        return await self._probe(connection, append.key, append.event_row, lock)

    async def _write_steps(
        self, connection: AsyncConnection, append: _Append, row: Any
    ) -> SessionVersion:
        """Write an append whose session row is locked and checked: one statement per table."""
        key, deltas, timestamp = append.key, append.deltas, append.event_row["timestamp"]
        bump: dict[str, Any] = dict(
            key,
            expected_revision=row.revision,
            new_revision=row.revision + 1,
            new_update_time=timestamp,
        )
        if deltas.session:
            bump["new_state"] = {**row.state, **deltas.session}
            await connection.execute(self.statements.bump_session_with_state, bump)
        else:
            await connection.execute(self.statements.bump_session, bump)
        app_key = {"app_name": key["key_app_name"]}
        user_key = dict(app_key, user_id=key["key_user_id"])
        await self._merge_scope(connection, "app", app_key, deltas.app, timestamp)
        await self._merge_scope(connection, "user", user_key, deltas.user, timestamp)
        await connection.execute(
            self.statements.insert_event,
            {
                **self.owner_values,
                "app_name": key["key_app_name"],
                "user_id": key["key_user_id"],
                "session_id": key["key_session_id"],
                **append.event_row,
                # The event's place: the revision this append produced.
                "seq": row.revision + 1,
            },
        )
        return SessionVersion(row.revision + 1, row.incarnation)

    async def _probe(
        self,
        connection: AsyncConnection,
        key: dict[str, str],
        event_row: dict[str, Any],
        statement: Any = None,
    ) -> Any:
        """The session's revision and any stored event with the new event's id."""
        params = dict(key, key_event_id=event_row["id"])
        statement = self.statements.probe_session if statement is None else statement
        result = await connection.execute(statement, params)
        return result.one_or_none()

    @staticmethod
    def _refusal(append: _Append, probe: Any) -> AppendOutcome:
        """Why an append cannot be written: raise the matching error, or report a re-delivery."""
        key, expected, event_row = append.key, append.expected, append.event_row
        session_id = key["key_session_id"]
        if probe is None:
            raise SessionNotFoundError(
                f"Session {session_id} not found (app_name={key['key_app_name']!r}, "
                f"user_id={key['key_user_id']!r})."
            )
        if probe.existing_event is not None:
            if probe.existing_event == event_row["event_data"]:
                return AppendOutcome(SessionVersion(probe.revision, probe.incarnation), True)
            raise DuplicateEventError(
                f"Event {event_row['id']} is already stored in session {session_id} with "
                "different content; give a new event a new id."
            )
        if expected is None:
            # An unversioned append found no session, and then one: it was
            # deleted and created again while the append ran.
            raise StaleSessionError(
                f"Session {session_id} was deleted and created again while this event was "
                "being appended; nothing was written. Fetch it again with get_session and retry."
            )
        if expected.incarnation != probe.incarnation:
            raise StaleSessionError(
                f"Session {session_id} was deleted and created again since this copy was "
                "read. Fetch it again with get_session and retry."
            )
        raise StaleSessionError(
            f"Session {session_id} was modified in storage (revision {probe.revision}, "
            f"this copy was read at revision {expected.revision}). Fetch it again with "
            "get_session and retry."
        )

    # -- scoped state -----------------------------------------------------

    def _scope(self, scope: str) -> ScopeStatements:
        return self.statements.app if scope == "app" else self.statements.user

    async def _read_scope(
        self, connection: AsyncConnection, scope: str, key: dict[str, str]
    ) -> dict[str, Any]:
        state = (
            await connection.execute(self._scope(scope).read, _key_params(key))
        ).scalar_one_or_none()
        return state or {}

    async def _merge_scope(
        self,
        connection: AsyncConnection,
        scope: str,
        key: dict[str, str],
        delta: dict[str, Any],
        now: datetime,
    ) -> dict[str, Any]:
        """Merge ``delta`` into the scope's row under a row lock; return the new state.

        Each key is merged, never the whole document replaced, so keys written
        concurrently from other sessions survive.
        """
        statements = self._scope(scope)
        if not delta:
            return await self._read_scope(connection, scope, key)
        await connection.execute(
            statements.ensure, dict(self.owner_values, **key, state={}, update_time=now)
        )
        current = (await connection.execute(statements.lock, _key_params(key))).scalar_one()
        merged = {**current, **delta}
        await connection.execute(
            statements.write, dict(_key_params(key), new_state=merged, new_update_time=now)
        )
        return merged


# Keyword arguments of earlier releases, now parts of one ``layout`` value.
_LAYOUT_KEYWORDS = ("table_prefix", "schema", "owner_column")


def _refuse_layout_keywords(engine_options: dict[str, Any]) -> None:
    """Name the replacement instead of passing an old keyword on to the engine."""
    given = [name for name in _LAYOUT_KEYWORDS if name in engine_options]
    if given:
        raise StoreConfigurationError(
            f"{', '.join(given)} is now part of the layout: pass "
            "layout=TableLayout(prefix=..., schema=..., owner_column=...) "
            "(from adk_store import TableLayout), or layout='prefix' for a prefix alone."
        )


def _owner_values(owner_column: OwnerColumn | None, owner: Any) -> dict[str, Any]:
    """The owner column's value for every row, checked before any SQL runs."""
    if owner_column is None:
        if owner is not None:
            raise StoreConfigurationError(
                "An owner was given but the layout has no owner column; pass owner_column "
                "as well (the same one the tables were created with)."
            )
        return {}
    if owner is None:
        raise StoreConfigurationError(
            f"The tables have an owner column ({owner_column.name}); a store serves one "
            "owner: pass owner=... (--owner on the command line)."
        )
    return {owner_column.name: owner_column.check_value(owner)}


def _urls(given: str | URL | Sequence[str | URL] | None) -> list[str | URL]:
    """One URL or several, as a list."""
    if given is None:
        return []
    if isinstance(given, str | URL):
        return [given]
    return list(given)


def _stored_session(
    row: Any,
    app_name: str,
    user_id: str,
    session_id: str,
    events: list[dict[str, Any]] | None = None,
) -> StoredSession:
    """A session row of `StoreStatements.select_session` or ``list_sessions``, as a record."""
    return StoredSession(
        app_name=app_name,
        user_id=user_id,
        id=session_id,
        state=row["state"],
        revision=row["revision"],
        incarnation=row["incarnation"],
        create_time=row["create_time"],
        update_time=row["update_time"],
        app_state=row["app_state"] or {},
        user_state=row["user_state"] or {},
        events=events or [],
    )


def _session_params(app_name: str, user_id: str, session_id: str) -> dict[str, str]:
    return {"key_app_name": app_name, "key_user_id": user_id, "key_session_id": session_id}


def _key_params(columns: dict[str, str]) -> dict[str, str]:
    return {f"key_{name}": value for name, value in columns.items()}


@dataclass(frozen=True)
class _Append:
    """One append on its way to storage: what the caller gave, keyed for the statements."""

    key: dict[str, str]
    expected: SessionVersion | None
    event_row: dict[str, Any]
    deltas: StateDeltas

    def params(self) -> dict[str, Any]:
        """The parameters of the one-statement append (and, as arrays, of the group append)."""
        expected = self.expected
        return dict(
            self.key,
            expected_revision=None if expected is None else expected.revision,
            expected_incarnation=None if expected is None else expected.incarnation,
            new_update_time=self.event_row["timestamp"],
            session_delta=self.deltas.session,
            app_delta=self.deltas.app,
            user_delta=self.deltas.user,
            **{f"event_{name}": value for name, value in self.event_row.items()},
        )


def _refused(append: _Append, row: Any) -> bool:
    """Whether the locked session row rules the append out (see `SessionStore._refusal`)."""
    return (
        row is None
        or row.existing_event is not None
        or append.expected not in (None, SessionVersion(row.revision, row.incarnation))
    )
