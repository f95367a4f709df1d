"""Lean events: the event document is stored once.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30

Revision 0001 kept three parts of every event document a second time, in
columns of their own: ``content``, ``grounding_metadata`` and
``custom_metadata``. Nothing reads them (the store reads the document), and
the copy of ``content`` alone took a typical event row past PostgreSQL's
2 KB threshold, where every insert compresses the row: measured with the
benchmark's events (``python -m benchmarks.row_size``), a 1,339-byte
document plus a 951-byte copy of its content, stored compressed as 1,780
bytes; without the copy the row is 1,495 bytes and stored as it is.
Dropping them is a
catalog change on PostgreSQL, an instant column drop on MariaDB 10.4 and
later, and an ``ALTER TABLE ... DROP COLUMN`` on SQLite (3.35 and later);
the rows shrink as they are rewritten (PostgreSQL: by VACUUM FULL or as rows
are updated; new rows at once).

A query that filtered on a dropped column reads the document instead, e.g.
``event_data -> 'content'`` on PostgreSQL. The downgrade adds the columns
back and fills them from the documents in one statement per table.

Frozen like the revisions before it: the column types are written here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import mysql, oracle, postgresql, sqlite
from sqlalchemy.types import TypeEngine

from adk_store.migrations import layout_in_context

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COPIED_PARTS = ("content", "grounding_metadata", "custom_metadata")


def _json() -> TypeEngine[Any]:
    """Revision 0001's type of the copied parts."""
    return (
        sa.JSON()
        .with_variant(postgresql.JSONB(), "postgresql")
        .with_variant(mysql.JSON(), "mysql", "mariadb")
        .with_variant(oracle.JSON(), "oracle")
        .with_variant(sqlite.JSON(), "sqlite")
    )


def upgrade() -> None:
    layout = layout_in_context(context.config)
    for part in _COPIED_PARTS:
        op.drop_column(f"{layout.prefix}events", part, schema=layout.schema)


def downgrade() -> None:
    layout = layout_in_context(context.config)
    events = f"{layout.prefix}events"
    for part in _COPIED_PARTS:
        op.add_column(events, sa.Column(part, _json(), nullable=True), schema=layout.schema)
    table = sa.table(
        events,
        sa.column("event_data"),
        *(sa.column(part) for part in _COPIED_PARTS),
        schema=layout.schema,
    )
    # A part the document lacks stays SQL NULL, as revision 0001 wrote it.
    op.execute(
        table.update().values({part: _part_of(table.c.event_data, part) for part in _COPIED_PARTS})
    )


def _part_of(document: Any, part: str) -> Any:
    """The document's top-level ``part`` as JSON, or NULL when it has none."""
    name = op.get_context().dialect.name
    if name == "postgresql":
        return document.op("->")(sa.literal(part))
    if name == "oracle":
        return sa.func.json_query(document, sa.literal(f"$.{part}"))
    # MySQL, MariaDB and SQLite: JSON_EXTRACT gives the value as JSON, NULL if absent.
    return sa.func.json_extract(document, sa.literal(f"$.{part}"))
