"""Column types with their per-dialect variants.

The DDL helpers here are used by the migrations as well as the MetaData, so a
change to them changes what a fresh ``upgrade`` creates: it needs a new
revision that alters existing databases the same way.

SQLAlchemy's generic types lose data on some backends (whole-second
timestamps on MySQL, ``DATE`` on Oracle, naive datetimes on SQLite); each type
here names the variant that keeps the value exact, so the store never has to
know which database it talks to.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, String, TypeDecorator
from sqlalchemy.dialects import mysql, oracle, postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from adk_store.dialects import MYSQL_NAMES, rules_for
from adk_store.errors import InvalidArgumentError


def json_type(*, nullable_as_sql_null: bool = False) -> TypeEngine[Any]:
    """JSON stored natively: JSONB on PostgreSQL, JSON elsewhere.

    ``nullable_as_sql_null`` makes Python ``None`` a SQL NULL, for optional
    event parts, instead of the JSON literal ``null``.
    """
    return (
        JSON(none_as_null=nullable_as_sql_null)
        .with_variant(postgresql.JSONB(none_as_null=nullable_as_sql_null), "postgresql")
        .with_variant(mysql.JSON(none_as_null=nullable_as_sql_null), *MYSQL_NAMES)
        .with_variant(oracle.JSON(none_as_null=nullable_as_sql_null), "oracle")
    )


def id_type(length: int) -> TypeEngine[str]:
    """Bounded strings: VARCHAR2 on Oracle, VARCHAR elsewhere."""
    return String(length).with_variant(oracle.VARCHAR2(length), "oracle")


_TIMESTAMP_VARIANTS: dict[str, TypeEngine[datetime]] = {
    "postgresql": postgresql.TIMESTAMP(timezone=True, precision=6),
    "mysql": mysql.DATETIME(fsp=6),
    "mariadb": mysql.DATETIME(fsp=6),
    "oracle": oracle.TIMESTAMP(timezone=True),
}


def timestamp_ddl_type() -> TypeEngine[datetime]:
    """The DDL type of every timestamp column, exact to the microsecond."""
    result: TypeEngine[datetime] = DateTime(timezone=True)
    for name, variant in _TIMESTAMP_VARIANTS.items():
        result = result.with_variant(variant, name)
    return result


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend.

    Backends without a zone-aware type (SQLite, MySQL, MariaDB) get naive UTC
    values written and read back, so comparisons and ordering agree with the
    backends that store the zone.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return _TIMESTAMP_VARIANTS.get(dialect.name) or dialect.type_descriptor(self.impl)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise InvalidArgumentError("adk-store timestamps must be timezone-aware (UTC).")
        value = value.astimezone(UTC)
        if rules_for(dialect).naive_timestamps:
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
