"""Sessions, events, app state and user state.

Revision ID: 0001
Revises:
Create Date: 2026-11-21

This revision is frozen: every type, length, per-dialect variant, index and
table option it creates is written here, not taken from ``adk_store.types``
or ``adk_store.schema``. Databases already upgraded to 0001 keep what 0001
created, so a change to the live schema must arrive as a new revision; had
0001 borrowed from live code, that change would silently make fresh
databases differ from old ones at the same revision.
``tests/snapshots/0001_initial_schema.json`` pins a digest of the SQL it
emits on each dialect.

The one thing taken from adk-store is the layout (``layout_in_context``):
table prefix, PostgreSQL schema and owner column (name, type name, foreign
key target, on-delete rule). The layout is chosen by whoever runs the
upgrade, like the URL, and every revision receives it; it names tables and
columns but decides no DDL. What an owner type name means in DDL is a schema
decision, so that mapping is written here too.

The live schema's ``UtcDateTime`` decorator converts values, which DDL never
sees; the timestamp columns here are created with the types it emits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import mysql, oracle, postgresql, sqlite
from sqlalchemy.types import TypeEngine

from adk_store.migrations import layout_in_context

if TYPE_CHECKING:
    from adk_store.layout import TableLayout

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables rewritten on every append: free space in each page lets PostgreSQL
# keep the new row version on the same page (HOT updates).
FILLFACTOR: dict[str, Any] = {"postgresql_with": {"fillfactor": 80}}
# 4-byte UTF-8 so emoji survive, binary collation so ids compare exactly,
# InnoDB for foreign keys and transactions. A ``mariadb+`` URL reads only the
# ``mariadb_`` spelling, so both are given.
MYSQL_TABLE: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
    "mariadb_engine": "InnoDB",
    "mariadb_charset": "utf8mb4",
    "mariadb_collate": "utf8mb4_bin",
}


def _text(length: int) -> TypeEngine[Any]:
    """VARCHAR(length); VARCHAR2 on Oracle."""
    return sa.String(length).with_variant(oracle.VARCHAR2(length), "oracle")


def _json() -> TypeEngine[Any]:
    """Native JSON: JSONB on PostgreSQL."""
    return (
        sa.JSON()
        .with_variant(postgresql.JSONB(), "postgresql")
        .with_variant(mysql.JSON(), "mysql", "mariadb")
        .with_variant(oracle.JSON(), "oracle")
        .with_variant(sqlite.JSON(), "sqlite")
    )


def _timestamp() -> TypeEngine[Any]:
    """Microsecond timestamps; with a time zone where the database stores one."""
    return (
        sa.DateTime(timezone=True)
        .with_variant(postgresql.TIMESTAMP(timezone=True, precision=6), "postgresql")
        .with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
        .with_variant(oracle.TIMESTAMP(timezone=True), "oracle")
        .with_variant(sqlite.DATETIME(), "sqlite")  # type: ignore[no-untyped-call]
    )


def _owner_type(type_name: str) -> TypeEngine[Any]:
    """The DDL type of an owner column, by the type name the layout gives."""
    if type_name == "string":
        return _text(128)
    if type_name == "integer":
        return sa.Integer()
    if type_name == "bigint":
        return sa.BigInteger()
    if type_name == "uuid":
        return sa.Uuid()
    raise ValueError(
        f"Revision 0001 cannot create an owner column of type {type_name!r}; it knows "
        "string, integer, bigint and uuid. Use one of those for tables created by 0001."
    )


def _on_postgresql() -> bool:
    """The partial GIN index on session state exists on PostgreSQL only."""
    return op.get_context().dialect.name == "postgresql"


def _key(layout: TableLayout, *names: str) -> list[sa.Column[Any]]:
    """Primary-key columns, led by the owner column when the layout has one."""
    owner = layout.owner_column
    leading = (
        [] if owner is None else [sa.Column(owner.name, _owner_type(owner.type), primary_key=True)]
    )
    return leading + [sa.Column(name, _text(128), primary_key=True) for name in names]


def _owned(layout: TableLayout) -> list[str]:
    owner = layout.owner_column
    return [] if owner is None else [owner.name]


def _owner_fk(layout: TableLayout, table: str) -> list[sa.ForeignKeyConstraint]:
    owner = layout.owner_column
    target = None if owner is None else owner.target(layout.schema)
    if owner is None or target is None:
        return []
    return [
        sa.ForeignKeyConstraint(
            [owner.name], [target], name=f"fk_{table}_owner", ondelete=owner.on_delete
        )
    ]


def upgrade() -> None:
    layout = layout_in_context(context.config)
    p, schema, owned = layout.prefix, layout.schema, _owned(layout)
    op.create_table(
        f"{p}sessions",
        *_key(layout, "app_name", "user_id", "id"),
        sa.Column("state", _json(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("create_time", _timestamp(), nullable=False),
        sa.Column("update_time", _timestamp(), nullable=False),
        *_owner_fk(layout, f"{p}sessions"),
        schema=schema,
        **FILLFACTOR,
        **MYSQL_TABLE,
    )
    op.create_index(
        f"ix_{p}sessions_listing",
        f"{p}sessions",
        [*owned, "app_name", "user_id", "update_time", "id"],
        schema=schema,
    )
    if _on_postgresql():
        op.create_index(
            f"ix_{p}sessions_state_gin",
            f"{p}sessions",
            ["state"],
            postgresql_using="gin",
            postgresql_where=sa.text("state <> '{}'::jsonb"),
            schema=schema,
        )
    op.create_table(
        f"{p}events",
        *_key(layout, "app_name", "user_id", "session_id", "id"),
        sa.Column("invocation_id", _text(256), nullable=True),
        sa.Column("author", _text(256), nullable=False),
        sa.Column("branch", _text(1024), nullable=True),
        sa.Column("timestamp", _timestamp(), nullable=False),
        sa.Column("event_data", _json(), nullable=False),
        sa.Column("content", _json(), nullable=True),
        sa.Column("grounding_metadata", _json(), nullable=True),
        sa.Column("custom_metadata", _json(), nullable=True),
        sa.Column("partial", sa.Boolean(), nullable=True),
        sa.Column("turn_complete", sa.Boolean(), nullable=True),
        sa.Column("interrupted", sa.Boolean(), nullable=True),
        sa.Column("error_code", _text(256), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            [*owned, "app_name", "user_id", "session_id"],
            [
                f"{schema + '.' if schema else ''}{p}sessions.{name}"
                for name in (*owned, "app_name", "user_id", "id")
            ],
            name=f"fk_{p}events_session",
            ondelete="CASCADE",
        ),
        schema=schema,
        **MYSQL_TABLE,
    )
    op.create_index(
        f"ix_{p}events_recent",
        f"{p}events",
        [*owned, "app_name", "user_id", "session_id", "timestamp", "id"],
        schema=schema,
    )
    op.create_table(
        f"{p}app_states",
        *_key(layout, "app_name"),
        sa.Column("state", _json(), nullable=False),
        sa.Column("update_time", _timestamp(), nullable=False),
        *_owner_fk(layout, f"{p}app_states"),
        schema=schema,
        **FILLFACTOR,
        **MYSQL_TABLE,
    )
    op.create_table(
        f"{p}user_states",
        *_key(layout, "app_name", "user_id"),
        sa.Column("state", _json(), nullable=False),
        sa.Column("update_time", _timestamp(), nullable=False),
        *_owner_fk(layout, f"{p}user_states"),
        schema=schema,
        **FILLFACTOR,
        **MYSQL_TABLE,
    )


def downgrade() -> None:
    layout = layout_in_context(context.config)
    p, schema = layout.prefix, layout.schema
    op.drop_table(f"{p}user_states", schema=schema)
    op.drop_table(f"{p}app_states", schema=schema)
    op.drop_index(f"ix_{p}events_recent", table_name=f"{p}events", schema=schema)
    op.drop_table(f"{p}events", schema=schema)
    if _on_postgresql():
        op.drop_index(f"ix_{p}sessions_state_gin", table_name=f"{p}sessions", schema=schema)
    op.drop_index(f"ix_{p}sessions_listing", table_name=f"{p}sessions", schema=schema)
    op.drop_table(f"{p}sessions", schema=schema)
