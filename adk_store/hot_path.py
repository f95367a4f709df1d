"""The hot statements run on the driver's own connection, past SQLAlchemy's execution layer.

An append through ``AsyncConnection.execute`` spent about half of its client
CPU in SQLAlchemy's execution layer (measured on PostgreSQL with asyncpg,
424 µs per append: the autocommit switch on checkout and check-in, an
execution context per call, parameter dicts rebuilt, greenlet switches). On
SQLite and MariaDB a read paid more: switching a pooled connection to
autocommit and back costs round trips there (aiosqlite: a hop to its thread
each; measured 27 hops and 4.4 ms of CPU for one ``get_session``).

So the statements that run on every append and every read are still built
with SQLAlchemy Core and compiled by the engine's dialect, once, with
SQLAlchemy's own bind and result processing for every value; here they run
on the DBAPI driver's connection, checked out of (and returned to) the
engine's own pool, so pool events, pre-ping and the admission queue all
still apply. A driver error is handed back as the exception SQLAlchemy
would have raised (``sqlalchemy.exc.DBAPIError`` subclasses carrying the
driver's error), so the store handles both paths alike.

Each statement runs on its own: asyncpg and the SQLite connections (which
the store opens with the driver's implicit transactions off) commit it at
once; MySQL's drivers leave a read's implicit transaction open until the
pool's reset-on-return rolls it back. Drivers without an adapter here
(psycopg, oracledb), an in-memory SQLite database (one connection shared
under the store's lock), and any engine whose statements are being watched
(``echo``, or a ``before_cursor_execute``/``after_cursor_execute`` listener
such as a tracing instrumentation) run the same statements through
SQLAlchemy: what is observed is then exactly what runs.
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
from sqlalchemy.pool import QueuePool
from sqlalchemy.sql import Executable
from sqlalchemy.util import greenlet_spawn

from adk_store.admission import wait_for_turn
from adk_store.dialects.base import INTERNAL_LISTENER
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


class _Driver(Protocol):
    """How one async driver runs a statement with positional arguments."""

    async def fetch(self, connection: Any, sql: str, arguments: list[Any]) -> Sequence[Any]: ...

    def protocol_broken(self, error: BaseException) -> bool:
        """Whether ``error`` leaves the driver connection in an unknown state."""
        ...


class _Asyncpg:
    async def fetch(self, connection: Any, sql: str, arguments: list[Any]) -> Sequence[Any]:
        records: Sequence[Any] = await connection.fetch(sql, *arguments)
        return records

    def protocol_broken(self, error: BaseException) -> bool:
        from asyncpg.exceptions import InternalClientError  # loaded: this is its connection

        return isinstance(error, InternalClientError)


class _Aiosqlite:
    async def fetch(self, connection: Any, sql: str, arguments: list[Any]) -> Sequence[Any]:
        # One hop to the connection's thread for the statement and its rows.
        rows: Sequence[Any] = await connection.execute_fetchall(sql, arguments)
        return rows

    def protocol_broken(self, error: BaseException) -> bool:
        return False


class _MySQLCursor:
    """aiomysql and asyncmy: a cursor per statement, rows fetched at once."""

    async def fetch(self, connection: Any, sql: str, arguments: list[Any]) -> Sequence[Any]:
        async with connection.cursor() as cursor:
            await cursor.execute(sql, arguments)
            rows: Sequence[Any] = await cursor.fetchall()
            return rows

    def protocol_broken(self, error: BaseException) -> bool:
        return False


_DRIVERS: dict[str, _Driver] = {
    "asyncpg": _Asyncpg(),
    "aiosqlite": _Aiosqlite(),
    "aiomysql": _MySQLCursor(),
    "asyncmy": _MySQLCursor(),
}


def hot_path_for(
    engine: AsyncEngine, unit_of_work: Callable[[], AbstractAsyncContextManager[AsyncConnection]]
) -> HotPath:
    """The driver-level path where the driver has one, else SQLAlchemy's.

    ``unit_of_work`` gives an autocommit connection queued like the store's
    other work; the SQLAlchemy path runs on it.
    """
    through_engine = _EnginePath(unit_of_work)
    driver = _DRIVERS.get(engine.dialect.driver)
    if driver is None or not isinstance(engine.sync_engine.pool, QueuePool):
        return through_engine
    return _DriverPath(engine, driver, through_engine)


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
    columns: tuple[str, ...]
    # SQLAlchemy's result processor of each column (None: the value as the driver gives it).
    results: tuple[Callable[[Any], Any] | None, ...]

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        """The positional arguments for ``params``, processed as SQLAlchemy would."""
        values = []
        for parameter in self.parameters:
            value = parameter.constant if parameter.has_constant else params[parameter.name]
            if parameter.process is not None and value is not None:
                value = parameter.process(value)
            values.append(value)
        return values

    def row(self, values: Sequence[Any]) -> Row:
        return {
            name: value if process is None else process(value)
            for name, process, value in zip(self.columns, self.results, values, strict=True)
        }


class _DriverPath:
    """Statements compiled once for the driver's parameter style, run on the pooled connection."""

    def __init__(self, engine: AsyncEngine, driver: _Driver, through_engine: _EnginePath) -> None:
        self._engine = engine
        self._driver = driver
        self._through_engine = through_engine
        self._compiled: dict[int, _Compiled] = {}

    def _observed(self) -> bool:
        """Whether the engine logs, or something outside adk-store listens to, its statements."""
        sync_engine = self._engine.sync_engine
        dispatch = sync_engine.dispatch
        listeners = [*dispatch.before_cursor_execute, *dispatch.after_cursor_execute]
        return bool(sync_engine.echo) or any(
            not getattr(listener, INTERNAL_LISTENER, False) for listener in listeners
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
                rows = await self._driver.fetch(pooled.driver_connection, compiled.sql, arguments)
            except Exception as exc:
                raise self._translated(exc, compiled.sql, pooled) from exc
        return [compiled.row(row) for row in rows]

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
                    if not _is_lost(exc):
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
                # Returning it runs the pool's reset-on-return; a connection
                # that died is dropped.
                await greenlet_spawn(pooled.close)

    def _translated(self, exc: Exception, sql: str, pooled: Any) -> BaseException:
        """The driver error as SQLAlchemy presents it when it runs a statement itself.

        The dialect's connection adapter translates it to its DBAPI exception
        (a unique violation becomes an ``IntegrityError``) and SQLAlchemy wraps
        that, so the store handles errors of both paths alike. SQLAlchemy's own
        test for a dead connection, and a driver whose protocol state is lost,
        mark it as a disconnect.
        """
        if isinstance(exc, ConnectionError) or is_lost_connection(exc):
            return exc
        engine = self._engine
        dbapi = engine.dialect.loaded_dbapi
        adapted: BaseException = exc
        try:
            # The adapter only raises the translated error; no call returns it.
            type(pooled.dbapi_connection)._handle_exception_no_connection(dbapi, exc)
        except Exception as translated:  # noqa: BLE001 - the translation is what is wanted
            adapted = translated
        lost = self._driver.protocol_broken(exc) or (
            isinstance(adapted, dbapi.Error)
            and engine.dialect.is_disconnect(adapted, pooled.dbapi_connection, None)
        )
        return DBAPIError.instance(
            sql, None, adapted, dbapi.Error, dialect=engine.dialect, connection_invalidated=lost
        )


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
    selected = list(getattr(statement, "selected_columns", ()))
    return _Compiled(
        sql=compiled.string,
        parameters=tuple(parameters),
        columns=tuple(column.key for column in selected),
        results=tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in selected
        ),
    )


def _is_lost(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or (exc.orig is not None and is_lost_connection(exc.orig))
    return isinstance(exc, ConnectionError) or is_lost_connection(exc)
