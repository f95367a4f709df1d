"""The set-based statements that write a batch of appends: a few per batch, not per append.

Each statement covers every append of the batch at once: the session rows
are locked by one ``SELECT ... FOR UPDATE`` over their keys, the events
already stored are found by one ``SELECT``, and the rows written are sent
as one ``executemany`` each. Keys are sent as an expanding tuple ``IN``
(``keys``: a list of key tuples), which every supported database accepts as
a row-value list. Rows are locked in key order (``ORDER BY`` the primary
key), so batches from many processes take their locks in the same order.
The locks and writes are the batch writer's (`adk_store.batch_steps`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, Select, Table, bindparam, select
from sqlalchemy.sql import ColumnElement, Executable

from adk_store.dialects import DialectRules
from adk_store.schema import StoreSchema

# The key columns of each table, in primary-key order after the owner.
SESSION_KEY = ("app_name", "user_id", "id")
EVENT_KEY = ("app_name", "user_id", "session_id", "id")
APP_KEY = ("app_name",)
USER_KEY = ("app_name", "user_id")


@dataclass(frozen=True)
class BatchStatements:
    """Lock, check and write many appends; see `build_batch_statements`.

    ``lock_*`` and ``stored_events`` take ``keys``, a list of key tuples (a
    list of strings for the app rows). ``write_*`` are run with one
    parameter dict per row (`DialectRules.rewrite_rows`).
    """

    lock_sessions: Select[Any]
    stored_events: Select[Any]
    write_sessions: Executable
    lock_app_states: Select[Any]
    lock_user_states: Select[Any]
    write_app_states: Executable
    write_user_states: Executable


def build_batch_statements(
    schema: StoreSchema, rules: DialectRules, owner_values: Mapping[str, Any]
) -> BatchStatements:
    """Build the batch statements of a store serving ``owner_values`` with ``rules``."""
    s, e = schema.sessions, schema.events
    a, u = schema.app_states, schema.user_states
    return BatchStatements(
        lock_sessions=_locked(
            rules,
            s,
            owner_values,
            SESSION_KEY,
            s.c.revision,
            s.c.incarnation,
            s.c.state,
            s.c.create_time,
        ),
        stored_events=select(*(e.c[name] for name in EVENT_KEY)).where(
            *_owned(e, owner_values), _among(rules, e, EVENT_KEY)
        ),
        write_sessions=rules.rewrite_rows(
            s, owner_values, SESSION_KEY, ("state", "revision", "update_time")
        ),
        lock_app_states=_locked(rules, a, owner_values, APP_KEY, a.c.state),
        lock_user_states=_locked(rules, u, owner_values, USER_KEY, u.c.state),
        write_app_states=rules.rewrite_rows(a, owner_values, APP_KEY, ("state", "update_time")),
        write_user_states=rules.rewrite_rows(u, owner_values, USER_KEY, ("state", "update_time")),
    )


def _owned(table: Table, owner_values: Mapping[str, Any]) -> list[ColumnElement[bool]]:
    return [table.c[name] == value for name, value in owner_values.items()]


def _among(rules: DialectRules, table: Table, key: tuple[str, ...]) -> ColumnElement[bool]:
    """The rows whose key is one of the ``keys`` parameter's (tuples, or values for one column)."""
    keys: BindParameter[Any] = bindparam("keys", expanding=True)
    if len(key) == 1:
        return table.c[key[0]].in_(keys)
    return rules.among([table.c[name] for name in key], keys)


def _locked(
    rules: DialectRules,
    table: Table,
    owner_values: Mapping[str, Any],
    key: tuple[str, ...],
    *columns: ColumnElement[Any],
) -> Select[Any]:
    """The rows of ``keys`` with their key and ``columns``, locked in key order."""
    key_columns = [table.c[name] for name in key]
    return (
        select(*key_columns, *columns)
        .where(*_owned(table, owner_values), _among(rules, table, key))
        .order_by(*key_columns)
        .with_for_update()
    )
