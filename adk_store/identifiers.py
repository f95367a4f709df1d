"""Validation of every name and id before it reaches SQL.

Table prefixes become part of identifiers, so they are checked against a strict
pattern rather than quoted; ids are bound parameters but still have column
limits, which are enforced here so that an overlong id fails the same way on
every database instead of being truncated by one and rejected by another.
"""

from __future__ import annotations

import re

from adk_store.errors import StoreConfigurationError

DEFAULT_TABLE_PREFIX = "adk_"
MAX_ID_LENGTH = 128
MAX_INVOCATION_ID_LENGTH = 256
MAX_AUTHOR_LENGTH = 256
MAX_BRANCH_LENGTH = 1024

# Lower case only: unquoted identifiers fold to upper case on Oracle and to
# lower case on PostgreSQL, so mixed case would name different tables.
# The length keeps the longest generated index name within PostgreSQL's 63.
_PREFIX_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,23}")


def validate_table_prefix(prefix: str) -> str:
    """Return ``prefix`` if it can safely start every table and index name."""
    if not isinstance(prefix, str) or not _PREFIX_PATTERN.fullmatch(prefix):
        raise StoreConfigurationError(
            f"Invalid table prefix {prefix!r}: use 1 to 24 characters, a lower-case "
            "letter first, then lower-case letters, digits or underscores "
            "(for example 'adk_' or 'tenant1_')."
        )
    return prefix


def check_id(field: str, value: object, limit: int = MAX_ID_LENGTH) -> str:
    """Return ``value`` if it is a string that fits its column.

    Raises ``ValueError`` naming the field and the limit before any SQL runs.
    """
    if not isinstance(value, str):
        raise ValueError(f"{field} must be a string, got {type(value).__name__}.")
    if len(value) > limit:
        raise ValueError(
            f"{field} is {len(value)} characters long; the limit is {limit}. Use a shorter {field}."
        )
    return value


def check_session_key(app_name: object, user_id: object, session_id: object) -> None:
    """Validate the three parts that identify a session."""
    check_id("app_name", app_name)
    check_id("user_id", user_id)
    check_id("session_id", session_id)
