"""The tables of adk-store, declared once for every database.

This MetaData is the reference the migrations are checked against (an
autogenerate comparison must come out empty); it never creates tables itself.

What SQLAlchemy cannot declare is created by the revisions alone and is
outside the comparison: SQLite's FTS5 table over the memories
(``<prefix>memories_fts``, its shadow tables and the triggers keeping it in
step) is not one of `StoreSchema.table_names`, which is all the comparison
looks at.
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
    Identity,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects import mysql, postgresql

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

# Info key marking objects that exist on some dialects only (a name or a
# tuple of names); the migrations and the drift check both read it through
# `exists_on`.
ONLY_ON_DIALECT = "adk_store_only_on"
# The longest text of one memory that is indexed for search, in characters:
# PostgreSQL refuses a tsvector over 1 MB, and a few pages of text are more
# than any search needs. The whole entry is stored and returned regardless.
MAX_SEARCH_TEXT = 65_536


def exists_on(obj: Any, dialect_name: str) -> bool:
    """Whether a table's column or index marked with `ONLY_ON_DIALECT` exists on a dialect."""
    only_on = getattr(obj, "info", {}).get(ONLY_ON_DIALECT)
    if only_on is None:
        return True
    return dialect_name in ((only_on,) if isinstance(only_on, str) else only_on)


@dataclass(frozen=True)
class StoreSchema:
    """The tables of one layout."""

    layout: TableLayout
    metadata: MetaData
    sessions: Table
    events: Table
    app_states: Table
    user_states: Table
    memories: Table

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
        """Our tables (not the owner column's foreign-key target, nor SQLite's FTS5 tables)."""
        return frozenset(
            table.name
            for table in (
                self.sessions,
                self.events,
                self.app_states,
                self.user_states,
                self.memories,
            )
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
        # The whole event, stored once: revision 0004 dropped the columns that
        # copied its content and metadata (see docs/postgresql.md, "Row size").
        Column("event_data", json_type(), nullable=False),
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
    memories = _declare_memories(metadata, layout)
    return StoreSchema(layout, metadata, sessions, events, app_states, user_states, memories)


def _declare_memories(metadata: MetaData, layout: TableLayout) -> Table:
    """What the memory service searches: the text of each remembered event or entry.

    A row per memory, not an index over the events table: memory comes from
    sessions of any session service and outlives them (see docs/memory.md).
    ``seq`` is a surrogate key because SQLite's FTS5 table points at rows by
    an integer rowid that VACUUM must not renumber (an INTEGER PRIMARY KEY);
    the natural key is the unique (owner, app, user, session, id).
    ``search_vector`` exists on PostgreSQL only (elsewhere the engine's own
    full-text index covers ``search_text``).
    """
    prefix = layout.prefix
    owner = layout.owner_column
    owned = [owner.name] if owner is not None else []
    owner_columns = [] if owner is None else [Column(owner.name, owner.sql_type(), nullable=False)]
    memories = Table(
        f"{prefix}memories",
        metadata,
        Column(
            "seq",
            BigInteger().with_variant(Integer(), "sqlite"),
            Identity(),
            primary_key=True,
        ),
        *owner_columns,
        Column("app_name", id_type(MAX_ID_LENGTH), nullable=False),
        Column("user_id", id_type(MAX_ID_LENGTH), nullable=False),
        Column("session_id", id_type(MAX_ID_LENGTH), nullable=False),
        Column("id", id_type(MAX_ID_LENGTH), nullable=False),
        Column("author", id_type(MAX_AUTHOR_LENGTH), nullable=True),
        Column("timestamp", UtcDateTime(), nullable=False),
        # The entry as search returns it, and its text as the index sees it.
        # All three are NULL once the memory is deleted: the row stays as a
        # tombstone so a later re-ingest of its session does not bring it back.
        Column("entry", json_type(nullable_as_sql_null=True), nullable=True),
        # A case-insensitive collation on MySQL/MariaDB: FULLTEXT matching
        # follows the column's collation, and a binary one is case-sensitive.
        Column(
            "search_text",
            Text().with_variant(
                mysql.MEDIUMTEXT(charset="utf8mb4", collation="utf8mb4_unicode_ci"),
                "mysql",
                "mariadb",
            ),
            nullable=True,
        ),
        Column(
            "search_vector",
            Text().with_variant(postgresql.TSVECTOR(), "postgresql"),
            nullable=True,
            info={ONLY_ON_DIALECT: "postgresql"},
        ),
        UniqueConstraint(
            *owned, "app_name", "user_id", "session_id", "id", name=f"uq_{prefix}memories_key"
        ),
        Index(f"ix_{prefix}memories_id", *owned, "app_name", "user_id", "id"),
        *owner_foreign_key(owner, f"{prefix}memories", layout.schema),
        **_MYSQL_OPTIONS,
    )
    Index(
        f"ix_{prefix}memories_search",
        memories.c.search_vector,
        postgresql_using="gin",
        info={ONLY_ON_DIALECT: "postgresql"},
    )
    Index(
        f"ix_{prefix}memories_fulltext",
        memories.c.search_text,
        mysql_prefix="FULLTEXT",
        mariadb_prefix="FULLTEXT",
        info={ONLY_ON_DIALECT: ("mysql", "mariadb")},
    )
    return memories


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
