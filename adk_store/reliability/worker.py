"""One torture worker process: ``python -m adk_store.reliability.worker``.

Reads a `adk_store.reliability.ledger.WorkerConfig` line on standard
input, opens its own session service, prints ``ready``, waits for a ``go``
line, then runs its tasks until the time is up, printing every call before it
is made and its outcome after, one JSON line each. Errors are outcomes, not
crashes: the checker decides which ones were allowed.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
import uuid
from collections.abc import Awaitable
from typing import Any

from google.adk.errors import StaleSessionError
from google.adk.errors.already_exists_error import AlreadyExistsError
from google.adk.errors.session_not_found_error import SessionNotFoundError
from google.adk.sessions.base_session_service import BaseSessionService, GetSessionConfig
from google.adk.sessions.session import Session
from sqlalchemy.engine import make_url

from adk_store.errors import StoreConnectionError
from adk_store.reliability.ledger import (
    Action,
    Attempt,
    Outcome,
    Ready,
    Result,
    WorkerConfig,
    op_id,
)
from adk_store.reliability.workload import (
    COUNT_KEY,
    INCARNATION_KEY,
    RACE_SESSIONS,
    SHARED_SESSIONS,
    build_event,
    close_service,
    open_service,
    own_session,
    writer_name,
)

# After an error that is not a refusal, wait before the next call so an
# outage is not answered with a busy loop.
ERROR_PAUSE_SECONDS = 0.1
# Longest pause between reading a race session and appending to it.
THINK_SECONDS = 0.05
# Reads only need the session's state and revision, not its history.
LATEST_ONLY = GetSessionConfig(num_recent_events=1)


def emit(line: Ready | Attempt | Outcome) -> None:
    """Write one ledger line and flush it: an attempt must be out before its call starts."""
    sys.stdout.write(line.model_dump_json(exclude_none=True) + "\n")
    sys.stdout.flush()


def classify(exc: BaseException) -> Result:
    if isinstance(exc, StaleSessionError):
        return "stale"
    if isinstance(exc, SessionNotFoundError):
        return "not_found"
    if isinstance(exc, AlreadyExistsError):
        return "exists"
    if isinstance(exc, StoreConnectionError):
        return "unavailable"
    return "unexpected"


class Writer:
    """One task of the worker: a sequential writer with its own name and numbers."""

    def __init__(
        self, service: BaseSessionService, config: WorkerConfig, task: int, deadline: float
    ) -> None:
        self.service = service
        self.app_name = config.app_name
        self.name = writer_name(config.process, task)
        self.own = own_session(self.name, config.process, task)
        self.own_created = False
        self.rng = random.Random(f"{config.seed}:{self.name}")
        self.deadline = deadline
        self.seq = 0
        self.password = make_url(config.url).password

    def attempt(self, action: Action, key: tuple[str, str], **fields: Any) -> Attempt:
        self.seq += 1
        return Attempt(
            op=op_id(self.name, self.seq),
            writer=self.name,
            seq=self.seq,
            action=action,
            user_id=key[0],
            session_id=key[1],
            **fields,
        )

    async def call(self, attempt: Attempt, pending: Awaitable[Any]) -> tuple[Result, Any]:
        """Report the attempt, await the call, report its outcome."""
        attempt.at = time.monotonic()
        emit(attempt)
        try:
            value = await pending
        except Exception as exc:  # noqa: BLE001 - every error is recorded and judged later
            result = classify(exc)
            failed = result in ("unavailable", "unexpected")
            error = self.describe(exc) if failed else None
            emit(Outcome(op=attempt.op, result=result, error=error, at=time.monotonic()))
            if failed:
                await asyncio.sleep(ERROR_PAUSE_SECONDS)
            return result, None
        emit(Outcome(op=attempt.op, result="ok", at=time.monotonic()))
        return "ok", value

    def describe(self, exc: BaseException) -> str:
        """The error as the caller saw it: its full type name and message, password masked."""
        kind = type(exc)
        text = f"{kind.__module__}.{kind.__qualname__}: {exc}"
        if self.password:
            text = text.replace(str(self.password), "***")
        return text[:500]

    async def run(self) -> None:
        while time.monotonic() < self.deadline:
            roll = self.rng.random()
            if roll < 0.5:
                await self.append(self.rng.choice(SHARED_SESSIONS), retry=True)
            elif roll < 0.7:
                await self.append_own()
            else:
                await self.race()

    async def read(self, key: tuple[str, str]) -> Session | None:
        _, session = await self.call(
            self.attempt("read", key),
            self.service.get_session(
                app_name=self.app_name, user_id=key[0], session_id=key[1], config=LATEST_ONLY
            ),
        )
        return session if isinstance(session, Session) else None

    async def append(self, key: tuple[str, str], *, retry: bool, think: bool = False) -> None:
        """Read the session and append to it; on a stale copy, read again if ``retry``.

        ``think`` waits a little between the read and the append, as an agent
        calling its model does, leaving time for the session to be deleted
        and created again under the reader.
        """
        while time.monotonic() < self.deadline:
            session = await self.read(key)
            if session is None:
                return
            if think:
                await asyncio.sleep(self.rng.uniform(0, THINK_SECONDS))
            attempt = self.attempt(
                "append",
                key,
                event_id=str(uuid.uuid4()),
                base=int(session.state.get(COUNT_KEY, 0)),
                incarnation=session.state.get(INCARNATION_KEY),
            )
            result, _ = await self.call(
                attempt, self.service.append_event(session, build_event(attempt))
            )
            if result != "stale" or not retry:
                return

    async def append_own(self) -> None:
        if not self.own_created:
            result, _ = await self.call(
                self.attempt("create", self.own),
                self.service.create_session(
                    app_name=self.app_name, user_id=self.own[0], session_id=self.own[1]
                ),
            )
            # "exists": an earlier create whose outcome was lost did commit.
            self.own_created = result in ("ok", "exists")
            return
        await self.append(self.own, retry=False)

    async def race(self) -> None:
        """Create, append to or delete a session every other writer races on too."""
        key = self.rng.choice(RACE_SESSIONS)
        roll = self.rng.random()
        if roll < 0.35:
            attempt = self.attempt("create", key)
            attempt.incarnation = attempt.op
            await self.call(
                attempt,
                self.service.create_session(
                    app_name=self.app_name,
                    user_id=key[0],
                    session_id=key[1],
                    state={INCARNATION_KEY: attempt.op},
                ),
            )
        elif roll < 0.8:
            await self.append(key, retry=False, think=True)
        else:
            await self.call(
                self.attempt("delete", key),
                self.service.delete_session(
                    app_name=self.app_name, user_id=key[0], session_id=key[1]
                ),
            )


async def work(config: WorkerConfig) -> None:
    service = open_service(config.service, config.url, create_tables=False)
    try:
        # Opening a connection before "ready" keeps start-up out of the timed run.
        await service.get_session(
            app_name=config.app_name,
            user_id=SHARED_SESSIONS[0][0],
            session_id=SHARED_SESSIONS[0][1],
            config=LATEST_ONLY,
        )
        emit(Ready())
        await asyncio.to_thread(sys.stdin.readline)
        deadline = time.monotonic() + config.seconds
        writers = [Writer(service, config, task, deadline) for task in range(config.tasks)]
        await asyncio.gather(*(writer.run() for writer in writers))
    finally:
        await close_service(service)


def main() -> None:
    config = WorkerConfig.model_validate_json(sys.stdin.readline())
    asyncio.run(work(config))


if __name__ == "__main__":
    main()
