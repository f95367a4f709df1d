"""Sessions, events, app state and user state.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from adk_store.identifiers import (
    MAX_AUTHOR_LENGTH,
    MAX_BRANCH_LENGTH,
    MAX_ID_LENGTH,
    MAX_INVOCATION_ID_LENGTH,
)
from adk_store.layout import TableLayout
from adk_store.migrations import layout_in_context
from adk_store.types import id_type, json_type, timestamp_ddl_type

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILLFACTOR = {"postgresql_with": {"fillfactor": 80}}
MYSQL_OPTIONS = {
    f"{dialect}_{option}": value
    for dialect in ("mysql", "mariadb")
    for option, value in (("engine", "InnoDB"), ("charset", "utf8mb4"), ("collate", "utf8mb4_bin"))
}


def _key(layout: TableLayout, *names: str) -> list[sa.Column]:
    """Primary-key columns, led by the owner column when the layout has one."""
    owner = layout.owner_column
    leading = [] if owner is None else [sa.Column(owner.name, owner.sql_type(), primary_key=True)]
    return leading + [sa.Column(name, id_type(MAX_ID_LENGTH), primary_key=True) for name in names]


def _owned(layout: TableLayout) -> list[str]:
    return [] if layout.owner_column is None else [layout.owner_column.name]


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
        sa.Column("state", json_type(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("create_time", timestamp_ddl_type(), nullable=False),
        sa.Column("update_time", timestamp_ddl_type(), nullable=False),
        *_owner_fk(layout, f"{p}sessions"),
        schema=schema,
        **FILLFACTOR,
        **MYSQL_OPTIONS,
    )
    op.create_index(
        f"ix_{p}sessions_listing",
        f"{p}sessions",
        [*owned, "app_name", "user_id", "update_time", "id"],
        schema=schema,
    )
    if op.get_context().dialect.name == "postgresql":
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
        sa.Column("invocation_id", id_type(MAX_INVOCATION_ID_LENGTH), nullable=True),
        sa.Column("author", id_type(MAX_AUTHOR_LENGTH), nullable=False),
        sa.Column("branch", id_type(MAX_BRANCH_LENGTH), nullable=True),
        sa.Column("timestamp", timestamp_ddl_type(), nullable=False),
        sa.Column("event_data", json_type(), nullable=False),
        sa.Column("content", json_type(nullable_as_sql_null=True), nullable=True),
        sa.Column("grounding_metadata", json_type(nullable_as_sql_null=True), nullable=True),
        sa.Column("custom_metadata", json_type(nullable_as_sql_null=True), nullable=True),
        sa.Column("partial", sa.Boolean(), nullable=True),
        sa.Column("turn_complete", sa.Boolean(), nullable=True),
        sa.Column("interrupted", sa.Boolean(), nullable=True),
        sa.Column("error_code", id_type(MAX_AUTHOR_LENGTH), nullable=True),
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
        **MYSQL_OPTIONS,
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
        sa.Column("state", json_type(), nullable=False),
        sa.Column("update_time", timestamp_ddl_type(), nullable=False),
        *_owner_fk(layout, f"{p}app_states"),
        schema=schema,
        **FILLFACTOR,
        **MYSQL_OPTIONS,
    )
    op.create_table(
        f"{p}user_states",
        *_key(layout, "app_name", "user_id"),
        sa.Column("state", json_type(), nullable=False),
        sa.Column("update_time", timestamp_ddl_type(), nullable=False),
        *_owner_fk(layout, f"{p}user_states"),
        schema=schema,
        **FILLFACTOR,
        **MYSQL_OPTIONS,
    )


def downgrade() -> None:
    layout = layout_in_context(context.config)
    p, schema = layout.prefix, layout.schema
    op.drop_table(f"{p}user_states", schema=schema)
    op.drop_table(f"{p}app_states", schema=schema)
    op.drop_index(f"ix_{p}events_recent", table_name=f"{p}events", schema=schema)
    op.drop_table(f"{p}events", schema=schema)
    if op.get_context().dialect.name == "postgresql":
        op.drop_index(f"ix_{p}sessions_state_gin", table_name=f"{p}sessions", schema=schema)
    op.drop_index(f"ix_{p}sessions_listing", table_name=f"{p}sessions", schema=schema)
    op.drop_table(f"{p}sessions", schema=schema)
