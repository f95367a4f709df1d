"""Running adk-store's Alembic revisions from code and from the CLI.

The revisions are the only source of DDL. In a checkout they live in the
top-level ``alembic/`` directory; a built wheel carries the same directory as
``adk_store/_migrations``.
"""

from __future__ import annotations

import asyncio
import io
import weakref
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CHAR, BigInteger, Integer, Uuid, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from adk_store.dialects import WRITE_INTENT
from adk_store.dialects.sqlite import missing_sqlite_file
from adk_store.engine import connect, redact
from adk_store.errors import SchemaNotReadyError, StoreConfigurationError
from adk_store.layout import OwnerColumn, TableLayout
from adk_store.schema import build_schema, exists_on

LAYOUT_ATTRIBUTE = "adk_store_layout"


def script_location() -> Path:
    """The directory holding ``env.py`` and ``versions/``."""
    package_dir = Path(__file__).resolve().parent
    for candidate in (package_dir / "_migrations", package_dir.parent / "alembic"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError(
        f"adk-store's migrations are missing next to {package_dir}; reinstall adk-store."
    )


def alembic_config(layout: TableLayout | str, **attributes: Any) -> Config:
    """An Alembic Config for our revisions, without any ini file."""
    config = Config()
    config.set_main_option("script_location", str(script_location()))
    config.attributes[LAYOUT_ATTRIBUTE] = TableLayout.of(layout)
    config.attributes.update(attributes)
    return config


def layout_in_context(config: Config) -> TableLayout:
    """The layout the running migration creates or changes."""
    layout = config.attributes[LAYOUT_ATTRIBUTE]
    assert isinstance(layout, TableLayout)
    return layout


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Limit Alembic's comparison to our own tables on the current dialect.

    The application's tables share the database and must never show up as
    drift; dialect-only indexes are ignored on other dialects.
    """
    from alembic import context

    if type_ == "table":
        return name in build_schema(layout_in_context(context.config)).table_names
    return exists_on(obj, context.get_context().dialect.name)


def head_revision() -> str:
    head = ScriptDirectory(str(script_location())).get_current_head()
    assert head is not None, "adk-store ships at least one revision"
    return head


def version_table_options(layout: TableLayout) -> dict[str, Any]:
    """Where Alembic keeps our revision: a table named after the prefix, in our schema."""
    return {
        "version_table": build_schema(layout).version_table,
        "version_table_schema": layout.schema,
    }


def current_revision(connection: Connection, layout: TableLayout | str) -> str | None:
    """The revision the database is at, or None before the first upgrade."""
    layout = TableLayout.of(layout)
    layout.check_dialect(connection.dialect.name)
    context = MigrationContext.configure(connection, opts=version_table_options(layout))
    return context.get_current_revision()


async def upgrade(engine: AsyncEngine, layout: TableLayout | str, revision: str = "head") -> None:
    await _run(engine, layout, lambda config: command.upgrade(config, revision))


async def downgrade(engine: AsyncEngine, layout: TableLayout | str, revision: str = "base") -> None:
    await _run(engine, layout, lambda config: command.downgrade(config, revision))


async def current(engine: AsyncEngine, layout: TableLayout | str) -> str | None:
    async with connect(engine) as connection:
        return await connection.run_sync(current_revision, layout)


async def ensure_current(engine: AsyncEngine, layout: TableLayout | str) -> None:
    """Raise unless the schema is at head and has the layout's owner column, naming the fix.

    A store whose layout lacks the owner column the tables have would read
    and delete every owner's rows; one that names a column the tables lack
    would fail on every statement. Both are refused here, from the
    database's catalog, before any statement reaches the tables.
    """
    layout = TableLayout.of(layout)
    head = head_revision()
    missing = missing_sqlite_file(engine.url)
    if missing is not None:
        # Connecting would create an empty file (and its directories).
        raise SchemaNotReadyError(
            f"The database file {missing} does not exist; adk-store needs revision {head} "
            f"there. Run: adk-store db upgrade --url '{redact(engine.url)}' "
            f"{layout.describe()} (or pass auto_migrate=True), or fix the path."
        )
    async with connect(engine) as connection:
        found, owner_found = await connection.run_sync(_revision_and_owner, layout)
    if found == head:
        owner_given = _owner_of(layout.owner_column)
        if owner_found != owner_given:
            raise StoreConfigurationError(
                f"The tables at {redact(engine.url)} (table prefix {layout.prefix!r}) were "
                f"created with {_owner_words(owner_found)}; this store was given "
                f"{_owner_words(owner_given)}. Pass the layout they were created "
                "with (layout=TableLayout(owner_column=OwnerColumn(...)) in Python, "
                "--owner-column on the command line)."
            )
        return
    state = "has no adk-store tables" if found is None else f"is at revision {found}"
    raise SchemaNotReadyError(
        f"The database {redact(engine.url)} {state} (table prefix {layout.prefix!r}"
        f"{'' if layout.schema is None else f', schema {layout.schema!r}'}); "
        f"adk-store needs revision {head}. Run: adk-store db upgrade --url "
        f"'{redact(engine.url)}' {layout.describe()} (or pass auto_migrate=True)."
    )


# An owner column as the schema check compares it: its name and type name.
_Owner = tuple[str, str] | None


def _revision_and_owner(connection: Connection, layout: TableLayout) -> tuple[str | None, _Owner]:
    revision = current_revision(connection, layout)
    if revision is None:
        return None, None
    return revision, _owner_in_database(connection, layout)


def _owner_in_database(connection: Connection, layout: TableLayout) -> _Owner:
    """The owner column leading the sessions table's primary key, if there is one."""
    inspector = inspect(connection)
    table = build_schema(layout).sessions.name
    key = inspector.get_pk_constraint(table, schema=layout.schema)["constrained_columns"]
    if not key or key[0] == "app_name":
        return None
    column = next(
        c for c in inspector.get_columns(table, schema=layout.schema) if c["name"] == key[0]
    )
    return key[0], _owner_type_name(column["type"])


def _owner_type_name(sql_type: Any) -> str:
    """The `adk_store.OwnerColumn` type name a reflected column type stands for."""
    if isinstance(sql_type, Uuid) or (isinstance(sql_type, CHAR) and sql_type.length == 32):
        return "uuid"  # A native UUID, or the CHAR(32) SQLAlchemy uses where there is none.
    if isinstance(sql_type, BigInteger):
        return "bigint"
    if isinstance(sql_type, Integer):
        return "integer"
    return "string"


def _owner_of(column: OwnerColumn | None) -> _Owner:
    return None if column is None else (column.name, column.type)


def _owner_words(owner: _Owner) -> str:
    return "no owner column" if owner is None else f"owner column {owner[0]} ({owner[1]})"


def offline_sql(url: str, layout: TableLayout | str, revision: str = "head") -> str:
    """The DDL an upgrade would run, as SQL text for a DBA."""
    buffer = io.StringIO()
    config = alembic_config(layout, url=url)
    config.output_buffer = buffer
    command.upgrade(config, revision, sql=True)
    return buffer.getvalue()


# Alembic keeps the running migration in module-global state, so two
# migrations interleaved on one event loop would use each other's context.
_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


async def _run(engine: AsyncEngine, layout: TableLayout | str, action: Any) -> None:
    layout = TableLayout.of(layout)
    layout.check_dialect(engine.dialect.name)
    turn = _turns.setdefault(asyncio.get_running_loop(), asyncio.Lock())
    async with turn, connect(engine) as connection:
        connection = await connection.execution_options(**{WRITE_INTENT: True})

        def run(sync_connection: Connection) -> None:
            # Alembic begins and commits the transactions (env.py).
            action(alembic_config(layout, connection=sync_connection))

        await connection.run_sync(run)


async def check(engine: AsyncEngine, layout: TableLayout | str) -> None:
    """Raise ``alembic.util.AutogenerateDiffsDetected`` if the tables differ from the MetaData."""
    await _run(engine, layout, command.check)
