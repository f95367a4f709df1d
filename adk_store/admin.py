"""Operator queries: what a store holds, and removing sessions nobody uses any more.

The service answers one session at a time; an operator asks across them (which
apps, which users, which sessions went quiet) and cleans up in bulk while the
service keeps running. Listings page by keyset so a page costs the same on a
large table; pruning deletes in short batches so appends are never held up
for long, and it never removes a session that was written to after it was
chosen for deletion.

Every query here filters on the store's owner, so a store bound to one tenant
never sees or deletes another's rows.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, Literal, TypeVar

from sqlalchemy import ColumnElement, Select, delete, distinct, func, select

from adk_store.conflicts import retry_conflicts
from adk_store.errors import InvalidArgumentError
from adk_store.identifiers import check_id
from adk_store.keyset import beyond
from adk_store.records import ListingCursor, StoredSession
from adk_store.store import SessionStore

DEFAULT_BATCH_SIZE = 500
# A batch's locks are held until it commits, and appends to its sessions wait
# that long: bigger batches than this save little and stall more.
MAX_BATCH_SIZE = 5000
MAX_PAGE_SIZE = 1000

_DURATION = re.compile(r"(\d+)([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_MAX_DURATION = timedelta(days=36500)
_INVALID_TOKEN = (
    "Invalid page token: pass the token printed after the previous page, unchanged, "
    "or start again without one."
)

T = TypeVar("T")


class ListingOrder(enum.StrEnum):
    """Which end of a session listing comes first."""

    NEWEST = "newest"
    OLDEST = "oldest"


@dataclass(frozen=True)
class AppSummary:
    app_name: str
    sessions: int
    users: int
    last_update_time: datetime


@dataclass(frozen=True)
class UserSummary:
    user_id: str
    sessions: int
    last_update_time: datetime


@dataclass(frozen=True)
class SessionSummary:
    """A session without its events: what a listing shows."""

    app_name: str
    user_id: str
    id: str
    create_time: datetime
    update_time: datetime
    state_keys: list[str]


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing; ``next_token`` continues it (None on the last page)."""

    items: list[T]
    next_token: str | None


@dataclass(frozen=True)
class PruneResult:
    """What a prune removed, or with ``dry_run`` what it would remove."""

    cutoff: datetime
    sessions: int
    events: int
    dry_run: bool


@dataclass(frozen=True)
class PrunableSession:
    """A session a prune may delete, and where it sits in the listing index."""

    app_name: str
    user_id: str
    update_time: datetime
    id: str


@dataclass(frozen=True)
class PruneBatch:
    """One batch of a prune: sessions chosen, and what was deleted of them."""

    examined: int
    sessions: int
    events: int


# -- listings ---------------------------------------------------------------


async def list_apps(store: SessionStore) -> list[AppSummary]:
    """Every app that has sessions, with its session and user counts.

    This reads the whole sessions table (its listing index, where the database
    can): meant for an operator's overview, not for a request path.
    """
    s = store.schema.sessions
    statement = (
        select(
            s.c.app_name,
            func.count().label("sessions"),
            func.count(distinct(s.c.user_id)).label("users"),
            func.max(s.c.update_time).label("last_update_time"),
        )
        .where(*store.owner_filter(s))
        .group_by(s.c.app_name)
        .order_by(s.c.app_name)
    )
    async with store.unit_of_work(autocommit=True, replica=True) as connection:
        rows = (await connection.execute(statement)).all()
    return [AppSummary(row.app_name, row.sessions, row.users, row.last_update_time) for row in rows]


async def list_users(
    store: SessionStore, *, app_name: str, limit: int = 100, after: str | None = None
) -> Page[UserSummary]:
    """The users of an app in id order, with their session counts, a page at a time.

    A page is a range of the listing index: its cost depends on the users it
    returns, not on how many the app has.
    """
    check_id("app_name", app_name)
    _check_limit(limit)
    s = store.schema.sessions
    statement = (
        select(
            s.c.user_id,
            func.count().label("sessions"),
            func.max(s.c.update_time).label("last_update_time"),
        )
        .where(s.c.app_name == app_name, *store.owner_filter(s))
        .group_by(s.c.user_id)
        .order_by(s.c.user_id)
        .limit(limit + 1)
    )
    listing = ("users", app_name, None)
    if after is not None:
        (last_user,) = _decode_token(after, listing, 1)
        statement = statement.where(s.c.user_id > last_user)
    async with store.unit_of_work(autocommit=True, replica=True) as connection:
        rows = (await connection.execute(statement)).all()
    users = [UserSummary(row.user_id, row.sessions, row.last_update_time) for row in rows]
    if len(users) <= limit:
        return Page(users, None)
    users = users[:limit]
    return Page(users, _encode_token(listing, (users[-1].user_id,)))


async def list_sessions(
    store: SessionStore,
    *,
    app_name: str,
    user_id: str | None = None,
    order: ListingOrder = ListingOrder.NEWEST,
    limit: int = 100,
    after: str | None = None,
) -> Page[SessionSummary]:
    """Sessions of an app (or of one user of it), by last activity, a page at a time.

    Pages are keyset pages on (update time, user id, session id): no session
    is listed twice or skipped across pages, however the pages are timed,
    except that one updated while paging moves to the newest end.
    """
    check_id("app_name", app_name)
    if user_id is not None:
        check_id("user_id", user_id)
    _check_limit(limit)
    listing = (f"sessions-{order.value}", app_name, user_id)
    cursor = None
    if after is not None:
        when, last_user, last_id = _decode_token(after, listing, 3)
        cursor = ListingCursor(_parse_time(when), last_user, last_id)
    if order is ListingOrder.OLDEST:
        stored = await store.list_sessions(
            app_name=app_name, user_id=user_id, page_size=limit + 1, after=cursor
        )
        sessions = [_summary(item) for item in stored]
    else:
        sessions = await _list_newest_first(store, app_name, user_id, limit + 1, cursor)
    if len(sessions) <= limit:
        return Page(sessions, None)
    sessions = sessions[:limit]
    last = sessions[-1]
    key = (last.update_time.isoformat(timespec="microseconds"), last.user_id, last.id)
    return Page(sessions, _encode_token(listing, key))


async def _list_newest_first(
    store: SessionStore,
    app_name: str,
    user_id: str | None,
    limit: int,
    cursor: ListingCursor | None,
) -> list[SessionSummary]:
    """The store lists oldest first; this is the same keyset walked from the other end."""
    s = store.schema.sessions
    statement = (
        select(s.c.app_name, s.c.user_id, s.c.id, s.c.state, s.c.create_time, s.c.update_time)
        .where(s.c.app_name == app_name, *store.owner_filter(s))
        .order_by(s.c.update_time.desc(), s.c.user_id.desc(), s.c.id.desc())
        .limit(limit)
    )
    if user_id is not None:
        statement = statement.where(s.c.user_id == user_id)
    if cursor is not None:
        statement = statement.where(
            beyond(
                (s.c.update_time, s.c.user_id, s.c.id),
                (cursor.update_time, cursor.user_id, cursor.session_id),
                descending=True,
                row_values=store.rules.row_value_seek,
            )
        )
    async with store.unit_of_work(autocommit=True, replica=True) as connection:
        rows = (await connection.execute(statement)).all()
    return [_summary(row) for row in rows]


async def count_events(store: SessionStore, *, app_name: str, user_id: str, session_id: str) -> int:
    """How many events a session holds: a range of the events index, not a table scan."""
    e = store.schema.events
    statement = (
        select(func.count())
        .select_from(e)
        .where(
            e.c.app_name == app_name,
            e.c.user_id == user_id,
            e.c.session_id == session_id,
            *store.owner_filter(e),
        )
    )
    async with store.unit_of_work(autocommit=True, replica=True) as connection:
        return int((await connection.execute(statement)).scalar_one())


# -- pruning ----------------------------------------------------------------


def parse_duration(text: str) -> timedelta:
    """A duration such as ``30d``, ``12h``, ``90m``, ``45s`` or ``2w``.

    Raises ValueError saying what is accepted: the value decides what gets
    deleted, so nothing ambiguous (no bare numbers, no months) is guessed at.
    """
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise InvalidArgumentError(
            f"{text!r} is not a duration: write a whole number followed by a unit, "
            "s (seconds), m (minutes), h (hours), d (days) or w (weeks), for example 30d or 12h."
        )
    amount, unit = match.groups()
    seconds = int(amount) * _UNIT_SECONDS[unit]
    if seconds == 0:
        raise InvalidArgumentError(
            f"{text!r} is zero: give a duration greater than zero, for example 30d."
        )
    if seconds > _MAX_DURATION.total_seconds():
        raise InvalidArgumentError(f"{text!r} is longer than 100 years: give a shorter duration.")
    return timedelta(seconds=seconds)


async def count_prunable(
    store: SessionStore,
    *,
    cutoff: datetime,
    app_name: str | None = None,
    with_events: bool = True,
) -> PruneResult:
    """What `prune` would delete now, without deleting anything.

    ``with_events=False`` skips counting the events, which reads the events
    index of every session found.
    """
    if app_name is not None:
        check_id("app_name", app_name)
    old = _older_than(store, cutoff, app_name)
    sessions_statement = select(func.count()).select_from(store.schema.sessions).where(*old)
    async with store.unit_of_work(autocommit=True) as connection:
        sessions = (await connection.execute(sessions_statement)).scalar_one()
        events = (
            (await connection.execute(_count_events(store, old))).scalar_one() if with_events else 0
        )
    return PruneResult(cutoff=cutoff, sessions=int(sessions), events=int(events), dry_run=True)


async def find_prunable(
    store: SessionStore,
    *,
    cutoff: datetime,
    app_name: str | None = None,
    limit: int,
    after: PrunableSession | None = None,
) -> list[PrunableSession]:
    """Up to ``limit`` sessions last updated before ``cutoff``, in listing-index order.

    ``after`` (the last session of the previous batch) starts the walk where
    that batch ended, so a whole prune reads the index once instead of
    re-reading the sessions it keeps on every batch. A plain read that locks
    nothing: `delete_prunable` checks each session's age again.
    """
    statement = (
        select(*_listing_order(store))
        .where(*_older_than(store, cutoff, app_name))
        .order_by(*_listing_order(store))
        .limit(limit)
    )
    if after is not None:
        statement = statement.where(_listing_compare(store, ">", after))
    async with store.unit_of_work(autocommit=True) as connection:
        rows = (await connection.execute(statement)).all()
    return [PrunableSession(row.app_name, row.user_id, row.update_time, row.id) for row in rows]


async def delete_prunable(
    store: SessionStore,
    *,
    cutoff: datetime,
    app_name: str | None = None,
    after: PrunableSession | None,
    through: PrunableSession,
) -> tuple[int, int]:
    """Delete one batch; return the (sessions, events) deleted.

    The batch is the stretch of the listing index that `find_prunable`
    returned: past ``after`` (the previous batch's last session) up to and
    including ``through`` (this batch's last). Only the sessions there that
    are *still* last updated before ``cutoff`` are deleted, so a session that
    received an event since it was found is kept.

    One short transaction. Those sessions are locked first, as an append
    locks its session, so an append either committed before (the session is
    then newer than the cutoff and stays) or waits and then finds the session
    gone. Their events are counted under that lock and go by cascade; the
    ``app:`` and ``user:`` state rows are shared and stay.
    """
    s = store.schema.sessions
    batch = [
        *_older_than(store, cutoff, app_name),
        _listing_compare(store, "<=", through),
    ]
    if after is not None:
        batch.append(_listing_compare(store, ">", after))

    async def delete_batch() -> tuple[int, int]:
        async with store.unit_of_work(write=True) as connection:
            locked = await connection.execute(select(s.c.id).where(*batch).with_for_update())
            if not locked.all():
                return 0, 0
            events = (await connection.execute(_count_events(store, batch))).scalar_one()
            # The age is part of the DELETE's own condition too: this statement
            # alone must never take a session that became recent.
            deleted = await connection.execute(delete(s).where(*batch))
        return int(deleted.rowcount), int(events)

    return await retry_conflicts(store.rules, delete_batch, "a batch of the prune")


async def prune(
    store: SessionStore,
    *,
    cutoff: datetime,
    app_name: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    dry_run: bool = False,
    on_batch: Callable[[PruneBatch], object] | None = None,
) -> PruneResult:
    """Delete every session (with its events) last updated before ``cutoff``.

    Safe to run while the service serves requests: each batch of at most
    ``batch_size`` sessions is its own short transaction, and a session that
    receives an event while the prune runs is kept. ``dry_run`` only counts.
    ``on_batch`` is called after each batch, for progress reporting.
    """
    if cutoff.tzinfo is None:
        raise InvalidArgumentError(
            "cutoff must be a timezone-aware datetime, e.g. datetime.now(UTC) - ..."
        )
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise InvalidArgumentError(
            f"batch_size must be from 1 to {MAX_BATCH_SIZE}, got {batch_size}."
        )
    if app_name is not None:
        check_id("app_name", app_name)
    if dry_run:
        return await count_prunable(store, cutoff=cutoff, app_name=app_name)
    sessions = events = 0
    last: PrunableSession | None = None
    while batch := await find_prunable(
        store, cutoff=cutoff, app_name=app_name, limit=batch_size, after=last
    ):
        deleted_sessions, deleted_events = await delete_prunable(
            store, cutoff=cutoff, app_name=app_name, after=last, through=batch[-1]
        )
        sessions += deleted_sessions
        events += deleted_events
        last = batch[-1]
        if on_batch is not None:
            on_batch(PruneBatch(len(batch), deleted_sessions, deleted_events))
    return PruneResult(cutoff=cutoff, sessions=sessions, events=events, dry_run=False)


# -- helpers ------------------------------------------------------------------


def _older_than(
    store: SessionStore, cutoff: datetime, app_name: str | None
) -> list[ColumnElement[bool]]:
    s = store.schema.sessions
    conditions = [s.c.update_time < cutoff, *store.owner_filter(s)]
    if app_name is not None:
        conditions.append(s.c.app_name == app_name)
    return conditions


def _listing_order(store: SessionStore) -> tuple[ColumnElement[Any], ...]:
    """The listing index's columns after the owner: the order a prune walks in."""
    s = store.schema.sessions
    return (s.c.app_name, s.c.user_id, s.c.update_time, s.c.id)


def _listing_compare(
    store: SessionStore, operator: Literal[">", "<="], position: PrunableSession
) -> ColumnElement[bool]:
    """Sessions past (``>``) or up to (``<=``) ``position`` in listing order."""
    columns = _listing_order(store)
    values = (position.app_name, position.user_id, position.update_time, position.id)
    row_values = store.rules.row_value_seek
    if operator == ">":
        return beyond(columns, values, row_values=row_values)
    return beyond(columns, values, descending=True, inclusive=True, row_values=row_values)


def _count_events(store: SessionStore, conditions: Sequence[ColumnElement[bool]]) -> Select[Any]:
    """Count the events of the sessions that meet ``conditions``.

    The count is taken per session, from the events index: planners given a
    join tend to scan the whole events table for a batch of a few hundred
    sessions.
    """
    s = store.schema.sessions
    e = store.schema.events
    per_session = (
        select(func.count())
        .where(
            *(e.c[name] == s.c[name] for name in store.owner_values),
            e.c.app_name == s.c.app_name,
            e.c.user_id == s.c.user_id,
            e.c.session_id == s.c.id,
            *store.owner_filter(e),
        )
        .scalar_subquery()
    )
    return select(func.coalesce(func.sum(per_session), 0)).where(*conditions)


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidArgumentError(f"The page size must be from 1 to {MAX_PAGE_SIZE}, got {limit}.")


def _summary(stored: StoredSession | Any) -> SessionSummary:
    """A session's summary, from the store's record or from a result row with its columns."""
    return SessionSummary(
        app_name=stored.app_name,
        user_id=stored.user_id,
        id=stored.id,
        create_time=stored.create_time,
        update_time=stored.update_time,
        state_keys=sorted(stored.state),
    )


def _encode_token(listing: tuple[str | None, ...], key: tuple[str, ...]) -> str:
    """A page token: the listing it belongs to and the key of its last item.

    URL-safe base64 JSON: opaque to the user, not secret.
    """
    raw = json.dumps([*listing, *key], separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str, listing: tuple[str | None, ...], key_length: int) -> list[str]:
    """The key in ``token``; ValueError if it is malformed or from another listing."""
    try:
        values = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        values = None
    if not isinstance(values, list) or len(values) != len(listing) + key_length:
        raise InvalidArgumentError(_INVALID_TOKEN)
    if tuple(values[: len(listing)]) != listing:
        raise InvalidArgumentError(
            "This page token belongs to another listing (a different app, user, order or "
            "kind of listing); repeat the same options as for the previous page, or start "
            "again without a token."
        )
    key = values[len(listing) :]
    if not all(isinstance(value, str) for value in key):
        raise InvalidArgumentError(_INVALID_TOKEN)
    return key


def _parse_time(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise InvalidArgumentError(_INVALID_TOKEN)
    return when
