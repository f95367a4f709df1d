"""Read replicas: which engine serves a read, and the freshness bound that decides it.

A read served by a replica can be behind the primary. That never loses an
update: the copy carries the revision it was read at, and an append made on
it is checked against the primary's row and refused as stale
(``StaleSessionError``) if storage has moved on. ``max_replica_lag`` bounds
how far behind a read may be, for callers that want their reads fresh too.

The lag is measured by change-log positions, not by the age of the last
replayed commit (which grows while the primary is idle, though the replica
is current). Each check reads the primary's position, then the replica's
replayed position; the replica is fresh as of the latest check whose
primary position it has reached. Staleness can only grow as fast as the
clock, so "fresh as of T" bounds the lag by ``now - T`` until the next check,
and checks are made only when that bound nears ``max_replica_lag``: under
steady writes about two per bound interval, none between reads.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import TextClause
from sqlalchemy.ext.asyncio import AsyncEngine

from adk_store.dialects import DialectRules
from adk_store.engine import connect, redact
from adk_store.errors import StoreConfigurationError, StoreConnectionError

# Primary positions kept for matching a replica's replayed position; a
# replica further behind than the oldest of them counts as lagging.
_SAMPLES_KEPT = 16
# The bound is checked again after this share of it has passed since the
# last check, so a replica behind by little more than the bound is found
# out quickly while one that is current costs no more than two checks per bound.
_RECHECK_SHARE = 0.25


@dataclass
class _Replica:
    engine: AsyncEngine
    # Monotonic time up to which every primary commit has been replayed here.
    fresh_as_of: float | None = None
    checked_at: float = float("-inf")
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class ReadReplicas:
    """The replicas a store reads from, in turn, and the primary to fall back on.

    Without ``max_lag`` every read goes to the next replica in turn, however
    far behind it is. With it, a replica is used only while its lag is known
    to be within the bound; otherwise (lagging, unreachable, or promoted away
    from the primary's history) the read goes to the primary.
    """

    def __init__(
        self,
        primary: AsyncEngine,
        replicas: Sequence[AsyncEngine],
        rules: DialectRules,
        max_lag: timedelta | float | None = None,
    ) -> None:
        if not replicas:
            raise StoreConfigurationError(
                "max_replica_lag bounds reads from read replicas, and none was given: "
                "pass replica_urls too (or drop max_replica_lag)."
            )
        for replica in replicas:
            if replica.dialect.name != primary.dialect.name:
                raise StoreConfigurationError(
                    f"The read replica {redact(replica.url)} is a {replica.dialect.name} "
                    f"database and the primary {redact(primary.url)} a "
                    f"{primary.dialect.name} one: a replica must be a copy of the primary."
                )
        self.primary = primary
        self.engines = tuple(replicas)
        self.max_lag = _seconds(max_lag)
        self._positions = rules.replication_positions()
        if self.max_lag is not None and self._positions is None:
            raise StoreConfigurationError(
                f"max_replica_lag needs a way to measure a replica's lag, which adk-store "
                f"has for PostgreSQL only, not for {primary.dialect.name}: drop it to read "
                "the replicas whatever their lag (a stale copy is still refused on append)."
            )
        self._replicas = [_Replica(engine) for engine in replicas]
        self._turn = itertools.cycle(self._replicas)
        self._samples: deque[tuple[float, int]] = deque(maxlen=_SAMPLES_KEPT)

    async def engine_for_read(self) -> AsyncEngine:
        """The next replica in turn that is fresh enough, else the primary."""
        for _ in range(len(self._replicas)):
            replica = next(self._turn)
            if self.max_lag is None or await self._fresh_enough(replica, self.max_lag):
                return replica.engine
        return self.primary

    async def dispose(self) -> None:
        for engine in self.engines:
            await engine.dispose()

    async def _fresh_enough(self, replica: _Replica, max_lag: float) -> bool:
        if _within(replica, max_lag):
            return True
        async with replica.lock:
            if _within(replica, max_lag):
                return True
            if time.monotonic() - replica.checked_at >= max_lag * _RECHECK_SHARE:
                await self._check(replica)
            return _within(replica, max_lag)

    async def _check(self, replica: _Replica) -> None:
        """Sample the primary's position, then see how much of it the replica has replayed.

        An unreachable primary or replica leaves the replica unusable until
        the next check: the read goes to the primary, which reports the
        connection error if it is the one that is down.
        """
        assert self._positions is not None
        primary_position, replayed_position = self._positions
        replica.checked_at = time.monotonic()
        try:
            sampled_at = time.monotonic()
            position = await _scalar(self.primary, primary_position)
            if position is not None:
                self._samples.append((sampled_at, position))
            replayed = await _scalar(replica.engine, replayed_position)
        except StoreConnectionError:
            replica.fresh_as_of = None
            return
        if replayed is None:
            replica.fresh_as_of = None
            return
        caught_up = [at for at, sampled in self._samples if sampled <= replayed]
        replica.fresh_as_of = max(caught_up, default=None)


def _within(replica: _Replica, max_lag: float) -> bool:
    return replica.fresh_as_of is not None and time.monotonic() - replica.fresh_as_of <= max_lag


async def _scalar(engine: AsyncEngine, statement: TextClause) -> int | None:
    async with connect(engine) as connection:
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        value = (await connection.execute(statement)).scalar_one()
    return None if value is None else int(value)


def _seconds(max_lag: timedelta | float | None) -> float | None:
    if max_lag is None:
        return None
    seconds = max_lag.total_seconds() if isinstance(max_lag, timedelta) else float(max_lag)
    if not seconds > 0:
        raise StoreConfigurationError(
            f"max_replica_lag must be a positive duration (a timedelta or seconds), "
            f"not {max_lag!r}."
        )
    return seconds
