"""Importing the package loads none of what only some of its users need.

Structural, not timed: each import runs in a fresh interpreter and the test
reads ``sys.modules`` afterwards. How long the imports take is measured by
the benchmarks, where timing belongs.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import adk_store

# Loaded only by the code that needs them: ADK's CLI by the service registry,
# Alembic by migrations, the dialects and SQLAlchemy itself by the store.
HEAVY = ("google.adk.cli", "alembic", "sqlalchemy")


def _modules_after(statement: str) -> set[str]:
    probe = f"import sys, json\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(done.stdout))


def _loaded(modules: set[str], package: str) -> list[str]:
    return sorted(name for name in modules if name == package or name.startswith(package + "."))


def test_importing_the_package_loads_none_of_its_modules() -> None:
    modules = _modules_after("import adk_store")
    assert _loaded(modules, "adk_store") == ["adk_store"]
    for package in HEAVY:
        assert not _loaded(modules, package), f"import adk_store loaded {package}"


@pytest.mark.parametrize(
    "statement",
    ["import adk_store.errors", "from adk_store import AdkStoreError, InvalidIdError"],
)
def test_importing_the_errors_loads_no_database_code(statement: str) -> None:
    modules = _modules_after(statement)
    for package in HEAVY:
        assert not _loaded(modules, package), f"{statement!r} loaded {package}"


def test_the_service_does_not_load_adks_cli() -> None:
    modules = _modules_after("from adk_store import SqlSessionService")
    assert "adk_store.service" in modules
    assert not _loaded(modules, "google.adk.cli")
    assert not _loaded(modules, "adk_store.registry")


def test_every_public_name_resolves() -> None:
    assert sorted(adk_store.__all__) == sorted(adk_store._HOMES)
    for name in adk_store.__all__:
        value = getattr(adk_store, name)
        assert getattr(value, "__name__", name) == name
        assert name in dir(adk_store)
    with pytest.raises(AttributeError, match="no attribute 'SqlSessionServic'"):
        _ = adk_store.SqlSessionServic  # type: ignore[attr-defined]
