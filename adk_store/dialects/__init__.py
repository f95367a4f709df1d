"""Which rules apply to a database: the one place a dialect's name is looked at.

Each database family gets one `DialectRules` object (in the module named after
it) that answers every question where the families differ: how to insert a
row unless it exists, whether an append can be one statement, how concurrent
migrations are serialised, whether writers queue in the process, the default
isolation level, whether a row-value comparison seeks an index, whether
tables can live in a named schema. Callers ask the rules and never compare
dialect names themselves; the type variants in `adk_store.types` and the
frozen migrations are the only other places that name a dialect.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from sqlalchemy.engine import Dialect

from adk_store.dialects.base import MYSQL_NAMES, WRITE_INTENT, DialectRules, GroupAppend

__all__ = [
    "MYSQL_NAMES",
    "WRITE_INTENT",
    "DialectRules",
    "GroupAppend",
    "rules_for",
    "rules_named",
]


# Looked up per bound timestamp (adk_store.types), so kept per dialect object.
_RULES_OF: WeakKeyDictionary[Dialect, DialectRules] = WeakKeyDictionary()


def rules_for(dialect: Dialect) -> DialectRules:
    """The rules for a SQLAlchemy dialect, including PostgreSQL-compatible derivatives.

    A dialect built on PostgreSQL's (CockroachDB's) shares its upsert syntax
    but not the behaviours the store's single-statement append relies on.
    """
    rules = _RULES_OF.get(dialect)
    if rules is None:
        rules = _RULES_OF[dialect] = _decide(dialect)
    return rules


def _decide(dialect: Dialect) -> DialectRules:
    from sqlalchemy.dialects.postgresql.base import PGDialect

    if isinstance(dialect, PGDialect) and dialect.name != "postgresql":
        from adk_store.dialects.postgresql import POSTGRESQL_COMPATIBLE

        return POSTGRESQL_COMPATIBLE
    return rules_named(dialect.name)


def rules_named(name: str) -> DialectRules:
    """The rules for a backend named as in a URL (``postgresql``, ``mariadb``, ...).

    For deciding engine options before an engine exists; an unknown name gets
    the portable rules, which need nothing a SQL database lacks.
    """
    if name == "postgresql":
        from adk_store.dialects.postgresql import POSTGRESQL

        return POSTGRESQL
    if name == "cockroachdb":
        from adk_store.dialects.postgresql import POSTGRESQL_COMPATIBLE

        return POSTGRESQL_COMPATIBLE
    if name in MYSQL_NAMES:
        from adk_store.dialects.mysql import MYSQL

        return MYSQL
    if name == "sqlite":
        from adk_store.dialects.sqlite import SQLITE

        return SQLITE
    if name == "oracle":
        from adk_store.dialects.oracle import ORACLE

        return ORACLE
    return DialectRules(name)
