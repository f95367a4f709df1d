"""What adk-store agrees to store: values every supported database keeps exactly.

Each database refuses or alters different values: PostgreSQL refuses the NUL
character and NaN, MariaDB refuses JSON nested deeper than 31 levels, MySQL
keeps JSON integers beyond 64 bits as floating point, PostgreSQL gives floats
of 1e16 and more back as integers and ``-0.0`` back as ``0.0``, and no
database can encode a lone surrogate as UTF-8; event times run from year
1000 (MySQL's DATETIME) to 9999. A value one of them cannot keep is refused
here, before any SQL and on every database alike, so that what one database
accepted can later be copied to any other, and the caller gets a
`adk_store.errors.UnstorableValueError` naming the offending path
instead of a driver error.

The check is one walk over the caller's objects, before they are converted
to JSON: a float that pydantic would silently turn into ``null`` is still
visible then. The walk records no path while it goes; the path is assembled
only on the way out of a refusal.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from adk_store.errors import UnstorableValueError
from adk_store.records import TEMP_PREFIX, is_storable_time

# Objects and arrays a stored JSON document may nest (MariaDB's limit; MySQL
# allows 100 and PostgreSQL more).
MAX_JSON_DEPTH = 31
# An event document holds a state change three levels down (the event, its
# actions, their state_delta). State is checked as if it were there, so a
# value that can be set at creation can be set by an event too.
STATE_DEPTH_IN_EVENT = 3
MAX_STATE_VALUE_DEPTH = MAX_JSON_DEPTH - STATE_DEPTH_IN_EVENT

# Signed 64-bit integers: MySQL's binary JSON turns integers past 64 bits into
# doubles, and the signed range is the one every client language can hold.
MIN_EXACT_INT = -(2**63)
MAX_EXACT_INT = 2**63 - 1
# PostgreSQL prints a jsonb number without an exponent, so a float written as
# 1e+16 or more (Python's repr switches to exponents there) is read back as an int.
MAX_EXACT_FLOAT_MAGNITUDE = 1e16

# Values that become ASCII text in JSON whatever they hold.
_PLAIN_LEAVES = (type(None), bool, datetime, date, time, timedelta, UUID, Decimal)
_SURROGATE = re.compile("[\ud800-\udfff]")
_SHOWN_CHARACTERS = 40
_SHOWN_PATH_CHARACTERS = 240


class _Refusal(Exception):
    """Raised where a walk finds a value it cannot store; callers add the path."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.steps: list[str] = []


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored on every database, or None if it can."""
    position = text.find("\x00")
    if position >= 0:
        return (
            f"contains the NUL character (\\x00) at position {position}. PostgreSQL cannot "
            "store it in text or JSON, so adk-store refuses it on every database (data stays "
            "movable between them). Remove it; binary data belongs in bytes (for example a "
            "Part's inline_data), which is stored as base64."
        )
    if not text.isascii():
        found = _SURROGATE.search(text)
        if found:
            return (
                f"contains a lone surrogate (U+{ord(found.group()):04X}) at position "
                f"{found.start()}, which is not Unicode text and cannot be encoded as UTF-8. "
                "Fix the text where it was decoded (for example decode bytes with "
                "errors='replace')."
            )
    return None


def check_state(state: object) -> None:
    """Refuse a state dict (as given to ``create_session``) that cannot be stored exactly.

    ``temp:`` keys are skipped: they are never stored.
    """
    if state is None:
        return
    if not isinstance(state, Mapping):
        raise UnstorableValueError(
            f"state must be a dict of keys to values, got {type(state).__name__}."
        )
    try:
        _walk_state(state, STATE_DEPTH_IN_EVENT)
    except _Refusal as refusal:
        raise _error("state", refusal) from None


def check_event(event: Event) -> None:
    """Refuse an event that cannot be stored exactly: its time, its fields and its state change."""
    problem = _time_problem(event.timestamp)
    if problem:
        raise UnstorableValueError(f"Cannot store event.timestamp: it {problem}")
    try:
        _walk_model(event, 1, as_state=False)
    except _Refusal as refusal:
        raise _error("event", refusal) from None


def _error(root: str, refusal: _Refusal) -> UnstorableValueError:
    path = root + "".join(reversed(refusal.steps))
    if len(path) > _SHOWN_PATH_CHARACTERS:
        half = _SHOWN_PATH_CHARACTERS // 2
        path = f"{path[:half]}...{path[-half:]}"
    return UnstorableValueError(f"Cannot store {path}: it {refusal.problem}")


def _walk_state(state: Mapping[Any, Any], depth: int) -> None:
    """A state dict as stored: ``temp:`` keys dropped, bytes kept as UTF-8 text."""
    for key, value in state.items():
        if type(key) is str and key.startswith(TEMP_PREFIX):
            continue
        _walk_key(key)
        try:
            _walk(value, depth, True)
        except _Refusal as refusal:
            refusal.steps.append(_key_step(key))
            raise


def _walk(value: Any, depth: int, as_state: bool) -> None:
    """Check one value found ``depth`` containers down (the root document is 1).

    ``as_state``: the value is state, where bytes are stored as UTF-8 text
    (as ADK's services store them); elsewhere in an event they are base64.
    """
    kind = type(value)
    if kind is str:
        if "\x00" in value or (not value.isascii() and _SURROGATE.search(value)):
            raise _Refusal(text_problem(value) or "is not storable text.")
    elif kind is int:
        if not MIN_EXACT_INT <= value <= MAX_EXACT_INT:
            raise _Refusal(_int_problem(value))
    elif kind is float:
        # False for NaN too, so one comparison covers NaN, infinities and size;
        # only a zero needs its sign looked at.
        if not -MAX_EXACT_FLOAT_MAGNITUDE < value < MAX_EXACT_FLOAT_MAGNITUDE or (
            value == 0.0 and math.copysign(1.0, value) < 0.0
        ):
            raise _Refusal(_float_problem(value))
    elif kind is dict:
        _walk_mapping(value, depth + 1, as_state)
    elif kind is list or kind is tuple:
        _walk_items(value, depth + 1, as_state)
    elif isinstance(value, _PLAIN_LEAVES):
        return
    elif isinstance(value, BaseModel):
        _walk_model(value, depth + 1, as_state)
    else:
        _walk_other(value, depth, as_state)


def _walk_other(value: object, depth: int, as_state: bool) -> None:
    """Subclasses of the plain types, bytes, sets, and anything JSON has no form for."""
    if isinstance(value, Enum):
        _walk(value.value, depth, as_state)
    elif isinstance(value, str):
        problem = text_problem(value)
        if problem:
            raise _Refusal(problem)
    elif isinstance(value, int):
        _walk(int(value), depth, as_state)
    elif isinstance(value, float):
        _walk(float(value), depth, as_state)
    elif isinstance(value, (bytes, bytearray)):
        if as_state:
            _walk_bytes_as_text(value)
    elif isinstance(value, Mapping):
        _walk_mapping(value, depth + 1, as_state)
    elif isinstance(value, (list, tuple, set, frozenset)):
        _walk_items(value, depth + 1, as_state)
    else:
        # What ADK's services store for it: its JSON conversion, or its text.
        try:
            converted = to_jsonable_python(value, serialize_unknown=True)
        except (ValueError, TypeError) as exc:
            raise _Refusal(f"cannot be converted to JSON ({exc}).") from None
        _walk(converted, depth, as_state)


def _walk_mapping(mapping: Mapping[Any, Any], depth: int, as_state: bool) -> None:
    if depth > MAX_JSON_DEPTH:
        raise _Refusal(_depth_problem())
    for key, value in mapping.items():
        _walk_key(key)
        try:
            _walk(value, depth, as_state)
        except _Refusal as refusal:
            refusal.steps.append(_key_step(key))
            raise


def _walk_items(items: Any, depth: int, as_state: bool) -> None:
    if depth > MAX_JSON_DEPTH:
        raise _Refusal(_depth_problem())
    for index, item in enumerate(items):
        try:
            _walk(item, depth, as_state)
        except _Refusal as refusal:
            refusal.steps.append(f"[{index}]")
            raise


def _walk_model(model: BaseModel, depth: int, as_state: bool) -> None:
    if depth > MAX_JSON_DEPTH:
        raise _Refusal(_depth_problem())
    actions = isinstance(model, EventActions)
    fields = model.__dict__.items()
    if model.__pydantic_extra__:
        fields = {**model.__dict__, **model.__pydantic_extra__}.items()
    for name, value in fields:
        if value is None:
            continue
        try:
            if actions and name == "state_delta":
                _walk_state(value, depth + 1)
            else:
                _walk(value, depth, as_state)
        except _Refusal as refusal:
            refusal.steps.append(f".{name}")
            raise


def _walk_key(key: object) -> None:
    if isinstance(key, str):
        problem = text_problem(key)
        if problem:
            raise _Refusal(f"has a key {_shown(key)} that {problem}")


def _walk_bytes_as_text(value: bytes | bytearray) -> None:
    try:
        text = value.decode()
    except UnicodeDecodeError as exc:
        raise _Refusal(
            f"is bytes that are not UTF-8 text (byte {exc.start}); state stores bytes as "
            "text, as ADK's own services do. Store binary data base64-encoded as a string, "
            "or as an artifact."
        ) from None
    problem = text_problem(text)
    if problem:
        raise _Refusal(f"is bytes whose text {problem}")


def _int_problem(value: int) -> str:
    return (
        f"is an integer of {value.bit_length()} bits, outside the signed 64-bit range "
        f"({MIN_EXACT_INT} to {MAX_EXACT_INT}) that every supported database keeps exactly "
        "(MySQL's JSON turns larger integers into floating point). Store it as a string."
    )


def _float_problem(value: float) -> str:
    if math.isnan(value):
        return (
            "is NaN, which JSON cannot represent (PostgreSQL and MySQL refuse it), so "
            "adk-store refuses it on every database. Store None, or a string such as 'NaN'."
        )
    if math.isinf(value):
        return (
            f"is {value}, which JSON cannot represent (PostgreSQL and MySQL refuse it), so "
            "adk-store refuses it on every database. Store None, or a string such as 'inf'."
        )
    if value == 0.0:
        return (
            "is -0.0: PostgreSQL keeps no sign on zero and gives it back as 0.0, so adk-store "
            "refuses it on every database. Store 0.0, or a string such as '-0.0' if the sign "
            "matters."
        )
    return (
        f"is the float {value!r}: PostgreSQL gives floats of magnitude "
        f"{MAX_EXACT_FLOAT_MAGNITUDE:g} and more back as integers, so adk-store refuses them "
        "on every database. Store it as a string, or as an int if it is a whole number "
        "that fits in 64 bits."
    )


def _time_problem(timestamp: object) -> str | None:
    """Why an event time cannot be stored, or None if it can.

    Checked before the time becomes a datetime, which would raise a bare
    ``ValueError`` or ``OverflowError`` past year 9999.
    """
    if isinstance(timestamp, bool) or not isinstance(timestamp, int | float):
        return f"is {type(timestamp).__name__}, not seconds since the Unix epoch."
    if is_storable_time(timestamp):
        return None
    if math.isnan(timestamp):
        reason = "is NaN, which is no time"
    elif timestamp > 0:
        reason = f"is {timestamp!r}: after 9999-12-31 23:59:59.999999 UTC, the last time there is"
    else:
        reason = f"is {timestamp!r}: before 1000-01-01 UTC, where MySQL's DATETIME starts"
    return (
        f"{reason}. adk-store stores event times from 1000-01-01 to 9999-12-31 UTC on every "
        "database. Give the time in seconds since the Unix epoch, as time.time() does."
    )


def _depth_problem() -> str:
    return (
        f"nests objects and arrays more than {MAX_JSON_DEPTH} levels deep in its JSON "
        "document (or contains itself). MariaDB refuses deeper JSON, so adk-store enforces "
        f"the limit on every database; a state value may nest {MAX_STATE_VALUE_DEPTH} levels, "
        "as an event wraps it in three more. Flatten it, or store the deep part as a JSON "
        "string."
    )


def _key_step(key: object) -> str:
    return f"[{_shown(key)}]"


def _shown(value: object) -> str:
    """A short repr: a key or id can be megabytes long."""
    if isinstance(value, str) and len(value) > _SHOWN_CHARACTERS:
        return repr(value[:_SHOWN_CHARACTERS]) + "..."
    return repr(value)
