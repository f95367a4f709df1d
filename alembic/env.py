"""Alembic environment for adk-store's tables.

Runs three ways: from the ``alembic`` command in a checkout (URL from
``-x url=...`` or ``ADK_STORE_URL``), from ``adk-store db ...`` and
``auto_migrate`` (a live connection handed over in ``config.attributes``), and
offline (``--sql``) to print DDL for a DBA. The layout comes from the caller,
or from ``-x table_prefix=... -x schema=... -x owner_column=...`` (the
``name[:type[:table.column[:on_delete]]]`` form), or from
``ADK_STORE_TABLE_PREFIX``, ``ADK_STORE_SCHEMA`` and ``ADK_STORE_OWNER_COLUMN``.
"""

from __future__ import annotations

import asyncio
import logging.config
import os

from alembic import context
from sqlalchemy import MetaData, Table, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateSchema

from adk_store.dialects import WRITE_INTENT, rules_for
from adk_store.engine import create_engine, resolve_url
from adk_store.identifiers import DEFAULT_TABLE_PREFIX
from adk_store.layout import OwnerColumn, TableLayout
from adk_store.migrations import (
    LAYOUT_ATTRIBUTE,
    include_object,
    version_table_options,
)
from adk_store.schema import build_schema

config = context.config
if config.config_file_name and not config.attributes.get("connection"):
    logging.config.fileConfig(config.config_file_name, disable_existing_loggers=False)

x_args = context.get_x_argument(as_dictionary=True)


def _given(name: str) -> str | None:
    return x_args.get(name) or os.environ.get(f"ADK_STORE_{name.upper()}") or None


def _layout() -> TableLayout:
    given = config.attributes.get(LAYOUT_ATTRIBUTE)
    if isinstance(given, TableLayout):
        return given
    owner = _given("owner_column")
    return TableLayout(
        prefix=_given("table_prefix") or DEFAULT_TABLE_PREFIX,
        schema=_given("schema"),
        owner_column=None if owner is None else OwnerColumn.parse(owner),
    )


layout = config.attributes[LAYOUT_ATTRIBUTE] = _layout()
schema = build_schema(layout)


def _include_name(name: str | None, type_: str, _parents: object) -> bool:
    # With a schema, only ours is compared; the rest of the database is not ours.
    return type_ != "schema" or name == layout.schema


def _options() -> dict[str, object]:
    return {
        "target_metadata": schema.metadata,
        "include_object": include_object,
        "include_schemas": layout.schema is not None,
        "include_name": _include_name,
        "render_as_batch": True,
        "compare_type": True,
        **version_table_options(layout),
    }


def _create_schema(connection: Connection | None = None) -> None:
    """The schema must exist before Alembic creates its version table in it.

    An existing schema is left alone, so a migration role that owns the
    schema needs no CREATE right on the database.
    """
    if layout.schema is None:
        return
    if connection is not None and inspect(connection).has_schema(layout.schema):
        return
    context.execute(CreateSchema(layout.schema, if_not_exists=True))


def _url() -> object:
    return config.attributes.get("url") or x_args.get("url") or os.environ.get("ADK_STORE_URL")


def run_offline() -> None:
    url = _url()
    if url is None:
        raise SystemExit("Give the database URL with -x url=... or ADK_STORE_URL.")
    context.configure(url=resolve_url(url), literal_binds=True, **_options())
    layout.check_dialect(context.get_context().dialect.name)
    with context.begin_transaction():
        _create_schema()
        context.run_migrations()


def _run_on(connection: Connection) -> None:
    layout.check_dialect(connection.dialect.name)
    context.configure(connection=connection, **_options())
    lock = rules_for(connection.dialect).migration_lock(
        connection, f"{layout.schema or ''}.{schema.version_table}"
    )
    # The lock first: it outlives the transactions, which Alembic begins and
    # commits itself (a revision may commit part-way to build an index
    # concurrently).
    with lock, context.begin_transaction():
        _create_schema(connection)
        context.run_migrations()
        if not context.get_context().get_current_heads():
            # Downgraded to base: leave nothing of ours behind (the schema
            # may hold other things, so it stays).
            Table(schema.version_table, MetaData(), schema=layout.schema).drop(
                connection, checkfirst=True
            )
        # Where DDL is not transactional (SQLite, MySQL) Alembic commits each
        # revision itself; what ran after the last one is committed here.
        if connection.in_transaction():
            connection.commit()


async def _run_with_own_engine() -> None:
    url = _url()
    if url is None:
        raise SystemExit("Give the database URL with -x url=... or ADK_STORE_URL.")
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            connection = await connection.execution_options(**{WRITE_INTENT: True})
            await connection.run_sync(_run_on)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_offline()
elif config.attributes.get("connection") is not None:
    _run_on(config.attributes["connection"])
else:
    asyncio.run(_run_with_own_engine())
