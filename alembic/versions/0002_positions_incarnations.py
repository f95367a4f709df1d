"""Event positions, session incarnations, the activity index and NO PAD ids.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30

- ``events.seq``: an event's place in its session's history. Existing events
  are numbered per session in timestamp, then id order (what the store
  returned them in); the store gives every new event the session revision
  its append produces, which is above every number given here because each
  stored event was appended with a revision of its own. The index on it
  replaces the timestamp-ordered one.
- ``sessions.incarnation``: a random token per creation of an id, compared
  by every append instead of the creation time. Existing rows are each their
  own incarnation ``'0'``.
- ``ix_<prefix>sessions_activity``: listing every user's sessions of an app
  by activity, one index seek per page.
- MySQL/MariaDB: NO PAD binary collation (``utf8mb4_nopad_bin`` on MariaDB,
  ``utf8mb4_0900_bin`` on MySQL 8), so ``'alice '`` and ``'alice'`` are two
  ids as they are on every other database.

Frozen like 0001: every type and option is written here. On PostgreSQL the
indexes are built and dropped ``CONCURRENTLY``, outside the migration's
transaction, so appends of a running service continue during the upgrade;
the numbering runs in batches of sessions.

Events that writers of the previous release append after the numbering has
passed their session keep position 0 and come first in their session: stop
the previous release's writers before (or right after) upgrading.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from typing import TYPE_CHECKING

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import mysql, oracle

from adk_store.migrations import layout_in_context

if TYPE_CHECKING:
    from adk_store.layout import TableLayout

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Sessions numbered per UPDATE, each committed on its own.
_NUMBERING_BATCH = 500
_ID_COLUMNS = {
    "sessions": ("app_name", "user_id", "id"),
    "events": ("app_name", "user_id", "session_id", "id"),
    "app_states": ("app_name",),
    "user_states": ("app_name", "user_id"),
}
_MYSQL_PAD_COLLATION = "utf8mb4_bin"  # revision 0001's


def _dialect() -> str:
    return op.get_context().dialect.name


def _owned(layout: TableLayout) -> list[str]:
    owner = layout.owner_column
    return [] if owner is None else [owner.name]


def _nopad_collation() -> str:
    """MariaDB and MySQL 8 spell a NO PAD binary collation differently."""
    dialect = op.get_context().dialect
    if dialect.name == "mariadb" or getattr(dialect, "is_mariadb", False):
        return "utf8mb4_nopad_bin"
    return "utf8mb4_0900_bin"


def _create_index(name: str, table: str, columns: list[str], schema: str | None) -> None:
    if _dialect() == "postgresql":
        with op.get_context().autocommit_block():
            op.create_index(name, table, columns, schema=schema, postgresql_concurrently=True)
    else:
        op.create_index(name, table, columns, schema=schema)


def _drop_index(name: str, table: str, schema: str | None) -> None:
    if _dialect() == "postgresql":
        with op.get_context().autocommit_block():
            op.drop_index(name, table_name=table, schema=schema, postgresql_concurrently=True)
    else:
        op.drop_index(name, table_name=table, schema=schema)


def _id_column(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(oracle.VARCHAR2(length), "oracle")


def upgrade() -> None:
    layout = layout_in_context(context.config)
    p, schema, owned = layout.prefix, layout.schema, _owned(layout)
    op.add_column(
        f"{p}sessions",
        sa.Column("incarnation", _id_column(32), nullable=False, server_default="0"),
        schema=schema,
    )
    op.add_column(
        f"{p}events",
        sa.Column("seq", sa.BigInteger(), nullable=False, server_default="0"),
        schema=schema,
    )
    _number_events(layout)
    _create_index(
        f"ix_{p}events_position",
        f"{p}events",
        [*owned, "app_name", "user_id", "session_id", "seq"],
        schema,
    )
    _drop_index(f"ix_{p}events_recent", f"{p}events", schema)
    _create_index(
        f"ix_{p}sessions_activity",
        f"{p}sessions",
        [*owned, "app_name", "update_time", "user_id", "id"],
        schema,
    )
    if _dialect() in ("mysql", "mariadb"):
        _set_collation(layout, _nopad_collation())


def downgrade() -> None:
    layout = layout_in_context(context.config)
    p, schema, owned = layout.prefix, layout.schema, _owned(layout)
    if _dialect() in ("mysql", "mariadb"):
        if not context.is_offline_mode():
            _refuse_ids_that_differ_by_trailing_spaces(layout)
        _set_collation(layout, _MYSQL_PAD_COLLATION)
    _drop_index(f"ix_{p}sessions_activity", f"{p}sessions", schema)
    _create_index(
        f"ix_{p}events_recent",
        f"{p}events",
        [*owned, "app_name", "user_id", "session_id", "timestamp", "id"],
        schema,
    )
    _drop_index(f"ix_{p}events_position", f"{p}events", schema)
    op.drop_column(f"{p}events", "seq", schema=schema)
    op.drop_column(f"{p}sessions", "incarnation", schema=schema)


def _number_events(layout: TableLayout) -> None:
    """Give existing events their place: per session, in timestamp, then id, order.

    Online, sessions are numbered a batch at a time, walking the sessions'
    primary key, so each UPDATE's locks stay short; the SQL printed for a
    DBA numbers them all in one statement.
    """
    p, schema, owned = layout.prefix, layout.schema, _owned(layout)
    metadata = sa.MetaData(schema=schema)
    session_key = [*owned, "app_name", "user_id", "id"]
    sessions = sa.Table(f"{p}sessions", metadata, *(sa.Column(name) for name in session_key))
    event_key = [*owned, "app_name", "user_id", "session_id"]
    events = sa.Table(
        f"{p}events",
        metadata,
        *(sa.Column(name) for name in [*event_key, "id", "timestamp"]),
        sa.Column("seq", sa.BigInteger()),
    )
    if context.is_offline_mode():
        op.execute(_numbering(events, event_key, None))
        return
    # Each batch commits on its own (SQLite: the revision's one transaction):
    # the columns just added are committed first, so the exclusive lock that
    # adding them took is not held while the events are numbered.
    batches = nullcontext() if _dialect() == "sqlite" else op.get_context().autocommit_block()
    with batches:
        connection = op.get_bind()
        keys = [sessions.c[name] for name in session_key]
        last: tuple[object, ...] | None = None
        while True:
            page = sa.select(*keys).order_by(*keys).limit(_NUMBERING_BATCH)
            if last is not None:
                page = page.where(sa.tuple_(*keys) > sa.tuple_(*last))
            batch = connection.execute(page).all()
            if not batch:
                return
            last = tuple(batch[-1])
            connection.execute(_numbering(events, event_key, (tuple(batch[0]), last)))


def _numbering(
    events: sa.Table,
    event_key: list[str],
    between: tuple[tuple[object, ...], tuple[object, ...]] | None,
) -> sa.Update:
    """The UPDATE numbering the events of the sessions ``between`` two keys (or all)."""
    source = events.alias("source")
    session_of = [source.c[name] for name in event_key]
    numbered = sa.select(
        *session_of,
        source.c.id,
        sa.func.row_number()
        .over(partition_by=session_of, order_by=(source.c.timestamp, source.c.id))
        .label("position"),
    )
    if between is not None:
        first, last = between
        numbered = numbered.where(
            sa.tuple_(*session_of) >= sa.tuple_(*first),
            sa.tuple_(*session_of) <= sa.tuple_(*last),
        )
    ranked = numbered.subquery("numbered")
    same_event = [events.c[name] == ranked.c[name] for name in [*event_key, "id"]]
    if _dialect() == "oracle":
        # Oracle has no UPDATE ... FROM: a correlated subquery (compiled in
        # the tests, not run: no Oracle server is available to them).
        position = sa.select(ranked.c.position).where(*same_event).scalar_subquery()
        return sa.update(events).values(seq=position)
    return sa.update(events).values(seq=ranked.c.position).where(*same_event)


def _set_collation(layout: TableLayout, collation: str) -> None:
    """Give the session and event id columns of every table ``collation``.

    The events' foreign key to their session is dropped while both sides
    change, then made again; an owner column keeps its collation, which must
    match the application's table it references.
    """
    p, schema, owned = layout.prefix, layout.schema, _owned(layout)
    session_fk = f"fk_{p}events_session"
    op.drop_constraint(session_fk, f"{p}events", type_="foreignkey", schema=schema)
    for table, columns in _ID_COLUMNS.items():
        for name in columns:
            op.alter_column(
                f"{p}{table}",
                name,
                type_=mysql.VARCHAR(128, charset="utf8mb4", collation=collation),
                existing_nullable=False,
                schema=schema,
            )
    op.create_foreign_key(
        session_fk,
        f"{p}events",
        f"{p}sessions",
        [*owned, "app_name", "user_id", "session_id"],
        [*owned, "app_name", "user_id", "id"],
        ondelete="CASCADE",
        source_schema=schema,
        referent_schema=schema,
    )


def _refuse_ids_that_differ_by_trailing_spaces(layout: TableLayout) -> None:
    """Revision 0001's PAD SPACE collation cannot hold 'a' and 'a ' as two ids.

    Every table's key is checked with trailing spaces removed from each of
    its ids, before anything is changed.
    """
    owned = _owned(layout)
    for table_name, columns in _ID_COLUMNS.items():
        names = [*owned, *columns]
        table = sa.table(f"{layout.prefix}{table_name}", *(sa.column(name) for name in names))
        key = [table.c[name] if name in owned else sa.func.rtrim(table.c[name]) for name in names]
        clash = (
            op.get_bind()
            .execute(sa.select(*key).group_by(*key).having(sa.func.count() > 1).limit(1))
            .first()
        )
        if clash is not None:
            raise RuntimeError(
                f"Cannot downgrade to 0001: rows of {layout.prefix}{table_name} with key "
                f"{tuple(clash)!r} differ only by trailing spaces, which 0001's collation "
                "treats as one id. Delete or rename one of them first."
            )
