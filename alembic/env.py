"""Alembic environment for adk-store's tables.

Runs three ways: from the ``alembic`` command in a checkout (URL from
``-x url=...`` or ``ADK_STORE_URL``), from ``adk-store db ...`` and
``auto_migrate`` (a live connection handed over in ``config.attributes``), and
offline (``--sql``) to print DDL for a DBA. The table prefix comes from
``-x table_prefix=...``, ``ADK_STORE_TABLE_PREFIX`` or the caller.
"""

from __future__ import annotations

import asyncio
import logging.config
import os

from alembic import context
from sqlalchemy import MetaData, Table
from sqlalchemy.engine import Connection

from adk_store.engine import WRITE_INTENT, create_engine, resolve_url
from adk_store.identifiers import DEFAULT_TABLE_PREFIX
from adk_store.migrations import PREFIX_ATTRIBUTE, include_object
from adk_store.schema import build_schema
from adk_store.statements import migration_lock

config = context.config
if config.config_file_name and not config.attributes.get("connection"):
    logging.config.fileConfig(config.config_file_name, disable_existing_loggers=False)

x_args = context.get_x_argument(as_dictionary=True)
prefix = (
    config.attributes.get(PREFIX_ATTRIBUTE)
    or x_args.get("table_prefix")
    or os.environ.get("ADK_STORE_TABLE_PREFIX")
    or DEFAULT_TABLE_PREFIX
)
config.attributes[PREFIX_ATTRIBUTE] = prefix
schema = build_schema(prefix)


def _options() -> dict[str, object]:
    return {
        "target_metadata": schema.metadata,
        "version_table": schema.version_table,
        "include_object": include_object,
        "render_as_batch": True,
        "compare_type": True,
    }


def _url() -> object:
    return config.attributes.get("url") or x_args.get("url") or os.environ.get("ADK_STORE_URL")


def run_offline() -> None:
    url = _url()
    if url is None:
        raise SystemExit("Give the database URL with -x url=... or ADK_STORE_URL.")
    context.configure(url=resolve_url(url), literal_binds=True, **_options())
    with context.begin_transaction():
        context.run_migrations()


def _run_on(connection: Connection) -> None:
    context.configure(connection=connection, **_options())
    with context.begin_transaction():
        with migration_lock(connection, schema.version_table):
            context.run_migrations()
            if not context.get_context().get_current_heads():
                # Downgraded to base: leave nothing of ours behind.
                Table(schema.version_table, MetaData()).drop(connection, checkfirst=True)


async def _run_with_own_engine() -> None:
    url = _url()
    if url is None:
        raise SystemExit("Give the database URL with -x url=... or ADK_STORE_URL.")
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            connection = await connection.execution_options(**{WRITE_INTENT: True})
            async with connection.begin():
                await connection.run_sync(_run_on)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_offline()
elif config.attributes.get("connection") is not None:
    _run_on(config.attributes["connection"])
else:
    asyncio.run(_run_with_own_engine())
