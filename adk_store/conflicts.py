"""Running a unit of work again when the database rolled it back to break a deadlock.

Concurrent calls on one session id (a delete racing two creates, say) lock
the same rows in different orders, and InnoDB breaks the cycle by rolling one
transaction back (error 1213); PostgreSQL does the same (40P01). Measured on
MariaDB 10.11: a delete and two creates of one id raised a raw deadlock error
in almost every round. A rolled-back attempt wrote nothing, and every store
operation is safe to repeat (an append is idempotent by event id), so the
whole unit is run again after a short random pause, a bounded number of
times; what the caller then sees is ADK's outcome of the race or, if every
attempt lost, `adk_store.errors.TransactionConflictError`.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError

from adk_store.dialects import DialectRules
from adk_store.errors import TransactionConflictError

T = TypeVar("T")

ATTEMPTS = 5
# The pause before attempt n+1 is random in [0, FIRST_PAUSE * 2**n): the
# racers spread out instead of colliding again in step.
FIRST_PAUSE_SECONDS = 0.005


async def retry_conflicts(
    rules: DialectRules, operation: Callable[[], Awaitable[T]], what: str
) -> T:
    """Run ``operation``; run it again (up to `ATTEMPTS` in all) while it is rolled back."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await operation()
        except DBAPIError as exc:
            if exc.orig is None or not rules.is_conflict(exc.orig):
                raise
            if attempt == ATTEMPTS:
                raise TransactionConflictError(
                    f"The database rolled back {what} {ATTEMPTS} times to break deadlocks "
                    f"with concurrent calls on the same rows ({type(exc.orig).__name__}: "
                    f"{exc.orig.args[0] if exc.orig.args else exc.orig}); nothing was "
                    "written. Retry the call."
                ) from None
        await asyncio.sleep(random.uniform(0, FIRST_PAUSE_SECONDS * 2**attempt))
    raise AssertionError("unreachable: the last attempt returns or raises")
