"""The hot statements run on the driver's own connection, past SQLAlchemy's execution layer.

An append through ``AsyncConnection.execute`` spent about half of its client
CPU in SQLAlchemy's execution layer (measured on PostgreSQL with asyncpg,
424 µs per append: the autocommit switch on checkout and check-in, an
execution context per call, parameter dicts rebuilt, greenlet switches).
The statements that run on every append and every read are still built with
SQLAlchemy Core and compiled by the engine's dialect, once; here they run on
the DBAPI driver's connection, which is checked out of (and returned to) the
engine's own pool, so pool events, pre-ping and the admission queue all
still apply. A driver error is handed back as the exception SQLAlchemy
would have raised (``sqlalchemy.exc.DBAPIError`` subclasses carrying the
driver's error), so the store handles both paths alike.

Only asyncpg has such a path: its connection runs one statement without a
transaction (one round trip) and keeps its own prepared-statement cache.
Every other driver runs the same statements through SQLAlchemy, and so does
asyncpg while anything watches the engine's statements (``echo``, or a
``before_cursor_execute``/``after_cursor_execute`` listener such as a tracing
instrumentation): what is observed is then exactly what runs.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolCheckoutTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import Executable
from sqlalchemy.util import greenlet_spawn

from adk_store.admission import wait_for_turn
from adk_store.engine import (
    cannot_connect_error,
    is_lost_connection,
    lost_connection_error,
    pool_timeout_error,
)

Row = Mapping[Any, Any]


class HotPath(Protocol):
    """Runs one compiled statement as a unit of work of its own (autocommit)."""

    async def fetch(self, statement: Executable, params: Mapping[str, Any]) -> list[Row]:
        """All rows of ``statement``, as mappings from column name to value."""
        ...


@dataclass(frozen=True)
class _Parameter:
    name: str
    # The value when the statement carries it (the owner), else None.
    constant: Any
    has_constant: bool
    process: Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Compiled:
    sql: str
    parameters: tuple[_Parameter, ...]

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        """The positional arguments for ``params``, processed as SQLAlchemy would."""
        values = []
        for parameter in self.parameters:
            value = parameter.constant if parameter.has_constant else params[parameter.name]
            if parameter.process is not None and value is not None:
                value = parameter.process(value)
            values.append(value)
        return values


def hot_path_for(
    engine: AsyncEngine, unit_of_work: Callable[[], AbstractAsyncContextManager[AsyncConnection]]
) -> HotPath:
    """The driver-level path where the driver has one, else SQLAlchemy's.

    ``unit_of_work`` gives an autocommit connection queued like the store's
    other work; the SQLAlchemy path runs on it.
    """
    through_engine = _EnginePath(unit_of_work)
    if engine.dialect.driver == "asyncpg":
        return _AsyncpgPath(engine, through_engine)
    return through_engine


class _EnginePath:
    """The statements executed through SQLAlchemy, for drivers without a path of their own."""

    def __init__(
        self, unit_of_work: Callable[[], AbstractAsyncContextManager[AsyncConnection]]
    ) -> None:
        self._unit_of_work = unit_of_work

    async def fetch(self, statement: Executable, params: Mapping[str, Any]) -> list[Row]:
        async with self._unit_of_work() as connection:
            result = await connection.execute(statement, dict(params))
            return list(result.mappings())


class _AsyncpgPath:
    """Statements compiled once to asyncpg's ``$n`` form, run on the pooled asyncpg connection."""

    def __init__(self, engine: AsyncEngine, through_engine: _EnginePath) -> None:
        self._engine = engine
        self._through_engine = through_engine
        self._compiled: dict[int, _Compiled] = {}

    def _observed(self) -> bool:
        """Whether the engine logs or has listeners for the statements it runs."""
        sync_engine = self._engine.sync_engine
        dispatch = sync_engine.dispatch
        return bool(
            sync_engine.echo or dispatch.before_cursor_execute or dispatch.after_cursor_execute
        )

    async def fetch(self, statement: Executable, params: Mapping[str, Any]) -> list[Row]:
        if self._observed():
            return await self._through_engine.fetch(statement, params)
        compiled = self._compiled.get(id(statement))
        if compiled is None:
            compiled = self._compiled[id(statement)] = _compile(statement, self._engine)
        arguments = compiled.arguments(params)
        async with self._driver_connection() as pooled:
            try:
                records: Sequence[Row] = await pooled.driver_connection.fetch(
                    compiled.sql, *arguments
                )
            except Exception as exc:
                raise _as_sqlalchemy_error(exc, compiled.sql, pooled, self._engine) from exc
        return list(records)

    @asynccontextmanager
    async def _driver_connection(self) -> AsyncIterator[Any]:
        """A pooled connection, taken in turn; losing it is a `StoreConnectionError`."""
        engine = self._engine
        pool = engine.sync_engine.pool
        try:
            next_turn = await wait_for_turn(pool)
        except TimeoutError:
            raise pool_timeout_error(engine) from None
        try:
            async with self._checked_out() as pooled:
                try:
                    yield pooled
                except Exception as exc:
                    if not (_is_lost(exc) or pooled.driver_connection.is_closed()):
                        raise
                    # As SQLAlchemy does on a disconnect: this connection and
                    # every one opened before it are replaced.
                    pool._invalidate(pooled, exc)
                    raise lost_connection_error(engine, exc) from None
                except BaseException:
                    # Cancelled mid-statement: the driver may still be in the
                    # middle of its protocol, so the connection is never reused.
                    pooled.invalidate()
                    raise
        finally:
            next_turn()

    @asynccontextmanager
    async def _checked_out(self) -> AsyncIterator[Any]:
        engine = self._engine
        try:
            pooled = await greenlet_spawn(engine.sync_engine.raw_connection)
        except PoolCheckoutTimeout:
            raise pool_timeout_error(engine) from None
        except Exception as exc:
            # The pool raises the driver's own (adapted) errors, unwrapped.
            if isinstance(exc, DBAPIError | OSError | engine.dialect.loaded_dbapi.Error):
                raise cannot_connect_error(engine, exc) from None
            raise
        try:
            yield pooled
        finally:
            with contextlib.suppress(Exception):
                # Returning it runs the pool's reset (a no-op rollback: no
                # transaction was begun); a connection that died is dropped.
                await greenlet_spawn(pooled.close)


def _compile(statement: Executable, engine: AsyncEngine) -> _Compiled:
    dialect = engine.dialect
    compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    processors = compiled._bind_processors
    parameters = []
    for name in compiled.positiontup or ():
        bind = compiled.binds[name]
        has_constant = not bind.required and bind.callable is None
        parameters.append(
            _Parameter(
                name=name,
                constant=bind.value if has_constant else None,
                has_constant=has_constant,
                process=processors.get(name),
            )
        )
    return _Compiled(sql=compiled.string, parameters=tuple(parameters))


def _is_lost(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or (exc.orig is not None and is_lost_connection(exc.orig))
    return isinstance(exc, ConnectionError) or is_lost_connection(exc)


def _as_sqlalchemy_error(
    exc: Exception, sql: str, pooled: Any, engine: AsyncEngine
) -> BaseException:
    """The driver error as SQLAlchemy presents it when it runs a statement itself.

    The dialect's connection adapter translates it to its DBAPI exception (a
    unique violation becomes an ``IntegrityError`` carrying ``sqlstate``) and
    SQLAlchemy wraps that, so the store handles errors of both paths alike. A
    lost connection is left as it is, for `_driver_connection` to report.
    """
    if isinstance(exc, ConnectionError) or is_lost_connection(exc):
        return exc
    dbapi = engine.dialect.loaded_dbapi
    adapted: BaseException = exc
    try:
        # The adapter only raises the translated error; there is no call that returns it.
        type(pooled.dbapi_connection)._handle_exception_no_connection(dbapi, exc)
    except Exception as translated:  # noqa: BLE001 - the translation is what is wanted
        adapted = translated
    # SQLAlchemy's own test for a dead connection (it knows asyncpg's messages
    # for one), and a driver whose protocol state is lost, are both disconnects.
    from asyncpg.exceptions import InternalClientError  # loaded: this is its connection

    lost = isinstance(exc, InternalClientError) or (
        isinstance(adapted, dbapi.Error)
        and engine.dialect.is_disconnect(adapted, pooled.dbapi_connection, None)
    )
    return DBAPIError.instance(
        sql, None, adapted, dbapi.Error, dialect=engine.dialect, connection_invalidated=lost
    )
