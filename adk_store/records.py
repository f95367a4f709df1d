"""Plain data passed between the service and the store.

The store knows nothing of ADK's pydantic models; these records carry exactly
what it reads and writes, already JSON-safe.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic_core import to_jsonable_python

logger = logging.getLogger("adk_store")

APP_PREFIX = "app:"
USER_PREFIX = "user:"
TEMP_PREFIX = "temp:"


@dataclass
class StoredSession:
    """A session row with the scoped state it merges with."""

    app_name: str
    user_id: str
    id: str
    state: dict[str, Any]
    revision: int
    create_time: datetime
    update_time: datetime
    incarnation: str
    app_state: dict[str, Any] = field(default_factory=dict)
    user_state: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def version(self) -> SessionVersion:
        return SessionVersion(self.revision, self.incarnation)

    def merged_state(self) -> dict[str, Any]:
        """Session keys, then ``app:`` keys, then ``user:`` keys, as ADK merges them."""
        merged = dict(self.state)
        merged.update({APP_PREFIX + key: value for key, value in self.app_state.items()})
        merged.update({USER_PREFIX + key: value for key, value in self.user_state.items()})
        return merged


@dataclass(frozen=True)
class StateDeltas:
    """A state change split by scope; ``temp:`` keys are already gone."""

    session: dict[str, Any] = field(default_factory=dict)
    app: dict[str, Any] = field(default_factory=dict)
    user: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def split(cls, state: dict[str, Any] | None) -> StateDeltas:
        deltas = cls()
        for key, value in json_safe(state or {}).items():
            if key.startswith(APP_PREFIX):
                deltas.app[key.removeprefix(APP_PREFIX)] = value
            elif key.startswith(USER_PREFIX):
                deltas.user[key.removeprefix(USER_PREFIX)] = value
            elif not key.startswith(TEMP_PREFIX):
                deltas.session[key] = value
        return deltas


# The times an event may carry (see `is_storable_time`): from the earliest
# DATETIME MySQL accepts to the last instant Python's datetime can hold.
EARLIEST_TIME = datetime(1000, 1, 1, tzinfo=UTC)
EARLIEST_TIMESTAMP = EARLIEST_TIME.timestamp()
# The start of year 10000 in seconds since the epoch, the first time past the
# range: every float below it converts to a datetime of year 9999 at most.
END_TIMESTAMP = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp() + 1


@dataclass(frozen=True)
class ListingCursor:
    """Where a listing page ended: the sort key of its last session."""

    update_time: datetime
    user_id: str
    session_id: str

    @classmethod
    def before_everything(cls) -> ListingCursor:
        return cls(EARLIEST_TIME, "", "")

    @classmethod
    def after(cls, session: StoredSession) -> ListingCursor:
        return cls(session.update_time, session.user_id, session.id)


@dataclass(frozen=True)
class EventCursor:
    """Where a page of a user's events ended: session, position and id of its last event."""

    session_id: str
    seq: int
    event_id: str

    @classmethod
    def before_everything(cls) -> EventCursor:
        return cls("", -1, "")


@dataclass(frozen=True)
class UserEventRecord:
    """One stored event of a user, with the session it belongs to."""

    session_id: str
    seq: int
    timestamp: datetime
    event_data: dict[str, Any]

    @property
    def cursor(self) -> EventCursor:
        return EventCursor(self.session_id, self.seq, str(self.event_data["id"]))


# What ``secrets.token_hex`` makes, and '0' for sessions created before 0002.
_INCARNATION = re.compile(r"[0-9a-f]{1,32}")


@dataclass(frozen=True)
class SessionVersion:
    """Which write of which creation of a session a copy was read at.

    The revision alone restarts at 0 when a session is deleted and created
    again under the same id, and so can the creation time under a frozen or
    coarse clock; the incarnation, random per creation, cannot repeat, so a
    copy of the deleted session never passes for the new one.
    """

    revision: int
    incarnation: str

    @property
    def marker(self) -> str:
        """The form kept on ADK's ``Session`` (``_storage_update_marker``)."""
        return f"{self.revision}:{self.incarnation}"

    @classmethod
    def parse(cls, marker: str) -> SessionVersion | None:
        """The version in ``marker``, or None if it is not one this store wrote."""
        revision, _, incarnation = marker.partition(":")
        if not (revision.isdigit() and _INCARNATION.fullmatch(incarnation)):
            return None
        return cls(int(revision), incarnation)


@dataclass(frozen=True)
class AppendOutcome:
    """What storage holds after an append."""

    version: SessionVersion
    duplicate: bool


def json_safe(state: dict[str, Any]) -> dict[str, Any]:
    """State as JSON data, converting what JSON cannot hold like ADK does.

    Rich values (datetimes, pydantic models, sets) convert faithfully; values
    with no JSON form at all (callables, arbitrary objects) are stored as their
    text with a warning rather than failing the write.
    """
    try:
        result = to_jsonable_python(state)
    except Exception:
        logger.warning(
            "Some state values are not JSON-serialisable; they are stored as their "
            "text representation. Keys: %s",
            sorted(state),
            exc_info=True,
        )
        result = to_jsonable_python(state, serialize_unknown=True)
    return dict(result)


def is_storable_time(timestamp: float) -> bool:
    """Whether an event time (seconds since the epoch) is one every database stores.

    MySQL's DATETIME starts at year 1000 and nothing goes past 9999; the
    listing cursors start at `EARLIEST_TIME`, so a session updated before it
    would never be listed. False for NaN.
    """
    return EARLIEST_TIMESTAMP <= timestamp < END_TIMESTAMP


def to_datetime(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)
