"""ADK's own session tables: ``DatabaseSessionService`` (v1 and legacy v0) and
``SqliteSessionService``.

All three use the table names ``sessions``, ``events``, ``app_states`` and
``user_states``, with ``app:`` / ``user:`` keys kept unprefixed in the state
tables. They differ in how an event is stored:

- v1 (``DatabaseSessionService`` since ADK 1.22): the whole event as JSON in
  ``event_data``; times as naive UTC datetimes.
- v0 (ADK 1.19 to 1.21): one column per event field, ``actions`` pickled.
  Rebuilt the way ADK 2.13's own v0 reader rebuilds it, the pickle loaded by
  `adk_store.transfer.restricted_pickle`.
- ``SqliteSessionService``: JSON text in ``event_data``; times as Unix epoch
  seconds (REAL).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime
from typing import Any, TypeVar

from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.genai import types
from pydantic import BaseModel, ValidationError
from sqlalchemy import column, table
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine

from adk_store.errors import StoreConfigurationError
from adk_store.transfer.restricted_pickle import UnreadablePickleError, restricted_loads
from adk_store.transfer.source_records import (
    SourceRowError,
    checked_event_row,
)
from adk_store.transfer.sources import JsonStateSource, SourceTables
from adk_store.transfer.values import epoch_datetime, json_object, json_value, utc_datetime

ADK_TABLES = ("sessions", "events", "app_states", "user_states")
# DatabaseSessionService (v1) records its schema version here.
METADATA_TABLE = "adk_internal_metadata"

V1_EVENT_COLUMNS = ("id", "app_name", "user_id", "session_id", "invocation_id", "timestamp")
V0_REQUIRED_COLUMNS = (*V1_EVENT_COLUMNS, "author", "actions")
# Columns older v0 databases may lack; a missing one reads as unset.
V0_OPTIONAL_COLUMNS = (
    "long_running_tool_ids_json",
    "branch",
    "content",
    "grounding_metadata",
    "custom_metadata",
    "usage_metadata",
    "citation_metadata",
    "partial",
    "turn_complete",
    "error_code",
    "error_message",
    "interrupted",
    "input_transcription",
    "output_transcription",
)
# v0 JSON columns and the model each one holds.
_V0_MODELS: dict[str, type[BaseModel]] = {
    "content": types.Content,
    "grounding_metadata": types.GroundingMetadata,
    "usage_metadata": types.GenerateContentResponseUsageMetadata,
    "citation_metadata": types.CitationMetadata,
    "input_transcription": types.Transcription,
    "output_transcription": types.Transcription,
}

M = TypeVar("M", bound=BaseModel)


def adk_tables(event_columns: Collection[str]) -> SourceTables:
    return SourceTables(
        sessions=table(
            "sessions",
            *(column(name) for name in ("app_name", "user_id", "id", "state")),
            column("create_time"),
            column("update_time"),
        ),
        events=table("events", *(column(name) for name in event_columns)),
        app_states=table("app_states", column("app_name"), column("state"), column("update_time")),
        user_states=table(
            "user_states",
            column("app_name"),
            column("user_id"),
            column("state"),
            column("update_time"),
        ),
    )


class AdkSource(JsonStateSource):
    """ADK's ``DatabaseSessionService`` tables, schema v1 (events as JSON)."""

    kind = "adk"
    title = "ADK DatabaseSessionService (schema v1)"

    def __init__(
        self,
        engine: AsyncEngine,
        event_columns: Collection[str] = (*V1_EVENT_COLUMNS, "event_data"),
    ) -> None:
        super().__init__(engine, adk_tables(event_columns))

    def time(self, value: Any, what: str) -> datetime:
        """A stored time: naive UTC in ADK's SQLAlchemy tables."""
        return utc_datetime(value, what)

    def event_of(self, row: RowMapping) -> dict[str, Any]:
        data = json_object(row["event_data"], f"event {row['id']!r}")
        # As ADK reads it: the key columns win, and the exact epoch in the
        # document is preferred over the column.
        timestamp = data.get("timestamp")
        if timestamp is None:
            timestamp = self.time(row["timestamp"], f"the timestamp of event {row['id']!r}")
            timestamp = timestamp.timestamp()
        document = {
            **data,
            "id": row["id"],
            "invocation_id": row["invocation_id"],
            "timestamp": timestamp,
        }
        return checked_event_row(validated_event(document, row["id"]))


class AdkSqliteSource(AdkSource):
    """ADK's ``SqliteSessionService`` file: JSON text, times as epoch seconds."""

    kind = "adk-sqlite"
    title = "ADK SqliteSessionService"

    def time(self, value: Any, what: str) -> datetime:
        return epoch_datetime(value, what)


class AdkV0Source(AdkSource):
    """ADK's legacy ``DatabaseSessionService`` tables, schema v0 (pickled actions)."""

    kind = "adk-v0"
    title = "ADK DatabaseSessionService (legacy schema v0)"

    def __init__(self, engine: AsyncEngine, event_columns: Collection[str]) -> None:
        missing = [name for name in V0_REQUIRED_COLUMNS if name not in event_columns]
        if missing:
            raise StoreConfigurationError(
                f"The events table lacks the v0 columns {', '.join(missing)}; it was not "
                "written by ADK's DatabaseSessionService. Check the --from URL."
            )
        present = [name for name in V0_OPTIONAL_COLUMNS if name in event_columns]
        super().__init__(engine, (*V0_REQUIRED_COLUMNS, *present))

    def event_of(self, row: RowMapping) -> dict[str, Any]:
        event_id = row["id"]
        fields = {name: row.get(name) for name in ("partial", "turn_complete", "interrupted")}
        custom = json_value(row.get("custom_metadata"), f"custom_metadata of event {event_id!r}")
        document: dict[str, Any] = {
            "id": event_id,
            "invocation_id": row["invocation_id"],
            "author": row["author"],
            "branch": row.get("branch"),
            "actions": _actions(row["actions"], event_id),
            "timestamp": self.time(
                row["timestamp"], f"the timestamp of event {event_id!r}"
            ).timestamp(),
            "long_running_tool_ids": _tool_ids(row.get("long_running_tool_ids_json"), event_id),
            "error_code": row.get("error_code"),
            "error_message": row.get("error_message"),
            "custom_metadata": custom if isinstance(custom, dict) else None,
            **{name: None if value is None else bool(value) for name, value in fields.items()},
        }
        for name, model in _V0_MODELS.items():
            value = json_value(row.get(name), f"{name} of event {event_id!r}")
            document[name] = _model(value, model, event_id)
        return checked_event_row(validated_event(document, event_id))


def validated_event(document: dict[str, Any], event_id: Any) -> Event:
    """The ADK event a stored document describes, or a SourceRowError saying why not."""
    try:
        return Event.model_validate(document)
    except ValidationError as exc:
        raise SourceRowError(f"event {event_id!r} is not a valid ADK event: {exc}") from None


def _actions(value: Any, event_id: Any) -> EventActions:
    """The event's pickled EventActions, as ADK's v0 reader rebuilds them."""
    if value is None:
        return EventActions()
    try:
        loaded = restricted_loads(bytes(value))
    except UnreadablePickleError as exc:
        raise SourceRowError(f"event {event_id!r}: {exc}") from None
    # Actions pickled by an older ADK may lack newer fields: revalidate.
    if isinstance(loaded, BaseModel):
        loaded = loaded.model_dump()
    try:
        return EventActions.model_validate(loaded)
    except ValidationError as exc:
        raise SourceRowError(f"event {event_id!r} has unreadable actions: {exc}") from None


def _tool_ids(value: Any, event_id: Any) -> set[str]:
    if not value:
        return set()
    try:
        return set(json.loads(value))
    except (ValueError, TypeError):
        raise SourceRowError(
            f"event {event_id!r}: long_running_tool_ids_json {value!r} is not a JSON list."
        ) from None


def _model(value: Any, model: type[M], event_id: Any) -> M | None:
    """A v0 JSON column's model; anything but an object reads as unset, as in ADK."""
    if not isinstance(value, dict):
        return None
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise SourceRowError(f"event {event_id!r}: {exc}") from None
