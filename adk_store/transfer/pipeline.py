"""Moving every session of a source into an adk-store store, resumably.

Sessions are written whole: a session and all its events are in one
transaction (several small sessions share one, up to about ``batch_size``
rows), so an interrupted run leaves complete sessions only. A session the
destination already holds is not written again; whether it is the same is
judged by its number of events:

- the same number: imported before, skipped;
- a different number: it changed in the source (or in the destination) since
  it was imported. It is left as it is and reported; with ``replace_changed``
  the destination's copy is replaced by the source's, in one transaction.

``app:`` and ``user:`` state rows are written when the destination has none;
one that differs is left as it is, or with ``replace_changed`` overwritten.

So a second run imports nothing twice, and a run that stopped (killed,
``limit`` reached, a failure) continues where it stopped. Events are read a
page at a time and written as they are read: memory holds one page of
sessions and one page of events, whatever the size of the tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncConnection

from adk_store.errors import InvalidArgumentError
from adk_store.store import SessionStore
from adk_store.transfer.destination import Destination, scope_key
from adk_store.transfer.progress import NoProgress, TransferProgress
from adk_store.transfer.source_records import (
    SCOPES,
    Refusal,
    Samples,
    Scope,
    ScopeRecord,
    SessionKey,
    SessionRecord,
    SourceRowError,
    describe,
)
from adk_store.transfer.sources import Source

DEFAULT_BATCH_SIZE = 500
# Keys of one page go into one statement as bound parameters (three per
# session): this keeps every database under its parameter limit.
MAX_BATCH_SIZE = 5000


@dataclass
class TransferReport:
    """What a transfer wrote, skipped, replaced and refused."""

    dry_run: bool
    sessions_written: int = 0
    events_written: int = 0
    app_states_written: int = 0
    user_states_written: int = 0
    # Already in the destination with the same number of events (states: the same state).
    sessions_present: int = 0
    states_present: int = 0
    # In the destination but different: left as they are, or replaced.
    sessions_changed: Samples = field(default_factory=Samples)
    states_changed: Samples = field(default_factory=Samples)
    # Of the written sessions and states, how many replaced a different copy.
    sessions_replaced: int = 0
    states_replaced: int = 0
    refused: Samples = field(default_factory=Samples)
    # The run stopped at its ``limit``; a rerun continues.
    stopped_at_limit: bool = False


def check_batch_size(batch_size: int) -> int:
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise InvalidArgumentError(
            f"The batch size is {batch_size}; use 1 to {MAX_BATCH_SIZE} (default "
            f"{DEFAULT_BATCH_SIZE})."
        )
    return batch_size


async def transfer(
    source: Source,
    store: SessionStore,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    dry_run: bool = False,
    limit: int | None = None,
    replace_changed: bool = False,
    progress: TransferProgress | None = None,
    destination_exists: bool = True,
) -> TransferReport:
    """Write what ``store`` lacks of ``source``; with ``dry_run``, only say what that is.

    A dry run reads and converts everything a real run would (so it finds the
    rows that would be refused) and writes nothing. ``limit`` stops after that
    many sessions have been written. ``replace_changed`` overwrites what the
    destination holds differently (for a final run at cut-over, before the
    application writes to the destination). The store's schema must be
    current (`SessionStore.ensure_ready`); ``destination_exists=False``
    is for a dry run against a database whose tables are not created yet.
    """
    if destination_exists:
        await store.ensure_ready()
    run = _Run(
        source,
        Destination(store, exists=destination_exists),
        check_batch_size(batch_size),
        progress or NoProgress(),
        dry_run=dry_run,
        limit=limit,
        replace_changed=replace_changed,
    )
    await run.all()
    return run.report


class _Run:
    def __init__(
        self,
        source: Source,
        destination: Destination,
        batch_size: int,
        progress: TransferProgress,
        *,
        dry_run: bool,
        limit: int | None,
        replace_changed: bool,
    ) -> None:
        self.source = source
        self.destination = destination
        self.batch_size = batch_size
        self.progress = progress
        self.dry_run = dry_run
        self.limit = limit
        self.replace_changed = replace_changed
        self.report = TransferReport(dry_run=dry_run)

    async def all(self) -> None:
        self.progress.start(*await self.source.totals())
        for scope in SCOPES:
            async for page in self.source.scope_pages(scope, self.batch_size):
                await self.scopes(scope, page)
        async for session_page in self.source.session_pages(self.batch_size):
            await self.sessions(session_page)
            if self.report.stopped_at_limit:
                return

    async def scopes(self, scope: Scope, page: Sequence[ScopeRecord | Refusal]) -> None:
        records = [item for item in page if isinstance(item, ScopeRecord)]
        for item in page:
            if isinstance(item, Refusal):
                self.report.refused.add(str(item))
        stored = await self.destination.scope_states(scope, records)
        new, changed = [], []
        for record in records:
            state = stored.get(scope_key(scope, record))
            if state is None:
                new.append(record)
            elif state == record.state:
                self.report.states_present += 1
            else:
                changed.append(record)
                names = ", ".join(map(repr, scope_key(scope, record)))
                self.report.states_changed.add(f"{scope} state of {names}")
        if not self.replace_changed:
            changed = []
        if not self.dry_run and (new or changed):
            async with self.destination.transaction() as connection:
                await self.destination.insert_scopes(connection, scope, new)
                await self.destination.replace_scopes(connection, scope, changed)
        self.report.states_replaced += len(changed)
        if scope == "app":
            self.report.app_states_written += len(new) + len(changed)
        else:
            self.report.user_states_written += len(new) + len(changed)

    async def sessions(self, page: Sequence[SessionRecord | Refusal]) -> None:
        records = [item for item in page if isinstance(item, SessionRecord)]
        for item in page:
            if isinstance(item, Refusal):
                self.report.refused.add(str(item))
                self.progress.advance(1, 0)
        keys = [record.key for record in records]
        counts = await self.source.event_counts(keys)
        stored = await self.destination.sessions(keys)
        to_write: list[SessionRecord] = []
        replacing: set[SessionKey] = set()
        for record in records:
            facts = stored.get(record.key)
            expected = counts.get(record.key, 0)
            if facts is None:
                to_write.append(record)
                continue
            if facts.events == expected:
                self.report.sessions_present += 1
                self.progress.advance(1, expected)
                continue
            self.report.sessions_changed.add(
                f"{describe(record.key)}: {expected} events in the source, "
                f"{facts.events} in the destination"
            )
            if self.replace_changed:
                to_write.append(record)
                replacing.add(record.key)
            else:
                self.progress.advance(1, expected)
        if self.limit is not None:
            room = max(self.limit - self.report.sessions_written, 0)
            if len(to_write) > room:
                to_write = to_write[:room]
                self.report.stopped_at_limit = True
        await self.write(to_write, counts, replacing)

    async def write(
        self,
        records: list[SessionRecord],
        counts: dict[SessionKey, int],
        replacing: set[SessionKey],
    ) -> None:
        """Write whole sessions, several to a transaction.

        A session whose events cannot be read is refused: its transaction
        rolls back, and the sessions that shared it are written again without it.
        """
        pending = records
        while pending:
            done: list[tuple[SessionRecord, int]] = []
            current = pending[0]
            try:
                async with self._transaction() as connection:
                    rows = 0
                    for current in pending:
                        written = await self.write_session(
                            connection, current, counts, current.key in replacing
                        )
                        done.append((current, written))
                        rows += 1 + written
                        if rows >= self.batch_size:
                            break
            except SourceRowError as exc:
                self.report.refused.add(f"{describe(current.key)}: {exc}")
                self.progress.advance(1, counts.get(current.key, 0))
                pending = [record for record in pending if record is not current]
                continue
            for record, written in done:
                self.report.sessions_written += 1
                if record.key in replacing:
                    self.report.sessions_replaced += 1
                self.report.events_written += written
                self.progress.advance(1, written)
            pending = pending[len(done) :]

    async def write_session(
        self,
        connection: AsyncConnection | None,
        record: SessionRecord,
        counts: dict[SessionKey, int],
        replace: bool,
    ) -> int:
        """Insert the session and stream its events in; the number of events."""
        key = record.key
        revision = record.revision if record.revision is not None else counts.get(key, 0)
        if connection is not None:
            if replace:
                await self.destination.delete_session(connection, key)
            await self.destination.insert_session(connection, record, revision)
        written = 0
        async for rows in self.source.event_pages(key, self.batch_size):
            if connection is not None:
                await self.destination.insert_events(connection, key, rows)
            written += len(rows)
        if connection is not None and record.revision is None:
            # A source with no revisions keeps no order either: number the events.
            await self.destination.number_events(connection, key)
            # Events added to the source since it was counted are imported too.
            if written != revision:
                await self.destination.set_revision(connection, key, written)
        return written

    def _transaction(self) -> AbstractAsyncContextManager[AsyncConnection | None]:
        """A write transaction, or for a dry run nothing to write to."""
        if self.dry_run:
            return nullcontext()
        return self.destination.transaction()
