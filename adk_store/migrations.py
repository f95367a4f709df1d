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
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from adk_store.engine import WRITE_INTENT, connect, redact
from adk_store.errors import SchemaNotReadyError
from adk_store.schema import ONLY_ON_DIALECT, build_schema

PREFIX_ATTRIBUTE = "adk_store_table_prefix"


def script_location() -> Path:
    """The directory holding ``env.py`` and ``versions/``."""
    package_dir = Path(__file__).resolve().parent
    for candidate in (package_dir / "_migrations", package_dir.parent / "alembic"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError(
        f"adk-store's migrations are missing next to {package_dir}; reinstall adk-store."
    )


def alembic_config(table_prefix: str, **attributes: Any) -> Config:
    """An Alembic Config for our revisions, without any ini file."""
    config = Config()
    config.set_main_option("script_location", str(script_location()))
    config.attributes[PREFIX_ATTRIBUTE] = build_schema(table_prefix).prefix
    config.attributes.update(attributes)
    return config


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Limit Alembic's comparison to our own tables on the current dialect.

    The application's tables share the database and must never show up as
    drift; dialect-only indexes are ignored on other dialects.
    """
    from alembic import context

    if type_ == "table":
        prefix = context.config.attributes[PREFIX_ATTRIBUTE]
        return name in build_schema(prefix).table_names
    only_on = getattr(obj, "info", {}).get(ONLY_ON_DIALECT)
    return only_on is None or context.get_context().dialect.name == only_on


def head_revision() -> str:
    head = ScriptDirectory(str(script_location())).get_current_head()
    assert head is not None, "adk-store ships at least one revision"
    return head


def current_revision(connection: Connection, table_prefix: str) -> str | None:
    """The revision the database is at, or None before the first upgrade."""
    context = MigrationContext.configure(
        connection, opts={"version_table": build_schema(table_prefix).version_table}
    )
    return context.get_current_revision()


async def upgrade(engine: AsyncEngine, table_prefix: str, revision: str = "head") -> None:
    await _run(engine, table_prefix, lambda config: command.upgrade(config, revision))


async def downgrade(engine: AsyncEngine, table_prefix: str, revision: str = "base") -> None:
    await _run(engine, table_prefix, lambda config: command.downgrade(config, revision))


async def current(engine: AsyncEngine, table_prefix: str) -> str | None:
    async with connect(engine) as connection:
        return await connection.run_sync(current_revision, table_prefix)


async def ensure_current(engine: AsyncEngine, table_prefix: str) -> None:
    """Raise SchemaNotReadyError, naming the fix, unless the schema is at head."""
    found = await current(engine, table_prefix)
    head = head_revision()
    if found == head:
        return
    state = "has no adk-store tables" if found is None else f"is at revision {found}"
    raise SchemaNotReadyError(
        f"The database {redact(engine.url)} {state} (table prefix {table_prefix!r}); "
        f"adk-store needs revision {head}. Run: adk-store db upgrade --url "
        f"'{redact(engine.url)}' --table-prefix {table_prefix} "
        "(or pass auto_migrate=True)."
    )


def offline_sql(url: str, table_prefix: str, revision: str = "head") -> str:
    """The DDL an upgrade would run, as SQL text for a DBA."""
    buffer = io.StringIO()
    config = alembic_config(table_prefix, url=url)
    config.output_buffer = buffer
    command.upgrade(config, revision, sql=True)
    return buffer.getvalue()


# Alembic keeps the running migration in module-global state, so two
# migrations interleaved on one event loop would use each other's context.
_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


async def _run(engine: AsyncEngine, table_prefix: str, action: Any) -> None:
    turn = _turns.setdefault(asyncio.get_running_loop(), asyncio.Lock())
    async with turn, connect(engine) as connection:
        connection = await connection.execution_options(**{WRITE_INTENT: True})
        async with connection.begin():

            def run(sync_connection: Connection) -> None:
                action(alembic_config(table_prefix, connection=sync_connection))

            await connection.run_sync(run)


async def check(engine: AsyncEngine, table_prefix: str) -> None:
    """Raise ``alembic.util.AutogenerateDiffsDetected`` if the tables differ from the MetaData."""
    await _run(engine, table_prefix, command.check)
