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


class UnstorableValueError(ValueError):
    """A value that some supported database cannot store, or cannot give back unchanged.

    Raised before any SQL runs and on every database alike, so what one
    database accepted can be copied to any other; the message names the
    offending path (``state['key']``, ``event.content.parts[0].text``).
    """


class PoolTimeoutError(StoreConnectionError, TimeoutError):
    """No pooled connection became free within the pool's timeout.

    A ``TimeoutError`` for code that handles timeouts, and a
    ``StoreConnectionError`` so one handler covers every "no usable
    connection" case; the message names the pool settings to raise.
    """
