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
    validate_table_prefix,
)
from adk_store.types import UtcDateTime, id_type, json_type

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
        ("collate", "utf8mb4_bin"),
    )
}

# Info key marking objects that exist on one dialect only; the migrations and
# the drift check both read it.
ONLY_ON_DIALECT = "adk_store_only_on"


@dataclass(frozen=True)
class StoreSchema:
    """The tables for one table prefix."""

    prefix: str
    metadata: MetaData
    sessions: Table
    events: Table
    app_states: Table
    user_states: Table

    @property
    def version_table(self) -> str:
        """Alembic's version table, named apart from the application's own."""
        return f"{self.prefix}alembic_version"

    @property
    def table_names(self) -> frozenset[str]:
        return frozenset(self.metadata.tables)


@lru_cache(maxsize=32)
def build_schema(prefix: str = DEFAULT_TABLE_PREFIX) -> StoreSchema:
    """Declare the tables named with ``prefix`` (validated)."""
    prefix = validate_table_prefix(prefix)
    metadata = MetaData()
    sessions = Table(
        f"{prefix}sessions",
        metadata,
        Column("app_name", id_type(MAX_ID_LENGTH), primary_key=True),
        Column("user_id", id_type(MAX_ID_LENGTH), primary_key=True),
        Column("id", id_type(MAX_ID_LENGTH), primary_key=True),
        Column("state", json_type(), nullable=False),
        Column("revision", BigInteger(), nullable=False),
        Column("create_time", UtcDateTime(), nullable=False),
        Column("update_time", UtcDateTime(), nullable=False),
        Index(f"ix_{prefix}sessions_listing", "app_name", "user_id", "update_time", "id"),
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
        Column("app_name", id_type(MAX_ID_LENGTH), primary_key=True),
        Column("user_id", id_type(MAX_ID_LENGTH), primary_key=True),
        Column("session_id", id_type(MAX_ID_LENGTH), primary_key=True),
        Column("id", id_type(MAX_ID_LENGTH), primary_key=True),
        Column("invocation_id", id_type(MAX_INVOCATION_ID_LENGTH), nullable=True),
        Column("author", id_type(MAX_AUTHOR_LENGTH), nullable=False),
        Column("branch", id_type(MAX_BRANCH_LENGTH), nullable=True),
        Column("timestamp", UtcDateTime(), nullable=False),
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
            ["app_name", "user_id", "session_id"],
            [sessions.c.app_name, sessions.c.user_id, sessions.c.id],
            name=f"fk_{prefix}events_session",
            ondelete="CASCADE",
        ),
        Index(
            f"ix_{prefix}events_recent",
            "app_name",
            "user_id",
            "session_id",
            "timestamp",
            "id",
        ),
        **_MYSQL_OPTIONS,
    )
    app_states = Table(
        f"{prefix}app_states",
        metadata,
        Column("app_name", id_type(MAX_ID_LENGTH), primary_key=True),
        Column("state", json_type(), nullable=False),
        Column("update_time", UtcDateTime(), nullable=False),
        **_UPDATED_TABLE_OPTIONS,
        **_MYSQL_OPTIONS,
    )
    user_states = Table(
        f"{prefix}user_states",
        metadata,
        Column("app_name", id_type(MAX_ID_LENGTH), primary_key=True),
        Column("user_id", id_type(MAX_ID_LENGTH), primary_key=True),
        Column("state", json_type(), nullable=False),
        Column("update_time", UtcDateTime(), nullable=False),
        **_UPDATED_TABLE_OPTIONS,
        **_MYSQL_OPTIONS,
    )
    return StoreSchema(prefix, metadata, sessions, events, app_states, user_states)
