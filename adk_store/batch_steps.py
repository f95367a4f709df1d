"""A batch of appends written set by set, in one transaction, where no group statement exists.

Run one by one, each append of a batch took 3-7 statements (lock and probe
its session, bump it, merge its ``app:`` and ``user:`` rows, insert its
event), and the client's CPU per statement was the limit: on MariaDB 10.11
about 2 ms of client CPU per append through SQLAlchemy and aiomysql. Here a
batch takes a handful of statements whatever its size: lock every session
at once, find the events already stored at once, then write the sessions,
the scope rows and the events, each as one ``executemany``
(`adk_store.batch_statements`).

The outcome of each append is exactly that of its one-by-one steps: an
append the locked rows rule out (missing session, event id already stored,
a copy read at another version) is left out and reported as None, so its
caller runs the single-append path and gets its own error or no-op; the
rest are written as if applied in batch order (a later append's ``user:``
or ``app:`` value wins a key). Locks are taken table by table in the order
of the single-append path (sessions, app rows, user rows), each table's rows
in key order, so batches and single appends cannot wait on each other in a
cycle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from adk_store.records import SessionVersion, StateDeltas
from adk_store.statements import StoreStatements

SessionKey = tuple[str, str, str]


class PendingAppend(Protocol):
    """What the batch needs of one append (``adk_store.store._Append``)."""

    @property
    def key(self) -> dict[str, str]: ...
    @property
    def expected(self) -> SessionVersion | None: ...
    @property
    def event_row(self) -> dict[str, Any]: ...
    @property
    def deltas(self) -> StateDeltas: ...


async def write_in_sets(
    connection: AsyncConnection,
    statements: StoreStatements,
    owner_values: Mapping[str, Any],
    batch: Sequence[PendingAppend],
) -> list[SessionVersion | None]:
    """Write what the batch can in ``connection``'s transaction; each append's new version or None.

    The transaction must be one that writes (SQLite takes its lock at BEGIN).
    """
    keys = [_session_key(append) for append in batch]
    sets = statements.batch
    locked = {
        (row.app_name, row.user_id, row.id): row
        for row in await connection.execute(sets.lock_sessions, {"keys": sorted(set(keys))})
    }
    event_keys = [(*key, append.event_row["id"]) for key, append in zip(keys, batch, strict=True)]
    stored = {
        tuple(row) for row in await connection.execute(sets.stored_events, {"keys": event_keys})
    }
    versions: list[SessionVersion | None] = [None] * len(batch)
    written: list[tuple[PendingAppend, Any]] = []
    for index, (key, append) in enumerate(zip(keys, batch, strict=True)):
        row = locked.pop(key, None)  # a second append to one session waits for its turn
        if row is None or event_keys[index] in stored:
            continue
        version = SessionVersion(row.revision, row.incarnation)
        if append.expected not in (None, version):
            continue
        versions[index] = SessionVersion(row.revision + 1, row.incarnation)
        written.append((append, row))
    if not written:
        return versions
    await connection.execute(sets.write_sessions, [_bumped(append, row) for append, row in written])
    appends = [append for append, _row in written]
    for scope in ("app", "user"):
        await _merge_scope(connection, statements, owner_values, appends, scope)
    await connection.execute(
        statements.insert_event,
        [
            {
                **owner_values,
                "app_name": row.app_name,
                "user_id": row.user_id,
                "session_id": row.id,
                **append.event_row,
                # The event's place: the revision this append produced.
                "seq": row.revision + 1,
            }
            for append, row in written
        ],
    )
    return versions


def _session_key(append: PendingAppend) -> SessionKey:
    key = append.key
    return (key["key_app_name"], key["key_user_id"], key["key_session_id"])


def _bumped(append: PendingAppend, row: Any) -> dict[str, Any]:
    """The session row's new values, and its current ones (`DialectRules.rewrite_rows`)."""
    delta = append.deltas.session
    return {
        "key_app_name": row.app_name,
        "key_user_id": row.user_id,
        "key_id": row.id,
        "new_state": {**row.state, **delta} if delta else row.state,
        "new_revision": row.revision + 1,
        "new_update_time": append.event_row["timestamp"],
        "row_incarnation": row.incarnation,
        "row_create_time": row.create_time,
    }


async def _merge_scope(
    connection: AsyncConnection,
    statements: StoreStatements,
    owner_values: Mapping[str, Any],
    appends: Sequence[PendingAppend],
    name: str,
) -> None:
    """Merge every append's delta of one scope into its row, in batch order.

    Each key is merged, never the whole document replaced, so keys written
    concurrently from other sessions survive; the row's time is that of the
    last append that changed it, as when they are applied one by one.
    """
    deltas: dict[tuple[str, ...], dict[str, Any]] = {}
    times: dict[tuple[str, ...], datetime] = {}
    for append in appends:
        delta = append.deltas.app if name == "app" else append.deltas.user
        if delta:
            key = _scope_key(append, name)
            deltas.setdefault(key, {}).update(delta)
            times[key] = append.event_row["timestamp"]
    if not deltas:
        return
    sets = statements.batch
    if name == "app":
        ensure, lock, write = statements.app.ensure, sets.lock_app_states, sets.write_app_states
    else:
        ensure, lock, write = statements.user.ensure, sets.lock_user_states, sets.write_user_states
    ordered = sorted(deltas)
    await connection.execute(
        ensure,
        [
            {**owner_values, **_columns(key), "state": {}, "update_time": times[key]}
            for key in ordered
        ],
    )
    lock_keys: list[Any] = [key[0] for key in ordered] if name == "app" else ordered
    current = {
        tuple(row[:-1]): row.state for row in await connection.execute(lock, {"keys": lock_keys})
    }
    await connection.execute(
        write,
        [
            {
                **{f"key_{column}": value for column, value in _columns(key).items()},
                "new_state": {**current[key], **deltas[key]},
                "new_update_time": times[key],
            }
            for key in ordered
        ],
    )


def _scope_key(append: PendingAppend, name: str) -> tuple[str, ...]:
    key = append.key
    if name == "app":
        return (key["key_app_name"],)
    return (key["key_app_name"], key["key_user_id"])


def _columns(key: tuple[str, ...]) -> dict[str, str]:
    return dict(zip(("app_name", "user_id"), key, strict=False))
