"""PostgreSQL's group append: many appends to different sessions as one statement.

Each parameter of the one-statement append (`adk_store.dialects.postgresql`)
becomes an array with one element per append, in arrival order, named
``batch_<parameter>``. The statement

1. locks the sessions it can write, sorted by key (``ORDER BY ... FOR
   UPDATE``: rows are locked in the order the sort returns them), so batches
   from many processes take their locks in one order and cannot deadlock on
   each other; a row whose compare-and-swap fails, whose session is missing or
   which already holds the event's id is left out, for the caller to resolve
   alone on the single-append path;
2. bumps those sessions' revisions and merges their session deltas;
3. merges the ``app:`` and ``user:`` deltas of the written appends into one
   row per scope, key by key, the latest append's value winning (as if the
   appends had run one after another in arrival order), scope keys sorted;
4. inserts the events, each at the revision its append produced.

It returns one row per written append: its position in the arrays
(``ordinal``, from 1) and the session's new ``revision`` and ``incarnation``.
A batch holds at most one append per session (`adk_store.group_commit`), so
no two rows touch the same session.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Select,
    String,
    Table,
    Update,
    and_,
    bindparam,
    column,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeEngine

from adk_store.schema import StoreSchema
from adk_store.types import UtcDateTime

# Parameters that are not event columns, with the column whose type they share.
_SESSION_PARAMETERS = {
    "key_app_name": ("sessions", "app_name"),
    "key_user_id": ("sessions", "user_id"),
    "key_session_id": ("sessions", "id"),
    "expected_incarnation": ("sessions", "incarnation"),
    "new_update_time": ("sessions", "update_time"),
    "session_delta": ("sessions", "state"),
    "app_delta": ("app_states", "state"),
    "user_delta": ("user_states", "state"),
}
_KEY_COLUMNS = ("app_name", "user_id", "session_id")


def batch_parameters(schema: StoreSchema) -> tuple[str, ...]:
    """The single append's parameter names that the batch takes as arrays, in order."""
    return (*_SESSION_PARAMETERS, "expected_revision", *_event_parameters(schema))


def group_append(schema: StoreSchema, owner_values: dict[str, Any]) -> Select[Any]:
    """The statement described in the module docstring."""
    s, e = schema.sessions, schema.events
    owned = list(schema.owner_names)
    tables = {"sessions": s, "app_states": schema.app_states, "user_states": schema.user_states}
    types: dict[str, TypeEngine[Any]] = {
        name: tables[table].c[col].type for name, (table, col) in _SESSION_PARAMETERS.items()
    }
    types["expected_revision"] = BigInteger()
    types.update({f"event_{name}": e.c[name].type for name in _event_parameters_of(schema)})
    types = {name: _array_item(type_) for name, type_ in types.items()}
    names = batch_parameters(schema)
    unnested = (
        func.unnest(*(bindparam(f"batch_{name}", type_=ARRAY(types[name])) for name in names))
        .table_valued(*(column(name, types[name]) for name in names), with_ordinality="ordinal")
        .render_derived()
    )
    batch = select(unnested).cte("batch")
    b = batch.c

    def owner_of(table: Table) -> list[Any]:
        return [table.c[name] == value for name, value in owner_values.items()]

    locked = (
        select(*(s.c[name] for name in owned), s.c.app_name, s.c.user_id, s.c.id, b.ordinal)
        .join_from(
            s,
            batch,
            and_(
                s.c.app_name == b.key_app_name,
                s.c.user_id == b.key_user_id,
                s.c.id == b.key_session_id,
            ),
        )
        .where(
            *owner_of(s),
            or_(
                b.expected_revision.is_(None),
                and_(
                    s.c.revision == b.expected_revision,
                    s.c.incarnation == b.expected_incarnation,
                ),
            ),
            ~exists().where(
                *owner_of(e),
                e.c.app_name == b.key_app_name,
                e.c.user_id == b.key_user_id,
                e.c.session_id == b.key_session_id,
                e.c.id == b.event_id,
            ),
        )
        .order_by(*(s.c[name] for name in owned), s.c.app_name, s.c.user_id, s.c.id)
        .with_for_update(of=s)
        .cte("locked")
    )
    bumped = bump_sessions(
        update(s).where(
            *(s.c[name] == locked.c[name] for name in owned),
            s.c.app_name == locked.c.app_name,
            s.c.user_id == locked.c.user_id,
            s.c.id == locked.c.id,
            b.ordinal == locked.c.ordinal,
        ),
        schema,
        b.session_delta,
        b.new_update_time,
        b.ordinal,
    )
    merged = [
        _merge_scopes(schema.app_states, batch, bumped, [*owned, "app_name"], "app_delta"),
        _merge_scopes(
            schema.user_states, batch, bumped, [*owned, "app_name", "user_id"], "user_delta"
        ),
    ]
    inserted = _insert_events(schema, batch, bumped)
    # Every CTE must be referenced to be rendered; PostgreSQL runs them all.
    written = [
        select(func.count()).select_from(cte).scalar_subquery() for cte in (*merged, inserted)
    ]
    return select(
        bumped.c.ordinal,
        bumped.c.revision,
        bumped.c.incarnation,
        *(count.label(f"written_{index}") for index, count in enumerate(written)),
    )


def _event_parameters_of(schema: StoreSchema) -> list[str]:
    """Event columns the caller sends (the key and the position come from the session)."""
    skipped = {*schema.owner_names, *_KEY_COLUMNS, "seq"}
    return [c.name for c in schema.events.columns if c.name not in skipped]


def _event_parameters(schema: StoreSchema) -> list[str]:
    return [f"event_{name}" for name in _event_parameters_of(schema)]


def _merge_scopes(table: Table, batch: Any, bumped: Any, key: list[str], delta_name: str) -> Any:
    """Upsert one row per scope key: the written appends' deltas merged key by key.

    Each state key takes its value from the latest append that set it
    (``DISTINCT ON ... ORDER BY ordinal DESC``), so the merge equals the
    appends applied one by one; the row's time is that of the latest append
    with a delta for it. Rows are sorted by key, so the row locks are taken
    in one order.
    """
    b = batch.c
    written = (
        select(
            *(bumped.c[name] for name in key),
            b.ordinal,
            b.new_update_time,
            b[delta_name].label("delta"),
        )
        .join_from(bumped, batch, bumped.c.ordinal == b.ordinal)
        .subquery()
    )
    entry = func.jsonb_each(written.c.delta).table_valued("key", "value").lateral()
    latest = (
        select(
            *(written.c[name] for name in key),
            entry.c.key,
            entry.c.value,
            written.c.ordinal,
            written.c.new_update_time,
        )
        .select_from(written)
        .join(entry, entry.c.key.isnot(None))
        .ext(postgresql.distinct_on(*(written.c[name] for name in key), entry.c.key))
        .order_by(*(written.c[name] for name in key), entry.c.key, written.c.ordinal.desc())
        .subquery()
    )
    last_time = func.array_agg(
        postgresql.aggregate_order_by(latest.c.new_update_time, latest.c.ordinal.desc()),
        type_=ARRAY(table.c.update_time.type),
    )[1]
    source = (
        select(
            *(latest.c[name] for name in key),
            func.jsonb_object_agg(latest.c.key, latest.c.value, type_=table.c.state.type),
            last_time,
        )
        .group_by(*(latest.c[name] for name in key))
        .order_by(*(latest.c[name] for name in key))
    )
    return scope_upsert(table, key, source)


def bump_sessions(statement: Update, schema: StoreSchema, delta: Any, when: Any, *also: Any) -> Any:
    """The sessions an append writes, as the CTE ``bumped``.

    Each matched session's state gets ``delta`` merged in key by key, its
    revision goes up by one and its time becomes ``when``; the CTE returns
    the session's key, new revision and incarnation, then ``also``.
    """
    s = schema.sessions
    return (
        statement.values(
            state=s.c.state.op("||")(delta), revision=s.c.revision + 1, update_time=when
        )
        .returning(
            *(s.c[name] for name in schema.owner_names),
            s.c.app_name,
            s.c.user_id,
            s.c.id,
            s.c.revision,
            s.c.incarnation,
            *also,
        )
        .cte("bumped")
    )


def scope_upsert(table: Table, key: list[str], source: Select[Any]) -> Any:
    """A CTE upserting ``source``'s (key, state, update_time) rows into a scope table.

    An existing row's state is merged key by key (``jsonb || jsonb``), so
    keys written concurrently from other sessions survive.
    """
    upsert = postgresql.insert(table).from_select([*key, "state", "update_time"], source)
    return (
        upsert.on_conflict_do_update(
            index_elements=[table.c[name] for name in key],
            set_={
                "state": table.c.state.op("||")(upsert.excluded.state),
                "update_time": upsert.excluded.update_time,
            },
        )
        .returning(table.c[key[0]])
        .cte(f"merged_{table.name}")
    )


def _insert_events(schema: StoreSchema, batch: Any, bumped: Any) -> Any:
    """Insert each written append's event at the revision it produced."""
    e = schema.events
    b = batch.c
    owned = list(schema.owner_names)
    key_columns = [*owned, *_KEY_COLUMNS]
    event_columns = [c.name for c in e.columns if c.name not in key_columns]

    def value_of(name: str) -> Any:
        if name == "seq":
            return bumped.c.revision
        return b[f"event_{name}"]

    source = select(
        *(bumped.c[name] for name in owned),
        bumped.c.app_name,
        bumped.c.user_id,
        bumped.c.id,
        *(value_of(name) for name in event_columns),
    ).join_from(bumped, batch, bumped.c.ordinal == b.ordinal)
    return (
        insert(e)
        .from_select([*key_columns, *event_columns], source)
        .returning(e.c.id)
        .cte("inserted_event")
    )


def _array_item(type_: TypeEngine[Any]) -> TypeEngine[Any]:
    """The element type of a parameter array: the column's type without its size.

    The arrays are cast in the statement text; the column's length or
    precision there would only be repeated, and no value of a column is
    longer than its column allows anyway.
    """
    if isinstance(type_, String):
        return String()
    if isinstance(type_, UtcDateTime):
        return postgresql.TIMESTAMP(timezone=True)
    return type_
