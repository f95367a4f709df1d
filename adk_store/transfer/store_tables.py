"""An adk-store store as a source, for ``adk-store copy``.

Rows are copied as stored: the event document and its columns, each session's
revision and times. Nothing goes through ADK's models, so fields written by a
newer ADK than the one installed survive the copy.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.engine import RowMapping
from sqlalchemy.sql.expression import TableClause

from adk_store.store import SessionStore
from adk_store.transfer.source_records import Scope, ScopeRecord, SessionRecord
from adk_store.transfer.sources import Source, SourceTables


class StoreSource(Source):
    """The sessions of an adk-store store (its owner's, if the layout has an owner column)."""

    kind = "adk-store"
    title = "adk-store"

    def __init__(self, store: SessionStore) -> None:
        schema = store.schema
        super().__init__(
            store.engine,
            SourceTables(schema.sessions, schema.events, schema.app_states, schema.user_states),
        )
        self.store = store
        key = {*schema.owner_names, "app_name", "user_id", "session_id"}
        self._event_columns = [c.name for c in schema.events.columns if c.name not in key]

    def condition(self, table: TableClause) -> list[ColumnElement[bool]]:
        return self.store.owner_filter(table)

    def session_of(self, row: RowMapping) -> SessionRecord:
        return SessionRecord(
            row["app_name"],
            row["user_id"],
            row["id"],
            row["state"],
            row["create_time"],
            row["update_time"],
            revision=row["revision"],
            incarnation=row["incarnation"],
        )

    def scope_of(self, scope: Scope, row: RowMapping) -> ScopeRecord:
        user_id = row["user_id"] if scope == "user" else None
        return ScopeRecord(row["app_name"], user_id, row["state"], row["update_time"])

    def event_of(self, row: RowMapping) -> dict[str, Any]:
        return {name: row[name] for name in self._event_columns}
