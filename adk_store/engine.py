"""Engines for every supported URL, configured the way the store relies on.

Everything that depends on the database *driver* rather than on SQL lives
here: which async driver a bare URL means, how a pool serves its callers and
recovers lost connections, and how URLs are shown in messages (never with
the password). What depends on the database itself is in `adk_store.dialects`.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, unquote

from sqlalchemy import event
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError, NoSuchModuleError
from sqlalchemy.exc import TimeoutError as PoolCheckoutTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from adk_store.admission import wait_for_turn
from adk_store.dialects import rules_named
from adk_store.dialects.sqlite import is_sqlite_memory
from adk_store.errors import PoolTimeoutError, StoreConfigurationError, StoreConnectionError
from adk_store.pool_sizing import with_pool_defaults

URL_ENV = "ADK_STORE_URL"
HOME_ENV = "ADK_STORE_HOME"

# A pooled connection idle this long is pinged before it is handed out.
IDLE_PING_SECONDS = 5.0
_LAST_USED = "adk_store_last_used"

# Driver errors that mean the connection is gone, which some SQLAlchemy
# dialects do not recognise as such (asyncpg's "connection was closed in the
# middle of operation"): SQLSTATE class 08 (connection exception) and
# PostgreSQL's shutdown codes; MySQL/MariaDB client codes for a refused or
# lost connection, server shutdown and a killed connection.
_LOST_CONNECTION_SQLSTATES = ("08", "57P01", "57P02", "57P03")
_LOST_CONNECTION_MYSQL_CODES = frozenset({1053, 1927, 2003, 2006, 2013, 2055, 4031})

# How a password is hidden in messages; where the user part of a URL ends (its
# last '@', raw or percent-encoded); a URL within a message; query parameters
# that carry a password (asyncpg and psycopg take ?password=), by name and as
# raw text.
_MASK = "***"
_USERINFO_END = re.compile("@|%40", re.IGNORECASE)
_SECRET_QUERY_KEY = re.compile("pass|pwd|secret", re.IGNORECASE)
_URL_IN_TEXT = re.compile(r"\b[a-z][\w+.-]*://[^\s'\"<>]+", re.IGNORECASE)
_SECRET_PARAMETER = re.compile(r"([?&][^=&?]*(?:pass|pwd|secret)[^=&]*=)([^&]*)", re.IGNORECASE)

# Backend name (URL scheme without driver) -> async driver used when none is given.
_DEFAULT_ASYNC_DRIVERS = {
    "postgresql": "asyncpg",
    "sqlite": "aiosqlite",
    "mysql": "aiomysql",
    "mariadb": "aiomysql",
    "oracle": "oracledb",
    "cockroachdb": "asyncpg",
}
_ASYNC_DRIVERS = {
    "postgresql": {"asyncpg", "psycopg"},
    "sqlite": {"aiosqlite"},
    "mysql": {"aiomysql", "asyncmy"},
    "mariadb": {"aiomysql", "asyncmy"},
    "oracle": {"oracledb"},
    "cockroachdb": {"asyncpg", "psycopg"},
}
# Databases whose SQLAlchemy dialect is a package of its own -> how to install it.
# sqlalchemy-cockroachdb 2.0.4 declares SQLAlchemy<2.1, which adk-store's
# SQLAlchemy 2.1 does not meet; its dialect works with 2.1 all the same.
_DIALECT_PACKAGES = {
    "cockroachdb": "pip install --no-deps sqlalchemy-cockroachdb==2.0.4",
}
# Driver -> (the package that provides it, adk-store's extra that pins it).
_DRIVER_PACKAGES = {
    "asyncpg": ("asyncpg", "postgres"),
    "psycopg": ("psycopg[binary]", "psycopg"),
    "aiomysql": ("aiomysql 'PyMySQL<1.2'", "mysql"),
    "asyncmy": ("asyncmy", "mysql"),
    "oracledb": ("oracledb", "oracle"),
}


def default_database_path() -> Path:
    """Where the embedded SQLite database lives when no URL is given.

    ``$ADK_STORE_HOME/sessions.db`` if set, else
    ``$XDG_DATA_HOME/adk-store/sessions.db`` (``~/.local/share`` by default).
    """
    home = os.environ.get(HOME_ENV)
    if home:
        return Path(home).expanduser() / "sessions.db"
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home).expanduser() / "adk-store" / "sessions.db"


def redact(url: URL | str) -> str:
    """The URL as text with any password masked, for messages and logs.

    A password written with an unencoded ``@`` ends at that ``@`` for
    SQLAlchemy's parser, which puts the rest into the host or the database
    name; so everything from the password to the URL's *last* ``@`` is
    masked, in the text given and in a URL parsed from such text. Query
    parameters that carry a password (``?password=``) are masked too.
    """
    if isinstance(url, str):
        try:
            url = make_url(_mask_userinfo(_SECRET_PARAMETER.sub(rf"\g<1>{_MASK}", url)))
        except (ArgumentError, ValueError):
            return "<unparseable URL>"
    secret_keys = sorted(key for key in url.query if _SECRET_QUERY_KEY.search(key))
    shown = url.difference_update_query(secret_keys).render_as_string(hide_password=True)
    if secret_keys:
        masked = "&".join(f"{quote_plus(key)}={_MASK}" for key in secret_keys)
        shown += ("&" if url.query.keys() - secret_keys else "?") + masked
    return shown if url.password is None else _mask_userinfo(shown)


def _mask_userinfo(text: str) -> str:
    """``text`` with everything between the user name and the URL's last ``@`` masked."""
    parts = _split_userinfo(text)
    return text if parts is None else f"{parts[0]}:{_MASK}@{parts[2]}"


def _split_userinfo(text: str) -> tuple[str, str, str] | None:
    """``scheme://user``, the password and what follows the last ``@``; None without a password.

    An encoded ``@`` (``%40``) counts: a URL renders what its parser took
    for the database name percent-encoded.
    """
    scheme, separator, rest = text.partition("://")
    ends = list(_USERINFO_END.finditer(rest))
    if not separator or not ends or rest.startswith("/"):
        return None
    user, colon, password = rest[: ends[-1].start()].partition(":")
    if not colon:
        return None
    return f"{scheme}://{user}", password, rest[ends[-1].end() :]


def _secrets_of(url: URL | str) -> set[str]:
    """Every password ``url`` holds, whole and as its parser cut it, as written and decoded."""
    parsed: URL | None
    if isinstance(url, URL):
        parsed = url
        text = url.render_as_string(hide_password=False) if url.password is not None else ""
    else:
        text = url
        try:
            parsed = make_url(url)
        except (ArgumentError, ValueError):
            parsed = None
    found = {match.group(2) for match in _SECRET_PARAMETER.finditer(text)}
    parts = _split_userinfo(text)
    if parts is not None:
        found.add(parts[1])
    if parsed is not None:
        if parsed.password is not None:
            found.add(str(parsed.password))
        for key, value in parsed.query.items():
            if _SECRET_QUERY_KEY.search(key):
                found.update([value] if isinstance(value, str) else value)
    return {form for secret in found for form in (secret, unquote(secret)) if form}


def _pieces(secret: str) -> set[str]:
    """The parts a URL parser makes of a password with an unencoded ``@``."""
    return {piece for piece in _USERINFO_END.split(secret) if piece}


def resolve_url(url: URL | str | None = None) -> URL:
    """Turn what the user gave (or nothing) into a URL with an async driver."""
    if url is None:
        url = os.environ.get(URL_ENV) or f"sqlite+aiosqlite:///{default_database_path()}"
    if isinstance(url, str):
        if _has_unencoded_at(url):
            raise StoreConfigurationError(
                f"The database URL {redact(url)} has an '@' in its user name or password: "
                "SQLAlchemy would take what follows it as the host. Write each '@' there "
                "as %40 (for example app:p%40ss@db.example.com)."
            )
        try:
            url = make_url(url)
        except (ArgumentError, ValueError):
            # make_url raises ValueError for a port that is not a number.
            raise StoreConfigurationError(
                f"Cannot parse database URL {redact(url)}: expected "
                "'dialect+driver://user:password@host:port/database' with a numeric port, "
                "for example 'postgresql+asyncpg://app@localhost:5432/agents'."
            ) from None
    backend = url.get_backend_name()
    if backend not in _DEFAULT_ASYNC_DRIVERS:
        raise StoreConfigurationError(
            f"Unsupported database {backend!r} in {redact(url)}: adk-store supports "
            f"{', '.join(sorted(_DEFAULT_ASYNC_DRIVERS))}."
        )
    driver = url.get_driver_name()
    if "+" not in url.drivername:
        return url.set(drivername=f"{backend}+{_DEFAULT_ASYNC_DRIVERS[backend]}")
    if driver not in _ASYNC_DRIVERS[backend]:
        raise StoreConfigurationError(
            f"Driver {driver!r} in {redact(url)} is not a supported async driver: use one of "
            f"{', '.join(sorted(_ASYNC_DRIVERS[backend]))} "
            f"(for example '{backend}+{_DEFAULT_ASYNC_DRIVERS[backend]}://...')."
        )
    return url


def migrates_by_default(given: URL | str | None, resolved: URL) -> bool:
    """Whether a store creates its own tables when not told either way.

    Only where nobody else could: the embedded default file (no URL given
    and none in ``ADK_STORE_URL``) and an in-memory database, which starts
    empty and is visible to this process alone.
    """
    embedded_default = given is None and not os.environ.get(URL_ENV)
    return embedded_default or is_sqlite_memory(resolved)


def _has_unencoded_at(text: str) -> bool:
    """Whether the part before the host (user and password) holds an '@' of its own."""
    _, separator, rest = text.partition("://")
    authority_end = rest.rfind("@")
    return bool(separator) and "@" in rest[: max(authority_end, 0)]


@asynccontextmanager
async def connect(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """``engine.connect()`` whose connection failures are adk-store errors, password hidden.

    Failing to connect, waiting out ``pool_timeout`` and losing the
    connection mid-call (a server restart) raise
    `adk_store.errors.StoreConnectionError` (a pool timeout its
    subclass `adk_store.errors.PoolTimeoutError`), so callers catch
    one type for "the database is not usable right now" whatever the driver.
    Callers are served in the order they asked (see `adk_store.admission`).
    """
    try:
        next_turn = await wait_for_turn(engine.sync_engine.pool)
    except TimeoutError:
        raise pool_timeout_error(engine) from None
    try:
        async with _checked_out(engine) as connection:
            yield connection
    finally:
        next_turn()


@asynccontextmanager
async def _checked_out(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    try:
        connection = await engine.connect()
    except PoolCheckoutTimeout:
        raise pool_timeout_error(engine) from None
    except (DBAPIError, OSError) as exc:
        raise cannot_connect_error(engine, exc) from None
    try:
        yield connection
    except Exception as exc:
        if not _is_lost(exc):
            raise
        # SQLAlchemy does not see driver errors raised while it switches
        # isolation levels: make sure this connection is never reused.
        with contextlib.suppress(Exception):
            await connection.invalidate()
        raise lost_connection_error(engine, exc) from None
    finally:
        await _release(connection)


async def _release(connection: AsyncConnection) -> None:
    """Return the connection to the pool; one that died after the work was done is dropped.

    The call itself succeeded (its commit returned), so losing the
    connection on the way back to the pool is not the caller's error.
    """
    try:
        await connection.close()
    except Exception as exc:
        if not _is_lost(exc):
            raise
        with contextlib.suppress(Exception):
            await connection.invalidate()


def _is_lost(exc: BaseException) -> bool:
    """Whether an error raised while using a connection means the connection is gone."""
    if isinstance(exc, StoreConnectionError):
        return False
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or (exc.orig is not None and is_lost_connection(exc.orig))
    return isinstance(exc, ConnectionError) or is_lost_connection(exc)


def cannot_connect_error(engine: AsyncEngine, exc: BaseException) -> StoreConnectionError:
    return StoreConnectionError(
        f"Cannot connect to {redact(engine.url)}: {describe_error(exc, engine.url)} "
        "Check that the server is running and the URL's host, port and credentials."
    )


def lost_connection_error(engine: AsyncEngine, exc: BaseException) -> StoreConnectionError:
    return StoreConnectionError(
        f"Lost the connection to {redact(engine.url)} during the call: "
        f"{describe_error(exc, engine.url)} Retry the call: the pool reconnects. A write "
        "that was interrupted may or may not have been applied; appending the same event "
        "again is safe, an event already stored is not stored twice."
    )


def pool_timeout_error(engine: AsyncEngine) -> PoolTimeoutError:
    return PoolTimeoutError(_pool_exhausted(engine))


def _pool_exhausted(engine: AsyncEngine) -> str:
    pool = engine.sync_engine.pool
    size = getattr(pool, "size", lambda: None)()
    busy = getattr(pool, "checkedout", lambda: None)()
    timeout = getattr(pool, "timeout", lambda: None)()
    settings = f"pool_size={size}"
    if isinstance(size, int) and isinstance(busy, int):
        settings += f", max_overflow={max(busy - size, 0)}"
    return (
        f"No connection to {redact(engine.url)} became free within pool_timeout={timeout} s: "
        f"all {busy} pooled connections were in use ({settings}). Raise pool_size or "
        "max_overflow (engine options of SqlSessionService / from_url), allow a longer "
        "pool_timeout, or make fewer calls at once; a connection held outside the store "
        "also counts."
    )


def describe_error(exc: BaseException, *urls: URL | str | None) -> str:
    """A driver error as one line: the driver's own exception, never a password of ``urls``.

    Each password is masked in the driver's message as given, decoded and
    percent-encoded. A driver can also name a piece of one: a password
    with an unencoded ``@`` is cut there by the URL parser, and the driver
    reports the rest as a host or database it cannot find. A message still
    holding such a piece is not shown at all, only its exception's type.
    A URL in the message is shown as `redact` shows it, whoever's it is.
    """
    original = getattr(exc, "orig", None) or exc
    secrets: set[str] = set()
    for url in urls:
        if url is not None:
            secrets |= _secrets_of(url)
    message = str(original)
    forms = {
        form
        for secret in secrets
        for form in (secret, quote(secret, safe=""), quote(secret), quote_plus(secret))
    }
    for form in sorted(forms, key=len, reverse=True):
        message = message.replace(form, _MASK)
    message = _URL_IN_TEXT.sub(lambda found: redact(found.group()), message)
    if any(piece in message for secret in secrets for piece in _pieces(secret)):
        text = (
            f"{type(original).__name__} (its message is not shown: it holds part of the "
            "database password. If the password has '@' or other special characters, "
            "percent-encode them in the URL, '@' as %40)"
        )
    else:
        text = f"{type(original).__name__}: {message}".strip()
    return text if text.endswith(".") else text + "."


def create_engine(url: URL | str | None = None, **engine_options: Any) -> AsyncEngine:
    """Create the AsyncEngine adk-store runs on.

    Pooled connections to a server are pinged before use when they have been
    idle (see ``_ping_idle_connections``), so connections that died with a
    server restart are replaced instead of failing a request; pass
    ``pool_pre_ping=True`` to ping on every checkout instead. A server gets a
    pool of `adk_store.pool_sizing.DEFAULT_POOL_SIZE` connections and no
    overflow unless ``pool_size``/``max_overflow``/``poolclass`` say otherwise.
    """
    resolved = resolve_url(url)
    rules = rules_named(resolved.get_backend_name())
    if not rules.embedded:
        engine_options = with_pool_defaults(engine_options)
    if rules.isolation_level is not None:
        engine_options.setdefault("isolation_level", rules.isolation_level)
    try:
        engine = create_async_engine(resolved, **engine_options)
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        _refuse_missing_dialect(resolved, exc)
        package, extra = _DRIVER_PACKAGES.get(resolved.get_driver_name(), ("", "all"))
        raise StoreConfigurationError(
            f"The driver for {redact(resolved)} is not installed "
            f"({exc.__class__.__name__}: {exc}); install it with 'pip install {package}', "
            f"or from an adk-store checkout with 'pip install \".[{extra}]\"'."
        ) from None
    except (ArgumentError, TypeError) as exc:
        raise StoreConfigurationError(
            f"Cannot create an engine for {redact(resolved)}: {exc}"
        ) from None
    rules.configure_engine(engine, resolved)
    if rules.embedded:
        return engine
    _recognise_lost_connections(engine)
    _keep_pool_slots_of_dead_connections(engine)
    if not engine_options.get("pool_pre_ping"):
        _ping_idle_connections(engine)
    return engine


def _refuse_missing_dialect(url: URL, exc: ImportError | NoSuchModuleError) -> None:
    """Name the dialect package when that, not the driver, is what is missing.

    SQLAlchemy finds such a dialect by its entry point: without the package
    there is no plugin (NoSuchModuleError); with a broken install, its module
    does not import.
    """
    backend = url.get_backend_name()
    install = _DIALECT_PACKAGES.get(backend)
    broken = isinstance(exc, ModuleNotFoundError) and backend in (exc.name or "")
    if install is None or not (isinstance(exc, NoSuchModuleError) or broken):
        return
    raise StoreConfigurationError(
        f"{redact(url)} needs SQLAlchemy's {backend} dialect, which is not installed "
        f"({exc.__class__.__name__}: {exc}); install it with '{install}'."
    ) from None


def _recognise_lost_connections(engine: AsyncEngine) -> None:
    """Treat every driver error that means "connection gone" as a disconnect.

    SQLAlchemy then discards the connection and every pooled connection
    opened before it (a restarted server killed them all), and the error
    reaches `connect` marked ``connection_invalidated``.
    """

    @event.listens_for(engine.sync_engine, "handle_error")
    def _on_error(context: ExceptionContext) -> None:
        if not context.is_disconnect and is_lost_connection(context.original_exception):
            context.is_disconnect = True


def _keep_pool_slots_of_dead_connections(engine: AsyncEngine) -> None:
    """Let a connection that died just before check-in go back to the pool.

    A unit of work that switched the connection to autocommit has its
    isolation level reset when the connection is checked in. SQLAlchemy runs
    that reset outside its error handling: if the server died since the last
    statement, the driver's error escapes ``close()`` and the connection's
    pool slot is never returned (measured with MariaDB killed under load:
    13 of 15 slots lost after four kills, then every call timed out). A
    lost-connection error there is swallowed and the driver connection
    closed, so the slot comes back and the dead connection is replaced on
    its next use.
    """
    dialect = engine.dialect
    reset = dialect.reset_isolation_level

    def reset_unless_lost(dbapi_connection: Any) -> None:
        try:
            reset(dbapi_connection)
        except Exception as exc:
            if not is_lost_connection(exc):
                raise
            with contextlib.suppress(Exception):
                dbapi_connection.close()

    # Replaces the method on this engine's dialect instance only.
    setattr(dialect, "reset_isolation_level", reset_unless_lost)  # noqa: B010


def is_lost_connection(error: BaseException) -> bool:
    """Whether a driver error says the connection to the server is gone."""
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate.startswith(_LOST_CONNECTION_SQLSTATES):
        return True
    code = error.args[0] if error.args else None
    return isinstance(code, int) and code in _LOST_CONNECTION_MYSQL_CODES


def _ping_idle_connections(engine: AsyncEngine) -> None:
    """Check a pooled connection before use if it sat idle, and replace it if dead.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: a round trip per
    operation. A connection in steady use is known to be alive, so only one
    idle for ``IDLE_PING_SECONDS`` is pinged; a dead one is discarded and the
    pool hands out a fresh connection. A server that dies under load fails the
    calls in flight with an error, and SQLAlchemy then invalidates the whole
    pool, so the next calls reconnect.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_LAST_USED] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        last_used = record.info.get(_LAST_USED)
        if last_used is None or time.monotonic() - last_used < IDLE_PING_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception:  # noqa: BLE001 - any failure means the connection is unusable
            alive = False
        if not alive:
            raise DisconnectionError("idle pooled connection is no longer usable")


def is_single_connection(engine: AsyncEngine) -> bool:
    """Whether every caller shares one DBAPI connection (in-memory SQLite).

    One connection has one transaction, so units of work must take turns.
    """
    return isinstance(engine.sync_engine.pool, StaticPool)
