"""Opaque page tokens for keyset-paged listings.

A token is the sort key of the last item a page returned, plus the query it
belongs to, as URL-safe base64 JSON: not a secret, but callers should treat
it as opaque. A token is only valid for the query that produced it.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from adk_store.errors import InvalidArgumentError
from adk_store.records import EventCursor, ListingCursor

MAX_PAGE_SIZE = 1000


def _encode(query: list[str | None], key: list[str]) -> str:
    raw = json.dumps([query, key], separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(token: str, query: list[str | None], width: int) -> list[str]:
    """The sort key in ``token``; ValueError if it is malformed or from another query."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        token_query, key = json.loads(raw)
        if not isinstance(key, list) or len(key) != width:
            raise ValueError
        key = [str(part) for part in key]
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise InvalidArgumentError(
            "Invalid page_token: pass the next_page_token returned by the previous page."
        ) from None
    if token_query != query:
        raise InvalidArgumentError(
            "This page_token belongs to another listing (a different app_name or user_id); "
            "start again without a page_token."
        )
    return key


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _text(value: datetime) -> str:
    return value.isoformat(timespec="microseconds")


def encode(cursor: ListingCursor, app_name: str, user_id: str | None) -> str:
    return _encode(
        ["sessions", app_name, user_id],
        [_text(cursor.update_time), cursor.user_id, cursor.session_id],
    )


def decode(token: str, app_name: str, user_id: str | None) -> ListingCursor:
    when, user, session = _decode(token, ["sessions", app_name, user_id], 3)
    try:
        return ListingCursor(_time(when), user, session)
    except ValueError:
        raise InvalidArgumentError("Invalid page_token: it holds no valid time.") from None


def encode_events(cursor: EventCursor, app_name: str, user_id: str) -> str:
    return _encode(
        ["events", app_name, user_id], [cursor.session_id, str(cursor.seq), cursor.event_id]
    )


def decode_events(token: str, app_name: str, user_id: str) -> EventCursor:
    session, position, event = _decode(token, ["events", app_name, user_id], 3)
    if not position.lstrip("-").isdigit():
        raise InvalidArgumentError("Invalid page_token: it holds no event position.")
    return EventCursor(session, int(position), event)


def check_page_size(page_size: int) -> int:
    if not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidArgumentError(f"page_size must be an integer from 1 to {MAX_PAGE_SIZE}.")
    return page_size
