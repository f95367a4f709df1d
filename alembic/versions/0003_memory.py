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
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import mysql, oracle, postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import ExecutableDDLElement
from sqlalchemy.sql.compiler import DDLCompiler
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
        memories, fts = sa.table(table), sa.table(f"{p}memories_fts")
        op.execute(_CreateFts5(fts, memories))
        for event in _TRIGGER_EVENTS:
            op.execute(_CreateFts5Trigger(fts, memories, event))
    elif _dialect() == "oracle":
        op.execute(_CreateTextIndex(f"ix_{p}memories_text", sa.table(table)))


# What each FTS5 trigger follows, by the suffix of its name.
_TriggerEvent = Literal["insert", "delete", "update"]
_TRIGGER_EVENTS: tuple[_TriggerEvent, ...] = ("insert", "delete", "update")


class _CreateFts5(ExecutableDDLElement):
    """The FTS5 table over the memories' text.

    External content: the text is read from ``<prefix>memories`` (by ``seq``,
    its INTEGER PRIMARY KEY, which VACUUM never renumbers), not stored twice.
    SQLAlchemy has no construct for a virtual table, so this one renders it,
    quoting every name it is given.
    """

    inherit_cache = False

    def __init__(self, fts: sa.TableClause, memories: sa.TableClause) -> None:
        self.fts, self.memories = fts, memories


class _CreateFts5Trigger(ExecutableDDLElement):
    """A trigger keeping the FTS5 table in step with one kind of write to the memories."""

    inherit_cache = False

    def __init__(self, fts: sa.TableClause, memories: sa.TableClause, event: _TriggerEvent) -> None:
        self.fts, self.memories, self.event = fts, memories, event


class _DropTrigger(ExecutableDDLElement):
    """DROP TRIGGER, which SQLAlchemy has no construct for either."""

    inherit_cache = False

    def __init__(self, name: str) -> None:
        self.name = name


class _CreateTextIndex(ExecutableDDLElement):
    """An Oracle Text index on the memories' text, synchronised on commit."""

    inherit_cache = False

    def __init__(self, name: str, memories: sa.TableClause) -> None:
        self.name, self.memories = name, memories


@compiles(_CreateFts5)
def _compile_create_fts5(element: _CreateFts5, compiler: DDLCompiler, **kw: Any) -> str:
    # FTS5 reads content= as a string naming the table, so it is a literal.
    content = compiler.sql_compiler.render_literal_value(element.memories.name, sa.String())
    return (
        f"CREATE VIRTUAL TABLE {compiler.preparer.format_table(element.fts)} USING "
        f"fts5(search_text, content={content}, content_rowid='seq', "
        f"tokenize='{_FTS5_TOKENIZE}')"
    )


@compiles(_CreateFts5Trigger)
def _compile_create_fts5_trigger(
    element: _CreateFts5Trigger, compiler: DDLCompiler, **kw: Any
) -> str:
    preparer = compiler.preparer
    fts, memories = preparer.format_table(element.fts), preparer.format_table(element.memories)
    # The column named like the table takes FTS5's commands, here 'delete'.
    command = preparer.quote(element.fts.name)
    remove = (
        f"INSERT INTO {fts}({command}, rowid, search_text) "
        "VALUES ('delete', old.seq, old.search_text);"
    )
    add = f"INSERT INTO {fts}(rowid, search_text) VALUES (new.seq, new.search_text);"
    when, body = {
        "insert": ("AFTER INSERT", add),
        "delete": ("AFTER DELETE", remove),
        "update": ("AFTER UPDATE OF search_text", f"{remove} {add}"),
    }[element.event]
    name = preparer.quote(f"{element.fts.name}_{element.event}")
    return f"CREATE TRIGGER {name} {when} ON {memories} BEGIN {body} END"


@compiles(_DropTrigger)
def _compile_drop_trigger(element: _DropTrigger, compiler: DDLCompiler, **kw: Any) -> str:
    return f"DROP TRIGGER {compiler.preparer.quote(element.name)}"


@compiles(_CreateTextIndex)
def _compile_create_text_index(element: _CreateTextIndex, compiler: DDLCompiler, **kw: Any) -> str:
    preparer = compiler.preparer
    return (
        f"CREATE INDEX {preparer.quote(element.name)} ON "
        f"{preparer.format_table(element.memories)} (search_text) "
        "INDEXTYPE IS CTXSYS.CONTEXT PARAMETERS ('SYNC (ON COMMIT)')"
    )


def downgrade() -> None:
    layout = layout_in_context(context.config)
    p, schema = layout.prefix, layout.schema
    table = f"{p}memories"
    if _dialect() == "sqlite":
        for event in _TRIGGER_EVENTS:
            op.execute(_DropTrigger(f"{p}memories_fts_{event}"))
        op.drop_table(f"{p}memories_fts")
    elif _dialect() == "oracle":
        op.drop_index(f"ix_{p}memories_text", table_name=table)
    elif _on_mysql():
        op.drop_index(f"ix_{p}memories_fulltext", table_name=table)
    elif _dialect() == "postgresql":
        op.drop_index(f"ix_{p}memories_search", table_name=table, schema=schema)
    op.drop_index(f"ix_{p}memories_id", table_name=table, schema=schema)
    op.drop_table(table, schema=schema)
