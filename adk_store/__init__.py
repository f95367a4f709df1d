"""adk-store: a SQL session store for Google's Agent Development Kit."""

from adk_store.adk_services import RegistrySessionService, register_session_services
from adk_store.engine import default_database_path
from adk_store.errors import (
    AdkStoreError,
    DuplicateEventError,
    InvalidIdError,
    PoolTimeoutError,
    SchemaNotReadyError,
    StoreConfigurationError,
    StoreConnectionError,
    UnstorableValueError,
)
from adk_store.layout import OwnerColumn, TableLayout
from adk_store.schema import StoreSchema, build_schema
from adk_store.service import SessionPage, SqlSessionService, UserEvent, UserEventsPage
from adk_store.store import SessionStore

__all__ = [
    "AdkStoreError",
    "DuplicateEventError",
    "InvalidIdError",
    "OwnerColumn",
    "PoolTimeoutError",
    "RegistrySessionService",
    "SchemaNotReadyError",
    "SessionPage",
    "SessionStore",
    "SqlSessionService",
    "StoreConfigurationError",
    "StoreConnectionError",
    "StoreSchema",
    "TableLayout",
    "UnstorableValueError",
    "UserEvent",
    "UserEventsPage",
    "build_schema",
    "default_database_path",
    "register_session_services",
]
