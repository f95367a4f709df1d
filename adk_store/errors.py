"""Errors raised by adk-store, all under one base, `AdkStoreError`.

One ``except AdkStoreError`` clause catches everything adk-store itself
raises, whatever the database or the cause. Each class also keeps the
standard or ADK type it has always had (``ValueError``, ``ConnectionError``,
``TimeoutError``, ADK's ``AlreadyExistsError``), so code written against ADK
or against plain Python catches them as before: adding the base changes what
can catch an error, never what already does.

ADK's error types (``StaleSessionError``, ``SessionNotFoundError``,
``AlreadyExistsError``) are raised unchanged where ADK's contract names them,
so callers written against ADK keep working; the types here cover what ADK
has no word for.
"""

from __future__ import annotations

from google.adk.errors.already_exists_error import AlreadyExistsError


class AdkStoreError(Exception):
    """The base of every error adk-store raises itself."""


class SchemaNotReadyError(AdkStoreError, RuntimeError):
    """The database has no adk-store tables, or an older revision of them."""


class DuplicateEventError(AdkStoreError, AlreadyExistsError):
    """An event id already stored in the session arrived with different content.

    Subclasses ``AlreadyExistsError`` so code that handles ADK's duplicate
    errors handles this one too.
    """


class StoreConfigurationError(AdkStoreError, ValueError):
    """A URL, prefix or option given to adk-store cannot be used."""


class TransactionConflictError(AdkStoreError):
    """The database kept rolling the call's transaction back to break deadlocks.

    Each rollback is retried a few times with a random pause first (nothing
    was written by a rolled-back attempt); this is raised when every attempt
    lost, and calling again later is safe.
    """


class InvalidArgumentError(AdkStoreError, ValueError):
    """An argument of a call is malformed or out of range: a page token, a size, a duration.

    A ``ValueError``, as Python's own functions raise for such arguments.
    """


class StoreConnectionError(AdkStoreError, ConnectionError):
    """The database could not be reached; the message names it without its password."""


class UnstorableValueError(AdkStoreError, ValueError):
    """A value that some supported database cannot store, or cannot give back unchanged.

    Raised before any SQL runs and on every database alike, so what one
    database accepted can be copied to any other; the message names the
    offending path (``state['key']``, ``event.content.parts[0].text``).
    """


class InvalidIdError(UnstorableValueError):
    """An id (app name, user, session, event, ...) that cannot name a row.

    Not a string, longer than its column, or text that some database would
    store differently or match with another id. Every refusal of an id is
    this one type, so a caller validating ids it was handed (from a URL, a
    request) can tell a bad id from any other refusal; it stays a
    ``ValueError`` for code that treats bad input that way.
    """


class PoolTimeoutError(StoreConnectionError, TimeoutError):
    """No pooled connection became free within the pool's timeout.

    A ``TimeoutError`` for code that handles timeouts, and a
    ``StoreConnectionError`` so one handler covers every "no usable
    connection" case; the message names the pool settings to raise.
    """
