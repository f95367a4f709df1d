"""Errors raised by adk-store in addition to ADK's own.

ADK's error types (``StaleSessionError``, ``SessionNotFoundError``,
``AlreadyExistsError``) are raised where ADK's contract names them, so callers
written against ADK keep working; the types here cover what ADK has no word for.
"""

from __future__ import annotations

from google.adk.errors.already_exists_error import AlreadyExistsError


class SchemaNotReadyError(RuntimeError):
    """The database has no adk-store tables, or an older revision of them."""


class DuplicateEventError(AlreadyExistsError):
    """An event id already stored in the session arrived with different content.

    Subclasses ``AlreadyExistsError`` so code that handles ADK's duplicate
    errors handles this one too.
    """


class StoreConfigurationError(ValueError):
    """A URL, prefix or option given to adk-store cannot be used."""


class StoreConnectionError(ConnectionError):
    """The database could not be reached; the message names it without its password."""
