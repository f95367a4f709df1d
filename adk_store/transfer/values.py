"""Column values as the other stores leave them, turned into Python values.

The same logical column comes back differently per store and database: JSON
as a dict (PostgreSQL JSONB) or as text (everywhere else), a time as a naive
UTC datetime, ISO text (SQLAlchemy's SQLite DATETIME), a Unix epoch (ADK's
``SqliteSessionService``) or a Julian day (sqlspec on SQLite).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from adk_store.transfer.source_records import SourceRowError

# sqlspec's SQLite tables store times as Julian days; day 2440587.5 is the Unix epoch.
_JULIAN_UNIX_EPOCH = 2440587.5
_SECONDS_PER_DAY = 86400.0
_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def json_value(value: Any, what: str) -> Any:
    """A JSON column's value: already decoded, or JSON text/bytes to decode."""
    if isinstance(value, bytes | bytearray | memoryview):
        value = bytes(value).decode()
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError as exc:
        raise SourceRowError(f"{what} is not valid JSON ({exc}).") from None


def json_object(value: Any, what: str) -> dict[str, Any]:
    """A JSON column that must hold an object; NULL reads as an empty one."""
    decoded = json_value(value, what)
    if decoded is None:
        return {}
    if not isinstance(decoded, dict):
        raise SourceRowError(f"{what} holds a JSON {type(decoded).__name__}, not an object.")
    return decoded


def utc_datetime(value: Any, what: str) -> datetime:
    """A stored UTC time (naive or aware datetime, ISO text) as an aware datetime."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise SourceRowError(f"{what} {value!r} is not a date and time.") from None
    if not isinstance(value, datetime):
        raise SourceRowError(f"{what} holds {type(value).__name__}, not a date and time.")
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def epoch_datetime(value: Any, what: str) -> datetime:
    """Seconds since the Unix epoch (ADK's SQLite service) as an aware datetime."""
    if not isinstance(value, int | float):
        raise SourceRowError(f"{what} holds {type(value).__name__}, not epoch seconds.")
    return datetime.fromtimestamp(value, tz=UTC)


def julian_datetime(value: Any, what: str) -> datetime:
    """A Julian day number (sqlspec on SQLite) as sqlspec itself reads it back."""
    if not isinstance(value, int | float):
        return utc_datetime(value, what)
    return _UNIX_EPOCH + timedelta(seconds=(value - _JULIAN_UNIX_EPOCH) * _SECONDS_PER_DAY)
