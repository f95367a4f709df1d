"""Memory: the text of remembered events and entries, indexed by each engine's full-text search.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07

One table, ``<prefix>memories``, a row per remembered event or entry, with
the engine's own full-text index over its text:

- PostgreSQL: a ``tsvector`` column (filled by the store with the text
  search configuration it is given) and a GIN index on it.
- MySQL/MariaDB: a ``FULLTEXT`` index on the text, whose column has a
  case-insensitive collation (FULLTEXT matching follows it).
- SQLite: an external-content FTS5 table, ``<prefix>memories_fts``, over the
  text, kept in step by triggers inside the transaction of every write.
  SQLAlchemy cannot declare a virtual table, so it is created here only.
- Oracle: an Oracle Text ``CONTEXT`` index synchronised on commit. Rendered
  and compiled in the tests; no Oracle server can run where they run.

Frozen like 0001 and 0002: every type and option is written here; only the
layout is taken from adk-store. ``tests/snapshots/0003_memory.json`` pins a
digest of the SQL it emits on each dialect.
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

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's FTS5 tokenizer: Unicode word boundaries, accents folded, English
# stems (as PostgreSQL's 'english' configuration stems).
_FTS5_TOKENIZE = "porter unicode61 remove_diacritics 2"


def _dialect() -> str:
    return op.get_context().dialect.name


def _on_mysql() -> bool:
    return _dialect() in ("mysql", "mariadb")


def _nopad_collation() -> str:
    """MariaDB and MySQL 8 spell a NO PAD binary collation differently (as in 0002)."""
    dialect = op.get_context().dialect
    if dialect.name == "mariadb" or getattr(dialect, "is_mariadb", False):
        return "utf8mb4_nopad_bin"
    return "utf8mb4_0900_bin"


def _text(length: int) -> TypeEngine[Any]:
    return sa.String(length).with_variant(oracle.VARCHAR2(length), "oracle")


def _timestamp() -> TypeEngine[Any]:
    return (
        sa.DateTime(timezone=True)
        .with_variant(postgresql.TIMESTAMP(timezone=True, precision=6), "postgresql")
        .with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
        .with_variant(oracle.TIMESTAMP(timezone=True), "oracle")
        .with_variant(sqlite.DATETIME(), "sqlite")  # type: ignore[no-untyped-call]
    )


def _json() -> TypeEngine[Any]:
    return (
        sa.JSON()
        .with_variant(postgresql.JSONB(), "postgresql")
        .with_variant(mysql.JSON(), "mysql", "mariadb")
        .with_variant(oracle.JSON(), "oracle")
        .with_variant(sqlite.JSON(), "sqlite")
    )


def _search_text() -> TypeEngine[Any]:
    return (
        sa.Text()
        .with_variant(
            mysql.MEDIUMTEXT(charset="utf8mb4", collation="utf8mb4_unicode_ci"),
            "mysql",
            "mariadb",
        )
        .with_variant(oracle.CLOB(), "oracle")
    )


def _owner_type(type_name: str) -> TypeEngine[Any]:
    """The DDL type of an owner column, by the type name the layout gives (as in 0001)."""
    if type_name == "string":
        return _text(128)
    if type_name == "integer":
        return sa.Integer()
    if type_name == "bigint":
        return sa.BigInteger()
    if type_name == "uuid":
        return sa.Uuid()
    raise ValueError(
        f"Revision 0003 cannot create an owner column of type {type_name!r}; it knows "
        "string, integer, bigint and uuid."
    )


def _owner_columns(layout: TableLayout) -> list[sa.Column[Any]]:
    owner = layout.owner_column
    if owner is None:
        return []
    return [sa.Column(owner.name, _owner_type(owner.type), nullable=False)]


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


def _owned(layout: TableLayout) -> list[str]:
    owner = layout.owner_column
    return [] if owner is None else [owner.name]


def upgrade() -> None:
    layout = layout_in_context(context.config)
    p, schema, owned = layout.prefix, layout.schema, _owned(layout)
    table = f"{p}memories"
    mysql_options: dict[str, Any] = {}
    if _on_mysql():
        collation = _nopad_collation()
        mysql_options = {
            f"{name}_{option}": value
            for name in ("mysql", "mariadb")
            for option, value in (
                ("engine", "InnoDB"),
                ("charset", "utf8mb4"),
                ("collate", collation),
            )
        }
    vector = (
        [sa.Column("search_vector", postgresql.TSVECTOR(), nullable=True)]
        if _dialect() == "postgresql"
        else []
    )
    op.create_table(
        table,
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(),
            primary_key=True,
        ),
        *_owner_columns(layout),
        sa.Column("app_name", _text(128), nullable=False),
        sa.Column("user_id", _text(128), nullable=False),
        sa.Column("session_id", _text(128), nullable=False),
        sa.Column("id", _text(128), nullable=False),
        sa.Column("author", _text(256), nullable=True),
        sa.Column("timestamp", _timestamp(), nullable=False),
        sa.Column("entry", _json(), nullable=True),
        sa.Column("search_text", _search_text(), nullable=True),
        *vector,
        sa.UniqueConstraint(
            *owned, "app_name", "user_id", "session_id", "id", name=f"uq_{p}memories_key"
        ),
        *_owner_fk(layout, table),
        schema=schema,
        **mysql_options,
    )
    op.create_index(
        f"ix_{p}memories_id", table, [*owned, "app_name", "user_id", "id"], schema=schema
    )
    if _dialect() == "postgresql":
        op.create_index(
            f"ix_{p}memories_search",
            table,
            ["search_vector"],
            postgresql_using="gin",
            schema=schema,
        )
    elif _on_mysql():
        op.create_index(
            f"ix_{p}memories_fulltext",
            table,
            ["search_text"],
            mysql_prefix="FULLTEXT",
            mariadb_prefix="FULLTEXT",
        )
    elif _dialect() == "sqlite":
        for statement in _fts5_ddl(p):
            op.execute(statement)
    elif _dialect() == "oracle":
        op.execute(
            f"CREATE INDEX ix_{p}memories_text ON {table} (search_text) "
            "INDEXTYPE IS CTXSYS.CONTEXT PARAMETERS ('SYNC (ON COMMIT)')"
        )


def _fts5_ddl(p: str) -> list[str]:
    """The FTS5 table over the memories' text and the triggers keeping it in step.

    External content: the text is read from ``<prefix>memories`` (by ``seq``,
    its INTEGER PRIMARY KEY, which VACUUM never renumbers), not stored twice.
    """
    table, fts = f"{p}memories", f"{p}memories_fts"
    remove = (
        f"INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.seq, old.search_text);"
    )
    add = f"INSERT INTO {fts}(rowid, search_text) VALUES (new.seq, new.search_text);"
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5(search_text, content='{table}', "
        f"content_rowid='seq', tokenize='{_FTS5_TOKENIZE}')",
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {add} END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {remove} END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF search_text ON {table} "
        f"BEGIN {remove} {add} END",
    ]


def downgrade() -> None:
    layout = layout_in_context(context.config)
    p, schema = layout.prefix, layout.schema
    table = f"{p}memories"
    if _dialect() == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER {p}memories_fts_{trigger}")
        op.execute(f"DROP TABLE {p}memories_fts")
    elif _dialect() == "oracle":
        op.execute(f"DROP INDEX ix_{p}memories_text")
    elif _on_mysql():
        op.drop_index(f"ix_{p}memories_fulltext", table_name=table)
    elif _dialect() == "postgresql":
        op.drop_index(f"ix_{p}memories_search", table_name=table, schema=schema)
    op.drop_index(f"ix_{p}memories_id", table_name=table, schema=schema)
    op.drop_table(table, schema=schema)
