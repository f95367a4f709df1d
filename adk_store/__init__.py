"""adk-store: a SQL session store for Google's Agent Development Kit.

The public names are loaded on first use, not on import: importing the
package, or any module in it such as `adk_store.errors`, then costs almost
nothing on top of ADK, and only what a caller uses (the service, the
registry, the DDL builder) pulls in SQLAlchemy's dialects, Alembic or ADK's
CLI. The ``TYPE_CHECKING`` block gives type checkers and editors the same
names eagerly.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adk_store.engine import default_database_path
    from adk_store.errors import (
        AdkStoreError,
        DuplicateEventError,
        InvalidArgumentError,
        InvalidIdError,
        PoolTimeoutError,
        SchemaNotReadyError,
        StoreConfigurationError,
        StoreConnectionError,
        TransactionConflictError,
        UnstorableValueError,
    )
    from adk_store.layout import OwnerColumn, TableLayout
    from adk_store.memory.service import SqlMemoryService
    from adk_store.registry import (
        RegistryMemoryService,
        RegistrySessionService,
        register_memory_services,
        register_session_services,
    )
    from adk_store.schema import StoreSchema, build_schema
    from adk_store.service import SessionPage, SqlSessionService, UserEvent, UserEventsPage
    from adk_store.store import SessionStore

# Public name -> the module that defines it.
_HOMES = {
    "AdkStoreError": "adk_store.errors",
    "DuplicateEventError": "adk_store.errors",
    "InvalidArgumentError": "adk_store.errors",
    "InvalidIdError": "adk_store.errors",
    "OwnerColumn": "adk_store.layout",
    "PoolTimeoutError": "adk_store.errors",
    "RegistryMemoryService": "adk_store.registry",
    "RegistrySessionService": "adk_store.registry",
    "SchemaNotReadyError": "adk_store.errors",
    "SessionPage": "adk_store.service",
    "SessionStore": "adk_store.store",
    "SqlMemoryService": "adk_store.memory.service",
    "SqlSessionService": "adk_store.service",
    "StoreConfigurationError": "adk_store.errors",
    "StoreConnectionError": "adk_store.errors",
    "StoreSchema": "adk_store.schema",
    "TransactionConflictError": "adk_store.errors",
    "TableLayout": "adk_store.layout",
    "UnstorableValueError": "adk_store.errors",
    "UserEvent": "adk_store.service",
    "UserEventsPage": "adk_store.service",
    "build_schema": "adk_store.schema",
    "default_database_path": "adk_store.engine",
    "register_memory_services": "adk_store.registry",
    "register_session_services": "adk_store.registry",
}

__all__ = [
    "AdkStoreError",
    "DuplicateEventError",
    "InvalidArgumentError",
    "InvalidIdError",
    "OwnerColumn",
    "PoolTimeoutError",
    "RegistryMemoryService",
    "RegistrySessionService",
    "SchemaNotReadyError",
    "SessionPage",
    "SessionStore",
    "SqlMemoryService",
    "SqlSessionService",
    "StoreConfigurationError",
    "StoreConnectionError",
    "StoreSchema",
    "TableLayout",
    "TransactionConflictError",
    "UnstorableValueError",
    "UserEvent",
    "UserEventsPage",
    "build_schema",
    "default_database_path",
    "register_memory_services",
    "register_session_services",
]


def __getattr__(name: str) -> Any:
    """Load a public name from its module the first time it is asked for."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'adk_store' has no attribute {name!r}")
    value = getattr(_load(home), name)
    globals()[name] = value
    return value


def _load(home: str) -> ModuleType:
    """Import one of the modules in ``_HOMES``, each spelled out: no name from data is imported."""
    if home == "adk_store.errors":
        from adk_store import errors

        return errors
    if home == "adk_store.layout":
        from adk_store import layout

        return layout
    if home == "adk_store.registry":
        from adk_store import registry

        return registry
    if home == "adk_store.service":
        from adk_store import service

        return service
    if home == "adk_store.memory.service":
        from adk_store.memory import service as memory_service

        return memory_service
    if home == "adk_store.store":
        from adk_store import store

        return store
    if home == "adk_store.schema":
        from adk_store import schema

        return schema
    from adk_store import engine

    return engine


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
