"""adk-store in ADK's service registry: the session service of ``adk web`` and ``adk api_server``.

ADK's servers choose their session service by the scheme of
``--session_service_uri``, through ``google.adk.cli.service_registry``. Out of
the box ``sqlite://`` gets ADK's ``SqliteSessionService``, ``postgresql://``
and ``mysql://`` get its ``DatabaseSessionService``, and every other scheme
(``postgresql+asyncpg``, ``mariadb+aiomysql``, ...) falls through to
``DatabaseSessionService`` too, which creates its own tables in the database.
`register_session_services`, called from ``services.py`` in the agents
directory, puts `RegistrySessionService` behind every scheme adk-store
serves, plus the same schemes prefixed with ``adk-store+``: a URL with that
prefix can never reach ADK's fallback, which cannot parse it, so a server
whose ``services.py`` failed to load refuses to start instead of writing to
the database with another schema.

Two query parameters of the URI are read here and removed before the URL
reaches the driver: ``table_prefix`` and ``auto_migrate``. Tables are not
created unless asked for (``auto_migrate=true`` or ``ADK_STORE_AUTO_MIGRATE=1``),
except in an in-memory SQLite database, which nothing else could prepare.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.engine import URL

from adk_store.dialects.sqlite import is_sqlite, is_sqlite_memory, missing_sqlite_file
from adk_store.engine import _ASYNC_DRIVERS, redact, resolve_url
from adk_store.errors import AdkStoreError, SchemaNotReadyError, StoreConfigurationError
from adk_store.identifiers import DEFAULT_TABLE_PREFIX, validate_table_prefix
from adk_store.memory.service import SqlMemoryService
from adk_store.service import SqlSessionService
from adk_store.store import SessionStore

if TYPE_CHECKING:
    from google.adk.cli.service_registry import ServiceRegistry

ADK_STORE_SCHEME_PREFIX = "adk-store+"
TABLE_PREFIX_PARAMETER = "table_prefix"
AUTO_MIGRATE_PARAMETER = "auto_migrate"
# The same variable the adk-store CLI reads, so `adk-store db upgrade` and
# `adk web` started from one shell agree on the tables.
TABLE_PREFIX_ENV = "ADK_STORE_TABLE_PREFIX"
AUTO_MIGRATE_ENV = "ADK_STORE_AUTO_MIGRATE"
# The options of adk web and adk api_server each service's URI is given with.
SESSION_SERVICE_OPTION = "--session_service_uri"
MEMORY_SERVICE_OPTION = "--memory_service_uri"

_FLAG = TypeAdapter(bool)
logger = logging.getLogger(__name__)


def session_service_schemes() -> tuple[str, ...]:
    """Every URI scheme `register_session_services` registers.

    Each supported database with and without an async driver named
    (``postgresql``, ``postgresql+asyncpg``, ``postgresql+psycopg``, ...), then
    each of those with the ``adk-store+`` prefix.
    """
    database_schemes = sorted(
        scheme
        for backend, drivers in _ASYNC_DRIVERS.items()
        for scheme in (backend, *(f"{backend}+{driver}" for driver in drivers))
    )
    return (*database_schemes, *(ADK_STORE_SCHEME_PREFIX + s for s in database_schemes))


def register_session_services(registry: ServiceRegistry | None = None) -> tuple[str, ...]:
    """Make ``registry`` (ADK's global one by default) build adk-store for our URLs.

    Returns the schemes registered. Call it from ``services.py`` in the agents
    directory: ADK imports that file before it builds the session service.
    """
    if registry is None:
        # Imported here: ADK's registry module loads its whole CLI, which
        # nothing else in adk-store needs.
        from google.adk.cli.service_registry import get_service_registry

        registry = get_service_registry()
    schemes = session_service_schemes()
    for scheme in schemes:
        registry.register_session_service(scheme, RegistrySessionService)
    return schemes


@dataclass(frozen=True)
class ServiceUriSettings:
    """A session service URI split into what the driver gets and what adk-store reads."""

    url: URL
    table_prefix: str
    auto_migrate: bool


def parse_session_service_uri(
    uri: str, *, table_prefix: str | None = None, auto_migrate: bool | None = None
) -> ServiceUriSettings:
    """Read adk-store's settings from ``uri`` and remove them from the URL.

    Each setting is taken from the URI's query first, then from the keyword
    argument (ADK's ``session_db_kwargs``), then from the environment
    (``ADK_STORE_TABLE_PREFIX``, ``ADK_STORE_AUTO_MIGRATE``); ``auto_migrate``
    defaults to off so that pointing a server at a production database never
    creates tables behind the operator's back. An in-memory SQLite database
    always gets its tables: it starts empty and only this process can see it.
    """
    url = resolve_url(uri.removeprefix(ADK_STORE_SCHEME_PREFIX))
    if is_sqlite(url) and url.host:
        # ADK's help suggests 'sqlite://<path>', which names a host and no
        # file: SQLAlchemy (and ADK) would quietly use a throwaway in-memory database.
        raise StoreConfigurationError(
            f"The SQLite URL {redact(url)} names a host ({url.host!r}) instead of a file: "
            "use sqlite:///relative/path.db (three slashes) for a path relative to the "
            "working directory or sqlite:////absolute/path.db (four)."
        )
    query_prefix = _query_value(url, TABLE_PREFIX_PARAMETER)
    query_migrate = _query_value(url, AUTO_MIGRATE_PARAMETER)
    url = url.difference_update_query([TABLE_PREFIX_PARAMETER, AUTO_MIGRATE_PARAMETER])

    given_prefixes = (query_prefix, table_prefix, os.environ.get(TABLE_PREFIX_ENV) or None)
    prefix = next((value for value in given_prefixes if value is not None), DEFAULT_TABLE_PREFIX)
    if query_migrate is not None:
        migrate = _flag(query_migrate, f"The URL parameter {AUTO_MIGRATE_PARAMETER}")
    elif auto_migrate is not None:
        migrate = auto_migrate
    elif os.environ.get(AUTO_MIGRATE_ENV):
        migrate = _flag(os.environ[AUTO_MIGRATE_ENV], f"The variable {AUTO_MIGRATE_ENV}")
    else:
        migrate = False
    return ServiceUriSettings(
        url=url,
        table_prefix=validate_table_prefix(prefix),
        auto_migrate=migrate or is_sqlite_memory(url),
    )


class RegistrySessionService(SqlSessionService):
    """The `SqlSessionService` ADK's service registry builds from a URI.

    ADK calls a registered factory as ``factory(uri, agents_dir=..., **kwargs)``
    and a ``services.yaml`` class as ``cls(uri=uri, agents_dir=..., **kwargs)``;
    this class is both. ``kwargs`` are ADK's ``session_db_kwargs``:
    ``table_prefix``, ``auto_migrate`` and SQLAlchemy engine options.

    The schema is checked, or with ``auto_migrate`` upgraded, while the
    service is built, before the server accepts requests: a database without
    tables stops ``adk api_server`` at startup with the command to run,
    instead of failing every request with the same error. That command is
    logged as an error before the exception rises through ADK's CLI, so it
    is among the first lines the operator sees, not below a long traceback.
    A SQLite file that does not exist is not created without
    ``auto_migrate``.
    """

    def __init__(
        self,
        uri: str,
        *,
        table_prefix: str | None = None,
        auto_migrate: bool | None = None,
        **engine_options: Any,
    ) -> None:
        settings = _settings(uri, table_prefix, auto_migrate, engine_options)
        super().__init__(settings.url, **_arguments(settings, engine_options))
        _prepare_at_startup(settings, self.store, "sessions", SESSION_SERVICE_OPTION)


async def prepare_schema(store: SessionStore, serving: str, option: str) -> None:
    """Check (or upgrade) the schema of a service ADK's registry builds, on a temporary loop.

    The error names the command to run and is logged before it rises; it
    names ``option``, the server option whose URI the service was built
    from, as the place for ``auto_migrate=true``: the session and memory
    services may be given different URIs.
    """
    try:
        with _alembic_quiet(not store.auto_migrate):
            await _check_or_upgrade(store, _server_fix(option))
    except AdkStoreError as exc:
        logger.error("adk-store cannot serve %s: %s", serving, exc)
        raise
    finally:
        # Pooled connections belong to this temporary loop; the server's
        # loop opens its own.
        await store.engine.dispose()


async def _check_or_upgrade(store: SessionStore, server_fix: str) -> None:
    url = store.engine.url
    missing = missing_sqlite_file(url)
    if missing is not None and not store.auto_migrate:
        raise SchemaNotReadyError(
            f"The SQLite file {missing} does not exist (nothing was created). Check the "
            f"path, or create it: adk-store db upgrade --url '{redact(url)}' "
            f"{store.layout.describe()}.{server_fix}"
        )
    try:
        await store.ensure_ready()
    except SchemaNotReadyError as exc:
        raise SchemaNotReadyError(f"{exc}{server_fix}") from None


def register_memory_services(registry: ServiceRegistry | None = None) -> tuple[str, ...]:
    """Make ``registry`` (ADK's global one by default) build `RegistryMemoryService` for our URLs.

    The same schemes as `register_session_services`, for ``--memory_service_uri``
    (ADK's own ``sqlite`` memory service is replaced for this process). Call
    it from ``services.py`` in the agents directory.
    """
    if registry is None:
        from google.adk.cli.service_registry import get_service_registry

        registry = get_service_registry()
    schemes = session_service_schemes()
    for scheme in schemes:
        registry.register_memory_service(scheme, RegistryMemoryService)
    return schemes


class RegistryMemoryService(SqlMemoryService):
    """The `adk_store.SqlMemoryService` ADK's service registry builds from a URI.

    The same URI, parameters and startup check as `RegistrySessionService`:
    one database can serve both ``--session_service_uri`` and
    ``--memory_service_uri``.
    """

    def __init__(
        self,
        uri: str,
        *,
        table_prefix: str | None = None,
        auto_migrate: bool | None = None,
        **options: Any,
    ) -> None:
        settings = _settings(uri, table_prefix, auto_migrate, options)
        super().__init__(settings.url, **_arguments(settings, options))
        _prepare_at_startup(settings, self.store, "memory", MEMORY_SERVICE_OPTION)


def _settings(
    uri: str, table_prefix: str | None, auto_migrate: bool | None, options: dict[str, Any]
) -> ServiceUriSettings:
    """The URI's settings for a service the registry builds.

    ADK passes its agents directory to every factory; the database does not
    depend on it, so it is dropped from ``options``.
    """
    options.pop("agents_dir", None)
    return parse_session_service_uri(uri, table_prefix=table_prefix, auto_migrate=auto_migrate)


def _arguments(settings: ServiceUriSettings, options: dict[str, Any]) -> dict[str, Any]:
    """The service's keyword arguments: the URI's layout and migration choice, then ADK's."""
    return {"layout": settings.table_prefix, "auto_migrate": settings.auto_migrate, **options}


def _prepare_at_startup(
    settings: ServiceUriSettings, store: SessionStore, serving: str, option: str
) -> None:
    """`prepare_schema` while the server starts, on a temporary event loop.

    The connection holding an in-memory database cannot outlive that loop,
    so that one is prepared on first use instead.
    """
    if not is_sqlite_memory(settings.url):
        _run_on_own_loop(partial(prepare_schema, store, serving, option))


def _server_fix(option: str) -> str:
    """The sentence telling a server's operator how to let it create the tables itself."""
    return (
        f" Under adk web or adk api_server, add {AUTO_MIGRATE_PARAMETER}=true to the query of "
        f"{option} or set {AUTO_MIGRATE_ENV}=1 to let the server create or upgrade "
        "the tables itself."
    )


@contextmanager
def _alembic_quiet(quiet: bool) -> Iterator[None]:
    """Hold back Alembic's INFO lines while only checking the schema.

    Under ADK's logging they come before any error, and a check has nothing
    to report; an upgrade's lines ("Running upgrade ...") are kept.
    """
    alembic_logger = logging.getLogger("alembic")
    level = alembic_logger.level
    if quiet:
        alembic_logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        alembic_logger.setLevel(level)


def _run_on_own_loop(action: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run ``action`` to completion on a new event loop in a worker thread.

    ADK builds its services synchronously before uvicorn starts its loop, and
    code that embeds ADK may build them inside a running loop, where
    ``asyncio.run`` is refused; a worker thread has no loop in either case.
    """
    with ThreadPoolExecutor(max_workers=1) as worker:
        worker.submit(lambda: asyncio.run(action())).result()


def _query_value(url: URL, name: str) -> str | None:
    value = url.query.get(name)
    if isinstance(value, tuple):
        raise StoreConfigurationError(
            f"The URL parameter {name} is given {len(value)} times in the session service "
            "URL; give it once."
        )
    return value


def _flag(value: str, source: str) -> bool:
    try:
        return _FLAG.validate_python(value)
    except ValidationError:
        raise StoreConfigurationError(
            f"{source} is {value!r}, which is not a yes/no value: use true or false "
            "(1/0, yes/no and on/off are accepted too)."
        ) from None
