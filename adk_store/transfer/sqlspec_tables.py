"""sqlspec's ADK tables (``sqlspec.extensions.adk``), on any of its adapters.

sqlspec stores the whole event as JSON in ``event_data`` like ADK's v1 schema,
but its state tables keep the ``app:`` / ``user:`` prefix on their keys, and on
SQLite its times are Julian day numbers. Table names are configurable in
sqlspec (``extension_config["adk"]``); the defaults are those of sqlspec 0.69.
An ``owner_id_column`` of sqlspec's sessions table is not read.
"""

from __future__ import annotations

import re
from dataclasses import astuple, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import column, table
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine

from adk_store.errors import StoreConfigurationError
from adk_store.transfer.adk_tables import validated_event
from adk_store.transfer.source_records import (
    checked_event_row,
)
from adk_store.transfer.sources import JsonStateSource, SourceTables
from adk_store.transfer.values import json_object, julian_datetime

# sqlspec's own rule for its table names.
_TABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


@dataclass(frozen=True)
class SqlspecTableNames:
    """The names of sqlspec's four ADK tables (``session_table``, ``events_table``, ...)."""

    sessions: str = "adk_session"
    events: str = "adk_event"
    app_states: str = "adk_app_state"
    user_states: str = "adk_user_state"

    def __post_init__(self) -> None:
        for name in astuple(self):
            if not isinstance(name, str) or not _TABLE_NAME.fullmatch(name):
                raise StoreConfigurationError(
                    f"Invalid sqlspec table name {name!r}: use letters, digits and "
                    "underscores, not starting with a digit (at most 63 characters)."
                )

    @classmethod
    def parse(cls, spec: str) -> SqlspecTableNames:
        """``sessions,events,app_states,user_states``, as given on the command line."""
        names = [name.strip() for name in spec.split(",")]
        if len(names) != 4:
            raise StoreConfigurationError(
                f"--sqlspec-tables {spec!r}: give four comma-separated names, sessions, events, "
                "app state and user state, for example "
                "'adk_session,adk_event,adk_app_state,adk_user_state'."
            )
        return cls(*names)


class SqlspecSource(JsonStateSource):
    """sqlspec's ADK session store tables."""

    kind = "sqlspec"
    title = "sqlspec ADK session store"

    def __init__(self, engine: AsyncEngine, names: SqlspecTableNames | None = None) -> None:
        names = names or SqlspecTableNames()
        super().__init__(
            engine,
            SourceTables(
                sessions=table(
                    names.sessions,
                    *(column(name) for name in ("id", "app_name", "user_id", "state")),
                    column("create_time"),
                    column("update_time"),
                ),
                events=table(
                    names.events,
                    *(column(name) for name in ("id", "app_name", "user_id", "session_id")),
                    column("invocation_id"),
                    column("timestamp"),
                    column("event_data"),
                ),
                app_states=table(
                    names.app_states, column("app_name"), column("state"), column("update_time")
                ),
                user_states=table(
                    names.user_states,
                    column("app_name"),
                    column("user_id"),
                    column("state"),
                    column("update_time"),
                ),
            ),
        )

    # Keys already carry their app:/user: prefix here.
    scope_keys_prefixed = True

    def time(self, value: Any, what: str) -> datetime:
        """Julian days on SQLite, a timestamp column everywhere else."""
        return julian_datetime(value, what)

    def event_of(self, row: RowMapping) -> dict[str, Any]:
        document = json_object(row["event_data"], f"event {row['id']!r}")
        # As sqlspec reads it back: an explicit null actions is dropped, and
        # the columns fill in what the document lacks.
        if document.get("actions") is None:
            document.pop("actions", None)
        document.setdefault("id", row["id"])
        document.setdefault("invocation_id", row["invocation_id"])
        if "timestamp" not in document:
            when = self.time(row["timestamp"], f"the timestamp of event {row['id']!r}")
            document["timestamp"] = when.timestamp()
        return checked_event_row(validated_event(document, row["id"]))
