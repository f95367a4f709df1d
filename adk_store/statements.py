"""Every statement the store runs, built once from the schema, the dialect and the owner.

Statements are built when a store is created and executed with parameter
dicts, so no query is constructed per call. Key values are bound to
``key_<name>`` parameters: a parameter named like a column would be taken by
an UPDATE as a value to SET. The owner's value is bound into the statements
themselves, so no call can forget it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

from sqlalchemy import (
    BindParameter,
    Delete,
    Insert,
    Select,
    Table,
    Update,
    and_,
    bindparam,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ColumnElement, Executable

from adk_store.batch_statements import BatchStatements, build_batch_statements
from adk_store.dialects import DialectRules, GroupAppend, rules_for
from adk_store.keyset import beyond
from adk_store.schema import StoreSchema


@dataclass(frozen=True)
class ScopeStatements:
    """Read, lock, create and write one scoped-state row (``app:`` or ``user:``)."""

    read: Select[Any]
    lock: Select[Any]
    ensure: Insert
    write: Update


@dataclass(frozen=True)
class StoreStatements:
    """The statements of one store; see `build_statements`.

    ``select_events`` is keyed by (has ``num_recent_events``, has
    ``after_timestamp``), ``list_sessions`` by (one user only, paged);
    ``read_session`` (the session and its events at once, where the database
    can) like ``select_events``.
    ``atomic_append`` is None where an append takes a transaction of several
    statements, ``group_append`` where appends are not grouped; ``batch``
    writes a group of appends where ``group_append`` is None.
    """

    insert_session: Insert
    probe_session: Select[Any]
    lock_session: Select[Any]
    lock_session_with_state: Select[Any]
    bump_session: Update
    bump_session_with_state: Update
    insert_event: Insert
    delete_session: Delete
    select_session: Select[Any]
    select_events: Mapping[tuple[bool, bool], Select[Any]]
    read_session: Mapping[tuple[bool, bool], Select[Any]] | None
    list_sessions: Mapping[tuple[bool, bool], Select[Any]]
    user_events_page: Select[Any]
    atomic_append: Select[Any] | None
    group_append: GroupAppend | None
    batch: BatchStatements
    app: ScopeStatements
    user: ScopeStatements

    def by_name(self) -> dict[str, Executable]:
        """Every statement by a readable name: for inspection and the dialect checks."""
        return dict(_named(self))


def _named(value: Any, prefix: str = "") -> Iterator[tuple[str, Executable]]:
    if isinstance(value, Executable):
        yield prefix, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _named(item, f"{prefix}{key}")
    elif isinstance(value, GroupAppend):
        yield prefix, value.statement
    elif is_dataclass(value) and not isinstance(value, type):
        for field in fields(value):
            separator = "_" if prefix else ""
            yield from _named(getattr(value, field.name), f"{prefix}{separator}{field.name}")


def owner_filter(table: Table, owner_values: Mapping[str, Any]) -> list[ColumnElement[bool]]:
    """Conditions that keep a query on ``table`` to one owner (none without an owner column).

    The owner is a bound parameter carrying its value, so statements built
    once keep it without being passed it on every execution.
    """
    return [table.c[name] == value for name, value in owner_values.items()]


def build_statements(
    schema: StoreSchema, dialect: Dialect, owner_values: Mapping[str, Any]
) -> StoreStatements:
    """Build every statement of a store serving ``owner_values`` on ``dialect``."""
    return _Builder(schema, rules_for(dialect), owner_values).build()


class _Builder:
    def __init__(
        self, schema: StoreSchema, rules: DialectRules, owner_values: Mapping[str, Any]
    ) -> None:
        self.schema = schema
        self.rules = rules
        self.owner_values = dict(owner_values)

    def key(self, table: Table, **columns: str) -> ColumnElement[bool]:
        """Equality on the owner and the key columns, bound to ``key_<name>`` parameters."""
        return and_(
            *owner_filter(table, self.owner_values),
            *(table.c[column] == bindparam(f"key_{param}") for column, param in columns.items()),
        )

    def same_owner(self, left: Table, right: Table, *columns: str) -> ColumnElement[bool]:
        """A join condition on ``columns`` and the owner column."""
        names = (*self.schema.owner_names, *columns)
        return and_(*(left.c[name] == right.c[name] for name in names))

    def past(
        self, columns: tuple[ColumnElement[Any], ...], names: tuple[str, ...]
    ) -> ColumnElement[bool]:
        """Rows after the cursor bound to ``names``, in the order of ``columns``.

        Each parameter is typed as its column, so a timestamp binds as UTC.
        """
        values = [bindparam(n, type_=c.type) for c, n in zip(columns, names, strict=True)]
        return beyond(columns, values, row_values=self.rules.row_value_seek)

    def build(self) -> StoreStatements:
        s = self.schema.sessions
        e = self.schema.events
        a = self.schema.app_states
        u = self.schema.user_states
        session_key = self.key(s, app_name="app_name", user_id="user_id", id="session_id")
        event_key = self.key(
            e, app_name="app_name", user_id="user_id", session_id="session_id", id="event_id"
        )
        existing_event = select(e.c.event_data).where(event_key).scalar_subquery()
        probe_session = select(
            s.c.revision, s.c.incarnation, existing_event.label("existing_event")
        ).where(session_key)
        bump_session = (
            update(s)
            .where(session_key, s.c.revision == bindparam("expected_revision"))
            .values(revision=bindparam("new_revision"), update_time=bindparam("new_update_time"))
        )
        select_session = (
            select(
                s.c.state,
                s.c.revision,
                s.c.incarnation,
                s.c.create_time,
                s.c.update_time,
                a.c.state.label("app_state"),
                u.c.state.label("user_state"),
            )
            .select_from(
                s.outerjoin(a, self.same_owner(a, s, "app_name")).outerjoin(
                    u, self.same_owner(u, s, "app_name", "user_id")
                )
            )
            .where(session_key)
        )
        return StoreStatements(
            insert_session=insert(s),
            probe_session=probe_session,
            lock_session=probe_session.with_for_update(),
            lock_session_with_state=probe_session.add_columns(s.c.state).with_for_update(),
            bump_session=bump_session,
            bump_session_with_state=bump_session.values(state=bindparam("new_state")),
            insert_event=insert(e),
            delete_session=delete(s).where(session_key),
            select_session=select_session,
            select_events=self.select_events(),
            read_session=self.rules.session_with_events(
                select_session, self.select_events(e.c.seq, e.c.id)
            ),
            list_sessions=self.list_sessions(),
            user_events_page=self.user_events_page(),
            atomic_append=self.rules.atomic_append(self.schema, self.owner_values),
            group_append=self.rules.group_append(self.schema, self.owner_values),
            batch=build_batch_statements(self.schema, self.rules, self.owner_values),
            app=self.scope(a, self.key(a, app_name="app_name")),
            user=self.scope(u, self.key(u, app_name="app_name", user_id="user_id")),
        )

    def select_events(self, *also: ColumnElement[Any]) -> dict[tuple[bool, bool], Select[Any]]:
        """A session's newest events (documents, then the columns ``also``), newest first."""
        e = self.schema.events
        events_of_session = select(e.c.event_data, *also).where(
            self.key(e, app_name="app_name", user_id="user_id", session_id="session_id")
        )
        # In append order (the events index), not by timestamp: another
        # host's clock may have set an older timestamp on a newer event.
        newest_first = (e.c.seq.desc(), e.c.id.desc())
        since = e.c.timestamp >= bindparam("after")
        limit: BindParameter[int] = bindparam("limit")
        return {
            (False, False): events_of_session.order_by(*newest_first),
            (False, True): events_of_session.where(since).order_by(*newest_first),
            (True, False): events_of_session.order_by(*newest_first).limit(limit),
            (True, True): events_of_session.where(since).order_by(*newest_first).limit(limit),
        }

    def list_sessions(self) -> dict[tuple[bool, bool], Select[Any]]:
        """A page of an app's (or a user's) sessions, each with its user's and the app's state.

        The app's state is an uncorrelated subquery, read once per statement:
        the listing is one round trip.
        """
        s = self.schema.sessions
        u = self.schema.user_states
        a = self.schema.app_states
        app_state = select(a.c.state).where(self.key(a, app_name="app_name")).scalar_subquery()
        listing = (
            select(
                s.c.app_name,
                s.c.user_id,
                s.c.id,
                s.c.state,
                s.c.revision,
                s.c.incarnation,
                s.c.create_time,
                s.c.update_time,
                u.c.state.label("user_state"),
                app_state.label("app_state"),
            )
            .select_from(s.outerjoin(u, self.same_owner(u, s, "app_name", "user_id")))
            .where(self.key(s, app_name="app_name"))
            .order_by(s.c.update_time, s.c.user_id, s.c.id)
        )
        past_cursor = self.past(
            (s.c.update_time, s.c.user_id, s.c.id), ("after_time", "after_user", "after_id")
        )
        statements: dict[tuple[bool, bool], Select[Any]] = {}
        for one_user in (False, True):
            base = listing.where(s.c.user_id == bindparam("key_user_id")) if one_user else listing
            statements[(one_user, False)] = base
            statements[(one_user, True)] = base.where(past_cursor).limit(bindparam("limit"))
        return statements

    def user_events_page(self) -> Select[Any]:
        """A user's events after a cursor, in the order of the events index: one range scan."""
        e = self.schema.events
        past_event = self.past(
            (e.c.session_id, e.c.seq, e.c.id), ("after_session", "after_seq", "after_event")
        )
        return (
            select(e.c.session_id, e.c.seq, e.c.timestamp, e.c.event_data)
            .where(self.key(e, app_name="app_name", user_id="user_id"), past_event)
            .order_by(e.c.session_id, e.c.seq, e.c.id)
            .limit(bindparam("limit"))
        )

    def scope(self, table: Table, where: ColumnElement[bool]) -> ScopeStatements:
        read = select(table.c.state).where(where)
        return ScopeStatements(
            read=read,
            lock=read.with_for_update(),
            ensure=self.rules.insert_if_absent(table),
            write=update(table)
            .where(where)
            .values(state=bindparam("new_state"), update_time=bindparam("new_update_time")),
        )
