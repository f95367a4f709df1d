"""Per-dialect schema variants and the committed reference DDL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.dialects import mysql
from sqlalchemy.dialects.mysql.base import MySQLDialect
from sqlalchemy.schema import CreateIndex, CreateTable

from adk_store import SessionStore
from adk_store.engine import create_engine
from adk_store.reference_ddl import DIALECTS, render
from adk_store.schema import build_schema

DDL_DIR = Path(__file__).resolve().parents[1] / "docs" / "ddl"


def _ddl(dialect: object) -> str:
    parts = []
    for table in build_schema().metadata.sorted_tables:
        parts.append(str(CreateTable(table).compile(dialect=dialect)))
        parts += [str(CreateIndex(index).compile(dialect=dialect)) for index in table.indexes]
    return "\n".join(parts)


def test_mariadb_urls_get_exactly_the_mysql_variants() -> None:
    mariadb = create_engine("mariadb+aiomysql://u@127.0.0.1:9/db").dialect
    assert mariadb.name == "mariadb"
    mysql_ddl = _ddl(mysql.dialect())
    assert _ddl(mariadb) == mysql_ddl
    for fragment in (
        "DATETIME(6)",
        "JSON",
        "CHARSET=utf8mb4",
        "COLLATE utf8mb4_nopad_bin",
        "ENGINE=InnoDB",
    ):
        assert fragment in mysql_ddl


def test_mysql_index_keys_fit_innodb() -> None:
    """InnoDB's key limit is 3072 bytes; utf8mb4 takes up to 4 bytes a character."""
    dialect = MySQLDialect()
    for table in build_schema().metadata.sorted_tables:
        keys = [list(table.primary_key.columns)] + [list(i.columns) for i in table.indexes]
        for columns in keys:
            size = sum(
                4 * column.type.length if getattr(column.type, "length", None) else 8
                for column in columns
            )
            assert size <= 3072, (table.name, [c.name for c in columns], dialect.name)


def test_store_statements_compile_on_every_dialect() -> None:
    for url in (
        "sqlite+aiosqlite://",
        "postgresql+asyncpg://u@h/db",
        "mysql+aiomysql://u@h/db",
        "mariadb+asyncmy://u@h/db",
        "postgresql+psycopg://u@h/db",
        "cockroachdb+asyncpg://u@h/db",
    ):
        store = SessionStore(create_engine(url))
        for name, statement in store.statements.by_name().items():
            assert str(statement.compile(dialect=store.engine.dialect)), (url, name)


@pytest.mark.parametrize("name", sorted(DIALECTS))
def test_reference_ddl_matches_the_migrations(name: str) -> None:
    committed = (DDL_DIR / f"{name}.sql").read_text()
    assert committed == render(name), (
        f"docs/ddl/{name}.sql is out of date: run 'python -m adk_store.reference_ddl docs/ddl'"
    )
