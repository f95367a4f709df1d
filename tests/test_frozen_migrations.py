"""Released revisions are frozen: their DDL is pinned per dialect and per layout.

A revision that has run on someone's database must do the same forever, so
each spells out its own types, lengths and indexes instead of borrowing them
from the live schema. A digest of what it emits, per dialect
and layout (``tests/snapshots/``), catches any change; the live checks show
the frozen tables still match the live MetaData (an autogenerate comparison
comes out empty).
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.operations import Operations
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from conftest import Database
from sqlalchemy import text
from sqlalchemy.engine import Connection

from adk_store import migrations
from adk_store.engine import create_engine
from adk_store.layout import OwnerColumn, TableLayout
from adk_store.schema import build_schema, exists_on

REPO = Path(__file__).resolve().parents[1]
VERSIONS = REPO / "alembic" / "versions"
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
# Every released revision, by the stem of its file; tests/snapshots/<stem>.json
# holds the SHA-256 of what it emits, by dialect, layout and direction.
RELEASED = {
    "0001": "0001_initial_schema",
    "0002": "0002_positions_incarnations",
    "0003": "0003_memory",
    "0004": "0004_lean_events",
}
DIALECTS = ("sqlite", "postgresql", "mysql", "mariadb", "oracle")

# Every shape of layout the revision builds differently: each owner column
# type, a foreign key with each on_delete rule, one naming its own schema.
LAYOUTS = {
    "default": TableLayout(),
    "owner-string-cascade": TableLayout(
        prefix="t_", owner_column=OwnerColumn("tenant_id", references="tenants.id")
    ),
    "owner-integer-restrict": TableLayout(
        prefix="crm_",
        owner_column=OwnerColumn(
            "org_id", type="integer", references="billing.orgs.id", on_delete="RESTRICT"
        ),
    ),
    "owner-bigint-no-reference": TableLayout(owner_column=OwnerColumn("shard", type="bigint")),
    "owner-uuid-no-action": TableLayout(
        owner_column=OwnerColumn(
            "tenant_uuid", type="uuid", references="tenants.uuid", on_delete="NO ACTION"
        )
    ),
}
# A schema places the tables on PostgreSQL only.
POSTGRESQL_LAYOUTS = {
    "schema-owner-string": TableLayout(
        prefix="s_", schema="agents", owner_column=OwnerColumn("tenant_id", references="tenants.id")
    ),
}
# What 0001 may take from adk-store: the layout it is run for (see its docstring).
LAYOUT_MODULES = {"adk_store.migrations", "adk_store.layout"}


def _layouts(dialect: str) -> dict[str, TableLayout]:
    return {**LAYOUTS, **(POSTGRESQL_LAYOUTS if dialect == "postgresql" else {})}


def _emitted(revision_id: str, dialect: str, layout: TableLayout, direction: str) -> str:
    """The SQL a revision's ``upgrade`` or ``downgrade`` emits, captured offline.

    Runs the revision's own function, not env.py, so only its operations
    are pinned: how the version table is kept may change without touching it.
    """
    config = migrations.alembic_config(layout)
    script = ScriptDirectory.from_config(config)
    revision = script.get_revision(revision_id)
    assert revision is not None
    buffer = io.StringIO()
    with EnvironmentContext(config, script) as environment:
        environment.configure(
            dialect_name=dialect, as_sql=True, output_buffer=buffer, literal_binds=True
        )
        with Operations.context(environment.get_context()):
            getattr(revision.module, direction)()
    return buffer.getvalue()


def digests(revision: str, dialect: str) -> dict[str, str]:
    """A digest of every layout's upgrade and downgrade of ``revision`` on ``dialect``."""
    return {
        f"{name} {direction}": hashlib.sha256(
            _emitted(revision, dialect, layout, direction).encode()
        ).hexdigest()
        for name, layout in _layouts(dialect).items()
        for direction in ("upgrade", "downgrade")
    }


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("revision", RELEASED)
def test_released_revisions_emit_exactly_the_committed_ddl(revision: str, dialect: str) -> None:
    committed = json.loads((SNAPSHOTS / f"{RELEASED[revision]}.json").read_text())[dialect]
    emitted = digests(revision, dialect)
    changed = sorted(key for key, digest in emitted.items() if committed.get(key) != digest)
    assert changed == [], (
        f"Revision {revision} now emits other DDL on {dialect} for {changed}. Databases "
        f"already upgraded to {revision} would not get that change: restore the revision "
        "and make the change in a new one."
    )


@pytest.mark.parametrize("revision", RELEASED)
def test_released_revisions_do_not_import_the_live_schema(revision: str) -> None:
    tree = ast.parse((VERSIONS / f"{RELEASED[revision]}.py").read_text())
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    from_live_code = {name for name in imported if name.split(".")[0] == "adk_store"}
    assert from_live_code <= LAYOUT_MODULES, (
        f"Revision {revision} imports {sorted(from_live_code - LAYOUT_MODULES)}: write the types "
        "and options in the revision itself, so later changes there cannot alter it."
    )


LIVE_LAYOUTS = {
    "default": TableLayout(),
    "owner-integer": TableLayout(prefix="o_", owner_column=OwnerColumn("org_id", type="integer")),
    "owner-uuid": TableLayout(prefix="u_", owner_column=OwnerColumn("tenant", type="uuid")),
}


def _differences(connection: Connection, layout: TableLayout) -> list[object]:
    """Autogenerate's differences between our tables in the database and the MetaData."""
    schema = build_schema(layout)
    dialect = connection.dialect.name

    def ours(obj: Any, name: str | None, type_: str, _reflected: bool, _other: Any) -> bool:
        if type_ == "table":
            return name in schema.table_names
        return exists_on(obj, dialect)

    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": ours}
    )
    return list(compare_metadata(context, schema.metadata))


@pytest.mark.parametrize("layout_name", sorted(LIVE_LAYOUTS))
async def test_frozen_revisions_create_the_live_metadata(
    database: Database, layout_name: str
) -> None:
    """Upgraded to head, the tables are what the MetaData declares."""
    layout = LIVE_LAYOUTS[layout_name]
    engine = create_engine(database.url)
    try:
        await migrations.upgrade(engine, layout)
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences, layout) == []
            # Not vacuous: an index the revisions did not create is reported.
            await connection.execute(
                text(f"CREATE INDEX ix_extra ON {layout.prefix}sessions (create_time)")
            )
            assert await connection.run_sync(_differences, layout) != []
    finally:
        await engine.dispose()
