"""Opaque page tokens for keyset-paged session listings.

A token is the sort key of the last session a page returned, plus the query
it belongs to, as URL-safe base64 JSON: not a secret, but callers should treat
it as opaque. A token is only valid for the same app and user filter.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from adk_store.records import ListingCursor

MAX_PAGE_SIZE = 1000


def encode(cursor: ListingCursor, app_name: str, user_id: str | None) -> str:
    payload = [
        app_name,
        user_id,
        cursor.update_time.isoformat(timespec="microseconds"),
        cursor.user_id,
        cursor.session_id,
    ]
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str, app_name: str, user_id: str | None) -> ListingCursor:
    """The cursor in ``token``; ValueError if it is malformed or from another listing."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        token_app, token_user, when, last_user, last_id = json.loads(raw)
        cursor = ListingCursor(datetime.fromisoformat(when), str(last_user), str(last_id))
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise ValueError(
            "Invalid page_token: pass the next_page_token returned by the previous page."
        ) from None
    if (token_app, token_user) != (app_name, user_id):
        raise ValueError(
            "This page_token belongs to another listing (a different app_name or user_id); "
            "start again without a page_token."
        )
    return cursor


def check_page_size(page_size: int) -> int:
    if not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be an integer from 1 to {MAX_PAGE_SIZE}.")
    return page_size
