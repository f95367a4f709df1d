"""Where the tables live and whose rows they hold: prefix, schema, owner column.

A layout is fixed when the tables are created: the migrations, the MetaData
and the store are all built from the same `TableLayout`, so the
columns a query filters on are the columns the DDL created.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from sqlalchemy import BigInteger, Integer, Uuid
from sqlalchemy.types import TypeEngine

from adk_store.dialects import rules_named
from adk_store.errors import StoreConfigurationError
from adk_store.identifiers import (
    DEFAULT_TABLE_PREFIX,
    MAX_ID_LENGTH,
    check_id,
    validate_identifier,
    validate_schema_name,
    validate_table_prefix,
)
from adk_store.types import id_type

OwnerType = Literal["string", "integer", "bigint", "uuid"]
OnDelete = Literal["CASCADE", "RESTRICT", "NO ACTION"]
_OWNER_TYPES: tuple[str, ...] = get_args(OwnerType)
_ON_DELETE: tuple[str, ...] = get_args(OnDelete)

# Columns of our own tables an owner column must not shadow (including the
# event columns revision 0004 dropped: a downgrade puts them back).
_RESERVED_COLUMNS = frozenset(
    {
        "app_name",
        "user_id",
        "session_id",
        "id",
        "state",
        "revision",
        "create_time",
        "update_time",
        "invocation_id",
        "author",
        "branch",
        "timestamp",
        "event_data",
        "content",
        "grounding_metadata",
        "custom_metadata",
        "partial",
        "turn_complete",
        "interrupted",
        "error_code",
        "error_message",
        "seq",
        "incarnation",
        "entry",
        "search_text",
        "search_vector",
    }
)


@dataclass(frozen=True)
class OwnerColumn:
    """A column naming the owner (tenant) of every row, leading every key.

    ``references`` is an optional foreign-key target, ``"table.column"`` (in
    the schema of adk-store's tables) or ``"schema.table.column"``; the
    referenced table is the application's and must exist before the upgrade.
    Deleting an owner row then removes (or, with ``on_delete="RESTRICT"``,
    protects) everything the owner stored.
    A store bound to one owner never reads, changes or deletes another's rows,
    and two owners may use the same app, user and session ids.
    """

    name: str
    type: OwnerType = "string"
    references: str | None = None
    on_delete: OnDelete = "CASCADE"

    def __post_init__(self) -> None:
        validate_identifier("owner column name", self.name)
        if self.name in _RESERVED_COLUMNS:
            raise StoreConfigurationError(
                f"Owner column name {self.name!r} is already a column of adk-store's tables; "
                "choose another name, such as 'tenant_id'."
            )
        if self.type not in _OWNER_TYPES:
            raise StoreConfigurationError(
                f"Owner column type {self.type!r} is not supported; use one of "
                f"{', '.join(_OWNER_TYPES)}."
            )
        if self.on_delete not in _ON_DELETE:
            raise StoreConfigurationError(
                f"Owner column on_delete {self.on_delete!r} is not supported; use one of "
                f"{', '.join(_ON_DELETE)}."
            )
        if self.references is not None:
            parts = self.references.split(".") if isinstance(self.references, str) else []
            if len(parts) not in (2, 3):
                raise StoreConfigurationError(
                    f"Owner column references {self.references!r}: write 'table.column' or "
                    "'schema.table.column', for example 'tenants.id'."
                )
            for part in parts:
                validate_identifier("owner column reference", part)

    @classmethod
    def parse(cls, spec: str) -> OwnerColumn:
        """Read ``name[:type[:table.column[:on_delete]]]``, the form used on command lines.

        For example ``tenant_id:integer:tenants.id`` or ``org:uuid::restrict``
        (an empty part keeps its default).
        """
        parts = spec.split(":")
        if len(parts) > 4 or not parts[0]:
            raise StoreConfigurationError(
                f"Owner column {spec!r}: write name[:type[:table.column[:on_delete]]], "
                "for example 'tenant_id:integer:tenants.id'."
            )
        options: dict[str, Any] = {"name": parts[0]}
        for key, value in zip(("type", "references", "on_delete"), parts[1:], strict=False):
            if value:
                options[key] = value.replace("_", " ").upper() if key == "on_delete" else value
        return cls(**options)

    @property
    def spec(self) -> str:
        """The `parse` form of this column."""
        return ":".join((self.name, self.type, self.references or "", self.on_delete))

    def target(self, schema: str | None) -> str | None:
        """The foreign-key target, qualified with ``schema`` unless it names its own."""
        if self.references is None or schema is None or self.references.count(".") == 2:
            return self.references
        return f"{schema}.{self.references}"

    def sql_type(self) -> TypeEngine[Any]:
        if self.type == "integer":
            return Integer()
        if self.type == "bigint":
            return BigInteger()
        if self.type == "uuid":
            return Uuid()
        return id_type(MAX_ID_LENGTH)

    def check_value(self, value: object) -> Any:
        """``value`` as this column stores it, or a clear error before any SQL runs."""
        if self.type in ("integer", "bigint"):
            if isinstance(value, bool) or not isinstance(value, int):
                raise StoreConfigurationError(
                    f"The owner ({self.name}) must be an int for a {self.type} owner column, "
                    f"got {type(value).__name__}."
                )
            limit = 2**31 if self.type == "integer" else 2**63
            if not -limit <= value < limit:
                raise StoreConfigurationError(
                    f"The owner ({self.name}) {value} does not fit a {self.type} column."
                )
            return value
        if self.type == "uuid":
            if isinstance(value, uuid.UUID):
                return value
            try:
                return uuid.UUID(str(value))
            except ValueError:
                raise StoreConfigurationError(
                    f"The owner ({self.name}) must be a UUID, got {value!r}."
                ) from None
        return check_id(self.name, value)


@dataclass(frozen=True)
class TableLayout:
    """The validated naming and ownership of adk-store's four tables.

    ``schema`` places the tables (and the migration version table) in a
    PostgreSQL schema; on other databases a URL naming another database does
    the same job.
    """

    prefix: str = DEFAULT_TABLE_PREFIX
    schema: str | None = None
    owner_column: OwnerColumn | None = field(default=None)

    def __post_init__(self) -> None:
        validate_table_prefix(self.prefix)
        if self.schema is not None:
            validate_schema_name(self.schema)
        if self.owner_column is not None and not isinstance(self.owner_column, OwnerColumn):
            raise StoreConfigurationError(
                "owner_column must be an adk_store.OwnerColumn, for example "
                "OwnerColumn('tenant_id', type='integer')."
            )

    @classmethod
    def of(cls, value: TableLayout | str) -> TableLayout:
        """Accept a bare table prefix wherever a layout is expected."""
        return value if isinstance(value, TableLayout) else cls(prefix=value)

    def check_dialect(self, dialect_name: str) -> None:
        """Refuse a schema on a database where adk-store does not place tables in one."""
        if self.schema is not None and not rules_named(dialect_name).schemas:
            raise StoreConfigurationError(
                f"The schema option ({self.schema!r}) is supported on PostgreSQL only; on "
                f"{dialect_name} name another database in the URL, or use a table prefix."
            )

    def describe(self) -> str:
        """How to name this layout on the command line, for error messages."""
        words = [f"--table-prefix {self.prefix}"]
        if self.schema is not None:
            words.append(f"--schema {self.schema}")
        if self.owner_column is not None:
            words.append(f"--owner-column {self.owner_column.spec}")
        return " ".join(words)
