"""adk-store: a SQL session store for Google's Agent Development Kit."""

from adk_store.engine import default_database_path
from adk_store.errors import (
    DuplicateEventError,
    SchemaNotReadyError,
    StoreConfigurationError,
    StoreConnectionError,
)
from adk_store.schema import StoreSchema, build_schema
from adk_store.service import SessionPage, SqlSessionService
from adk_store.store import SessionStore

__all__ = [
    "DuplicateEventError",
    "SchemaNotReadyError",
    "SessionPage",
    "SessionStore",
    "SqlSessionService",
    "StoreConfigurationError",
    "StoreConnectionError",
    "StoreSchema",
    "build_schema",
    "default_database_path",
]
