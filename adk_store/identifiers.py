"""Validation of every name and id before it reaches SQL.

Table prefixes become part of identifiers, so they are checked against a strict
pattern rather than quoted; ids are bound parameters but still have column
limits, which are enforced here so that an overlong id fails the same way on
every database instead of being truncated by one and rejected by another. The
same goes for text one database cannot hold (NUL, lone surrogates) and for
trailing spaces, which MySQL and MariaDB ignore when comparing.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from adk_store.errors import InvalidIdError, StoreConfigurationError
from adk_store.validation import check_event, text_problem

if TYPE_CHECKING:
    from google.adk.events.event import Event

DEFAULT_TABLE_PREFIX = "adk_"
MAX_ID_LENGTH = 128
MAX_INVOCATION_ID_LENGTH = 256
MAX_AUTHOR_LENGTH = 256
MAX_BRANCH_LENGTH = 1024

# Lower case only: unquoted identifiers fold to upper case on Oracle and to
# lower case on PostgreSQL, so mixed case would name different tables.
# The length keeps the longest generated index name within PostgreSQL's 63.
_PREFIX_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,23}")
# Schema and column names we are given: the same rule, PostgreSQL's length.
_IDENTIFIER_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,62}")


def validate_table_prefix(prefix: str) -> str:
    """Return ``prefix`` if it can safely start every table and index name."""
    if not isinstance(prefix, str) or not _PREFIX_PATTERN.fullmatch(prefix):
        raise StoreConfigurationError(
            f"Invalid table prefix {prefix!r}: use 1 to 24 characters, a lower-case "
            "letter first, then lower-case letters, digits or underscores "
            "(for example 'adk_' or 'tenant1_')."
        )
    return prefix


def validate_identifier(what: str, name: object) -> str:
    """Return ``name`` if it is a plain lower-case SQL identifier.

    Names we are given are embedded in DDL and queries, so they are held to
    a pattern that needs no quoting on any database, never escaped.
    """
    if not isinstance(name, str) or not _IDENTIFIER_PATTERN.fullmatch(name):
        raise StoreConfigurationError(
            f"Invalid {what} {name!r}: use 1 to 63 characters, a lower-case letter first, "
            "then lower-case letters, digits or underscores."
        )
    return name


def validate_schema_name(name: object) -> str:
    """Return ``name`` if it can name the PostgreSQL schema holding our tables.

    PostgreSQL's own schemas are refused: ``pg_*`` names are reserved (a
    CREATE SCHEMA fails), and ``information_schema`` holds the standard's
    catalog views, which are rebuilt with ``DROP SCHEMA information_schema
    CASCADE`` when a PostgreSQL release asks for it: our tables would go too.
    """
    validate_identifier("schema name", name)
    assert isinstance(name, str)
    if name.startswith("pg_"):
        raise StoreConfigurationError(
            f"Invalid schema name {name!r}: names starting with 'pg_' are reserved by "
            "PostgreSQL; choose another, such as 'agents'."
        )
    if name == "information_schema":
        raise StoreConfigurationError(
            "Invalid schema name 'information_schema': it is PostgreSQL's catalog of the "
            "database, not a place for tables; choose another, such as 'agents'."
        )
    return name


def check_id(field: str, value: object, limit: int = MAX_ID_LENGTH) -> str:
    """Return ``value`` if it is a string that fits its column and every database keeps.

    Raises `adk_store.errors.InvalidIdError` (a ``ValueError``) naming the
    field and the problem before any SQL runs.
    """
    if not isinstance(value, str):
        raise InvalidIdError(f"{field} must be a string, got {type(value).__name__}.")
    if len(value) > limit:
        raise InvalidIdError(
            f"{field} is {len(value)} characters long; the limit is {limit}. Use a shorter {field}."
        )
    problem = text_problem(value)
    if problem:
        raise InvalidIdError(f"{field} {value[:40]!r} {problem}")
    # Trailing spaces are kept: every database compares ids exactly (MySQL
    # and MariaDB through a NO PAD collation), so 'alice ' is not 'alice'.
    return value


def check_storable_event(event: Event) -> None:
    """Refuse an event the store could not keep exactly: its ids, then every field.

    The service checks every append with it, and an import checks every
    source event the same way, so what one accepts the other does.
    """
    check_id("event id", event.id)
    check_id("invocation_id", event.invocation_id, MAX_INVOCATION_ID_LENGTH)
    check_id("author", event.author, MAX_AUTHOR_LENGTH)
    if event.branch is not None:
        check_id("branch", event.branch, MAX_BRANCH_LENGTH)
    check_event(event)


def check_session_key(app_name: object, user_id: object, session_id: object) -> None:
    """Validate the three parts that identify a session."""
    check_id("app_name", app_name)
    check_id("user_id", user_id)
    check_id("session_id", session_id)
