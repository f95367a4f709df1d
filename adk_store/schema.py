"""The four tables of adk-store, declared once for every database.

This MetaData is the reference the migrations are checked against (an
autogenerate comparison must come out empty); it never creates tables itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKeyConstraint,
    Index,
    MetaData,
    Table,
    Text,
    text,
)

from adk_store.identifiers import (
    DEFAULT_TABLE_PREFIX,
    MAX_AUTHOR_LENGTH,
    MAX_BRANCH_LENGTH,
    MAX_ID_LENGTH,
    MAX_INVOCATION_ID_LENGTH,
)
from adk_store.layout import OwnerColumn, TableLayout
from adk_store.types import UtcDateTime, id_type, json_type

INCARNATION_LENGTH = 32

# Tables rewritten on every append: free space in each page lets PostgreSQL
# keep the new row version on the same page (HOT updates).
UPDATED_TABLE_FILLFACTOR = 80
_UPDATED_TABLE_OPTIONS: dict[str, Any] = {
    "postgresql_with": {"fillfactor": UPDATED_TABLE_FILLFACTOR}
}

# MySQL/MariaDB table options: 4-byte UTF-8 so emoji and supplementary
# characters survive, InnoDB for foreign keys and transactions.
# A ``mariadb+`` URL reads only the ``mariadb_`` spelling, so both are given.
_MYSQL_OPTIONS: dict[str, Any] = {
    f"{dialect}_{option}": value
    for dialect in ("mysql", "mariadb")
    for option, value in (
        ("engine", "InnoDB"),
        ("charset", "utf8mb4"),
        # NO PAD: 'alice ' and 'alice' are different ids, as everywhere else.
        # MySQL 8 spells it utf8mb4_0900_bin; the migration picks by server.
        ("collate", "utf8mb4_nopad_bin"),
    )
}

# Event columns that copy a top-level part of the event document, for queries
# that filter on them; the document is the whole event.
EVENT_PARTS_FROM_DOCUMENT = ("content", "grounding_metadata", "custom_metadata")

# Info key marking objects that exist on one dialect only; the migrations and
# the drift check both read it.
ONLY_ON_DIALECT = "adk_store_only_on"


@dataclass(frozen=True)
class StoreSchema:
    """The tables of one layout."""

    layout: TableLayout
    metadata: MetaData
    sessions: Table
    events: Table
    app_states: Table
    user_states: Table

    @property
    def prefix(self) -> str:
        return self.layout.prefix

    @property
    def owner_names(self) -> tuple[str, ...]:
        """The owner column's name, if the layout has one: the first part of every key."""
        owner = self.layout.owner_column
        return () if owner is None else (owner.name,)

    @property
    def version_table(self) -> str:
        """Alembic's version table, named apart from the application's own."""
        return f"{self.prefix}alembic_version"

    @property
    def table_names(self) -> frozenset[str]:
        """Our four tables (not the owner column's foreign-key target)."""
        return frozenset(
            table.name for table in (self.sessions, self.events, self.app_states, self.user_states)
        )


def owner_key_columns(owner: OwnerColumn | None) -> list[Column[Any]]:
    """The owner column leading a primary key, with its foreign key if it has one."""
    if owner is None:
        return []
    return [Column(owner.name, owner.sql_type(), primary_key=True, autoincrement=False)]


def owner_foreign_key(
    owner: OwnerColumn | None, table_name: str, schema: str | None
) -> list[ForeignKeyConstraint]:
    """The owner column's foreign key on ``table_name``, if it references a table."""
    target = None if owner is None else owner.target(schema)
    if owner is None or target is None:
        return []
    return [
        ForeignKeyConstraint(
            [owner.name],
            [target],
            name=f"fk_{table_name}_owner",
            ondelete=owner.on_delete,
        )
    ]


@lru_cache(maxsize=32)
def build_schema(layout: TableLayout | str = DEFAULT_TABLE_PREFIX) -> StoreSchema:
    """Declare the tables of ``layout`` (or of a bare, validated table prefix)."""
    layout = TableLayout.of(layout)
    prefix = layout.prefix
    owner = layout.owner_column
    owned = [owner.name] if owner is not None else []
    metadata = MetaData(schema=layout.schema)
    if owner is not None and owner.references is not None:
        _declare_owner_target(metadata, owner)
    sessions = Table(
        f"{prefix}sessions",
        metadata,
        *owner_key_columns(owner),
        Column("app_name", id_type(MAX_ID_LENGTH), primary_key=True),
        Column("user_id", id_type(MAX_ID_LENGTH), primary_key=True),
        Column("id", id_type(MAX_ID_LENGTH), primary_key=True),
        Column("state", json_type(), nullable=False),
        Column("revision", BigInteger(), nullable=False),
        # Which creation of the id this row is: a random token, so a copy of a
        # deleted session never passes for one created again in the same
        # microsecond. Rows from revision 0001 are each their own '0'.
        Column("incarnation", id_type(INCARNATION_LENGTH), nullable=False, server_default="0"),
        Column("create_time", UtcDateTime(), nullable=False),
        Column("update_time", UtcDateTime(), nullable=False),
        Index(f"ix_{prefix}sessions_listing", *owned, "app_name", "user_id", "update_time", "id"),
        # Listing every user's sessions of an app by activity, a page per seek.
        Index(f"ix_{prefix}sessions_activity", *owned, "app_name", "update_time", "user_id", "id"),
        *owner_foreign_key(owner, f"{prefix}sessions", layout.schema),
        **_UPDATED_TABLE_OPTIONS,
        **_MYSQL_OPTIONS,
    )
    Index(
        f"ix_{prefix}sessions_state_gin",
        sessions.c.state,
        postgresql_using="gin",
        postgresql_where=text("state <> '{}'::jsonb"),
        info={ONLY_ON_DIALECT: "postgresql"},
    )
    events = Table(
        f"{prefix}events",
        metadata,
        *owner_key_columns(owner),
        Column("app_name", id_type(MAX_ID_LENGTH), primary_key=True),
        Column("user_id", id_type(MAX_ID_LENGTH), primary_key=True),
        Column("session_id", id_type(MAX_ID_LENGTH), primary_key=True),
        Column("id", id_type(MAX_ID_LENGTH), primary_key=True),
        Column("invocation_id", id_type(MAX_INVOCATION_ID_LENGTH), nullable=True),
        Column("author", id_type(MAX_AUTHOR_LENGTH), nullable=False),
        Column("branch", id_type(MAX_BRANCH_LENGTH), nullable=True),
        Column("timestamp", UtcDateTime(), nullable=False),
        # The event's place in its session's history: the session revision its
        # append produced. Order and "newest N" follow it, not the timestamp,
        # which another host's clock may have set.
        Column("seq", BigInteger(), nullable=False, server_default="0"),
        Column("event_data", json_type(), nullable=False),
        Column("content", json_type(nullable_as_sql_null=True), nullable=True),
        Column("grounding_metadata", json_type(nullable_as_sql_null=True), nullable=True),
        Column("custom_metadata", json_type(nullable_as_sql_null=True), nullable=True),
        Column("partial", Boolean(), nullable=True),
        Column("turn_complete", Boolean(), nullable=True),
        Column("interrupted", Boolean(), nullable=True),
        Column("error_code", id_type(MAX_AUTHOR_LENGTH), nullable=True),
        Column("error_message", Text(), nullable=True),
        ForeignKeyConstraint(
            [*owned, "app_name", "user_id", "session_id"],
            [
                *(sessions.c[name] for name in owned),
                sessions.c.app_name,
                sessions.c.user_id,
                sessions.c.id,
            ],
            name=f"fk_{prefix}events_session",
            ondelete="CASCADE",
        ),
        Index(f"ix_{prefix}events_position", *owned, "app_name", "user_id", "session_id", "seq"),
        **_MYSQL_OPTIONS,
    )
    app_states = Table(
        f"{prefix}app_states",
        metadata,
        *owner_key_columns(owner),
        Column("app_name", id_type(MAX_ID_LENGTH), primary_key=True),
        Column("state", json_type(), nullable=False),
        Column("update_time", UtcDateTime(), nullable=False),
        *owner_foreign_key(owner, f"{prefix}app_states", layout.schema),
        **_UPDATED_TABLE_OPTIONS,
        **_MYSQL_OPTIONS,
    )
    user_states = Table(
        f"{prefix}user_states",
        metadata,
        *owner_key_columns(owner),
        Column("app_name", id_type(MAX_ID_LENGTH), primary_key=True),
        Column("user_id", id_type(MAX_ID_LENGTH), primary_key=True),
        Column("state", json_type(), nullable=False),
        Column("update_time", UtcDateTime(), nullable=False),
        *owner_foreign_key(owner, f"{prefix}user_states", layout.schema),
        **_UPDATED_TABLE_OPTIONS,
        **_MYSQL_OPTIONS,
    )
    return StoreSchema(layout, metadata, sessions, events, app_states, user_states)


def _declare_owner_target(metadata: MetaData, owner: OwnerColumn) -> None:
    """The application's table the owner column references, as far as the key goes.

    Declared so the foreign key resolves; it is not one of ours, so neither
    the migrations nor the drift check ever create or compare it.
    """
    target = owner.target(metadata.schema)
    assert target is not None
    *schema, table, column = target.split(".")
    Table(
        table,
        metadata,
        Column(column, owner.sql_type(), primary_key=True),
        schema=schema[0] if schema else None,
    )
