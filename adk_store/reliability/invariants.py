"""The promises a torture run checks, against what the database holds.

An append that returned is stored exactly once, in its session's order, and
its state change with it; an append that raised a refusal (stale, not found)
left nothing behind; no two events of a session were built on the same
revision (a forked history); every ``app:``/``user:``/session key holds its
writer's last acknowledged value; every error a caller saw was one of ADK's
or adk-store's own. Calls whose outcome is unknown (their worker was killed,
or the database went away mid-call) may have been applied or not, but never
half.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from google.adk.sessions.base_session_service import BaseSessionService
from google.adk.sessions.session import Session
from pydantic import BaseModel

from adk_store.reliability.ledger import Attempt, Ledger
from adk_store.reliability.workload import (
    APP_PREFIX,
    COUNT_KEY,
    INCARNATION_KEY,
    RACE_SESSIONS,
    SHARED_SESSIONS,
    USER_PREFIX,
    op_of,
    writer_key,
)

SessionKey = tuple[str, str]
Snapshot = dict[SessionKey, Session | None]

WRITER_KEY_PREFIX = writer_key("")


class Violation(BaseModel):
    """One broken promise: which rule, and what exactly was found."""

    rule: str
    detail: str


async def read_snapshot(service: BaseSessionService, app_name: str, ledger: Ledger) -> Snapshot:
    """Every session a run may have written, with all its events, as the database holds it."""
    keys = {
        *SHARED_SESSIONS,
        *RACE_SESSIONS,
        *((attempt.user_id, attempt.session_id) for attempt in ledger.of("create")),
    }
    return {
        key: await service.get_session(app_name=app_name, user_id=key[0], session_id=key[1])
        for key in sorted(keys)
    }


def check(ledger: Ledger, snapshot: Snapshot, *, faults: bool = False) -> list[Violation]:
    """Every violation found; empty when the run kept every promise.

    ``faults``: the database was made unavailable or workers were killed on
    purpose, so calls that raised ``StoreConnectionError`` or never reported
    an outcome are in doubt rather than failures.
    """
    return _Checker(ledger, snapshot, faults).run()


def _session_keys(state: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in state.items() if not k.startswith((APP_PREFIX, USER_PREFIX))}


def _scope(state: dict[str, object], prefix: str) -> dict[str, object]:
    return {k.removeprefix(prefix): v for k, v in state.items() if k.startswith(prefix)}


class _Checker:
    """One pass over a snapshot and a ledger, collecting violations."""

    def __init__(self, ledger: Ledger, snapshot: Snapshot, faults: bool) -> None:
        self.ledger = ledger
        self.snapshot = snapshot
        self.faults = faults
        self.found: list[Violation] = []
        # Stored appends, by the session holding them, in its order.
        self.stored: dict[SessionKey, list[Attempt]] = defaultdict(list)

    def fail(self, rule: str, detail: str) -> None:
        self.found.append(Violation(rule=rule, detail=detail))

    def run(self) -> list[Violation]:
        self.check_errors()
        self.check_sessions_exist()
        for key, session in self.snapshot.items():
            if session is not None:
                self.check_history(key, session)
        self.check_stored_once()
        self.check_acknowledged_appends()
        self.check_stale_refusals()
        self.check_appends_to_deleted_sessions()
        self.check_scopes()
        return self.found

    # -- what callers saw -------------------------------------------------

    def allowed(self, attempt: Attempt, result: str) -> bool:
        if result == "ok" or (result == "unavailable" and self.faults):
            return True
        if result == "not_found":
            # Only race sessions are ever deleted.
            return attempt.action == "append" and (attempt.user_id, attempt.session_id) in (
                RACE_SESSIONS
            )
        return self.ledger.refused(attempt)

    def check_errors(self) -> None:
        """Each disallowed error type once per action, with a count and the first message."""
        seen: Counter[tuple[str, str]] = Counter()
        first: dict[tuple[str, str], str] = {}
        for attempt in self.ledger.attempts.values():
            outcome = self.ledger.outcome(attempt.op)
            if outcome is None:
                if not self.faults:
                    group = (attempt.action, "no outcome (its worker died)")
                    seen[group] += 1
                    first.setdefault(group, attempt.op)
                continue
            if self.allowed(attempt, outcome.result):
                continue
            error = outcome.error or outcome.result
            group = (attempt.action, error.split(":", 1)[0])
            seen[group] += 1
            first.setdefault(group, f"{attempt.op} on {attempt.session_id}: {error}")
        for (action, kind), count in seen.items():
            self.fail(
                "error", f"{count} {action} call(s) ended with {kind}; first: {first[action, kind]}"
            )

    # -- sessions and their histories ------------------------------------

    def check_sessions_exist(self) -> None:
        must_exist = set(SHARED_SESSIONS)
        for attempt in self.ledger.of("create"):
            key = (attempt.user_id, attempt.session_id)
            if key not in RACE_SESSIONS and self.ledger.acknowledged(attempt):
                must_exist.add(key)
        for key in sorted(must_exist):
            if self.snapshot.get(key) is None:
                self.fail("lost-session", f"session {key[1]} of {key[0]} was created but is gone")

    def check_history(self, key: SessionKey, session: Session) -> None:
        """One session's events against the ledger and against its own state."""
        state = _session_keys(session.state)
        incarnation = state.get(INCARNATION_KEY)
        appends = self.stored_appends(key, session)
        if key in RACE_SESSIONS:
            self.check_incarnation(key, incarnation)
            foreign = [a for a in appends if a.incarnation != incarnation]
            for attempt in foreign:
                self.fail(
                    "stale-incarnation",
                    f"append {attempt.op} was built on {key[1]} as created by "
                    f"{attempt.incarnation}, but is stored in its re-creation by {incarnation}",
                )
            if foreign:
                return  # its order and state follow from that; nothing more to learn
        last_seq = self.check_order(key, appends)
        self.check_session_state(key, state, len(session.events), last_seq)

    def stored_appends(self, key: SessionKey, session: Session) -> list[Attempt]:
        """The appends whose events the session holds, in its order; others are reported."""
        appends: list[Attempt] = []
        for event in session.events:
            op = op_of(event)
            attempt = self.ledger.attempts.get(op) if op else None
            if (
                attempt is None
                or attempt.action != "append"
                or attempt.event_id != event.id
                or (attempt.user_id, attempt.session_id) != key
            ):
                self.fail(
                    "phantom-event",
                    f"event {event.id} in {key[1]} matches no append any worker made",
                )
                continue
            if self.ledger.refused(attempt):
                outcome = self.ledger.outcome(attempt.op)
                result = outcome.result if outcome else "?"
                self.fail(
                    "refused-but-stored",
                    f"append {attempt.op} raised {result}, but its event is stored in {key[1]}",
                )
            appends.append(attempt)
        self.stored[key] = appends
        return appends

    def check_order(self, key: SessionKey, appends: list[Attempt]) -> dict[str, int]:
        """Event i was built on a copy holding i events; each writer's events in its order.

        Returns each writer's last stored sequence number.
        """
        built_on: dict[int | None, str] = {}
        last_seq: dict[str, int] = {}
        for index, attempt in enumerate(appends):
            if attempt.base in built_on:
                self.fail(
                    "fork",
                    f"events of {built_on[attempt.base]} and {attempt.op} in {key[1]} were both "
                    f"appended on top of event {attempt.base}",
                )
            elif attempt.base != index:
                self.fail(
                    "order",
                    f"event {index} of {key[1]} ({attempt.op}) was built on a copy holding "
                    f"{attempt.base} events",
                )
            built_on[attempt.base] = attempt.op
            previous = last_seq.get(attempt.writer)
            if previous is not None and attempt.seq <= previous:
                self.fail(
                    "order",
                    f"{attempt.writer}'s append {attempt.seq} is stored after its append "
                    f"{previous} in {key[1]}",
                )
            last_seq[attempt.writer] = max(attempt.seq, previous or 0)
        return last_seq

    def check_incarnation(self, key: SessionKey, incarnation: object) -> None:
        creator = self.ledger.attempts.get(incarnation) if isinstance(incarnation, str) else None
        if creator is None or creator.action != "create":
            self.fail("phantom-session", f"{key[1]} exists but no worker's create made it")
        elif self.ledger.refused(creator):
            self.fail(
                "refused-but-stored",
                f"create {creator.op} of {key[1]} raised, but the session it made exists",
            )

    def check_session_state(
        self, key: SessionKey, state: dict[str, object], events: int, last_seq: dict[str, int]
    ) -> None:
        """Both sides of each append: its event is stored iff its state change is."""
        if state.get(COUNT_KEY, 0) != events:
            self.fail(
                "half-written",
                f"{key[1]} holds {events} events but its state counts {state.get(COUNT_KEY, 0)}",
            )
        writers = set(last_seq) | {
            k.removeprefix(WRITER_KEY_PREFIX) for k in state if k.startswith(WRITER_KEY_PREFIX)
        }
        for writer in sorted(writers):
            value = state.get(writer_key(writer))
            if value != last_seq.get(writer):
                self.fail(
                    "half-written",
                    f"{key[1]}: {writer}'s last stored event is number {last_seq.get(writer)} "
                    f"but the session state says {value}",
                )

    def check_stored_once(self) -> None:
        ids = Counter(
            event.id
            for session in self.snapshot.values()
            if session is not None
            for event in session.events
        )
        for event_id, count in ids.items():
            if count > 1:
                self.fail("duplicate", f"event {event_id} is stored {count} times")

    def check_acknowledged_appends(self) -> None:
        for attempt in self.ledger.of("append"):
            if not self.ledger.acknowledged(attempt):
                continue
            key = (attempt.user_id, attempt.session_id)
            session = self.snapshot.get(key)
            if key in RACE_SESSIONS and (
                session is None or session.state.get(INCARNATION_KEY) != attempt.incarnation
            ):
                continue  # deleted since, with its events
            if session is None or all(event.id != attempt.event_id for event in session.events):
                self.fail(
                    "lost-append",
                    f"append {attempt.op} ({attempt.event_id}) to {key[1]} returned, "
                    "but its event is not stored",
                )

    def check_stale_refusals(self) -> None:
        """A stale refusal needs a rival: another event stored on the same revision."""
        for attempt in self.ledger.of("append"):
            outcome = self.ledger.outcome(attempt.op)
            key = (attempt.user_id, attempt.session_id)
            if outcome is None or outcome.result != "stale" or key in RACE_SESSIONS:
                continue
            if self.snapshot.get(key) is None:
                continue
            if all(stored.base != attempt.base for stored in self.stored[key]):
                self.fail(
                    "false-stale",
                    f"append {attempt.op} to {key[1]} was refused as stale, but no event was "
                    f"stored on top of event {attempt.base}",
                )

    def check_appends_to_deleted_sessions(self) -> None:
        """An append that began after its session was deleted must not return ok.

        If a create of the same session started after the append's session
        was created and returned before the append began, the append's
        session was deleted in between; an append that still returned ok went
        into a later session, on a history it never saw.
        """
        created: dict[SessionKey, list[tuple[Attempt, float]]] = defaultdict(list)
        for create in self.ledger.of("create"):
            outcome = self.ledger.outcome(create.op)
            key = (create.user_id, create.session_id)
            if key in RACE_SESSIONS and outcome is not None and outcome.result == "ok":
                created[key].append((create, outcome.at))
        returned = {create.op: at for creates in created.values() for create, at in creates}
        for attempt in self.ledger.of("append"):
            key = (attempt.user_id, attempt.session_id)
            own = returned.get(attempt.incarnation or "")
            if own is None or not self.ledger.acknowledged(attempt):
                continue
            later = next(
                (create.op for create, at in created[key] if own < create.at and at < attempt.at),
                None,
            )
            if later is not None:
                self.fail(
                    "stale-incarnation",
                    f"append {attempt.op} was built on {key[1]} as created by "
                    f"{attempt.incarnation}, which was deleted and created again by {later} "
                    "before the append began; it returned ok",
                )

    # -- app: and user: scopes -------------------------------------------

    def check_scopes(self) -> None:
        appends = list(self.ledger.of("append"))
        present = [s for s in self.snapshot.values() if s is not None]
        if present:
            self.check_scope(
                "app:", _scope(present[0].state, APP_PREFIX), appends, self.stored.values()
            )
        for key in SHARED_SESSIONS:
            session = self.snapshot.get(key)
            if session is None:
                continue
            user = key[0]
            self.check_scope(
                f"user:({user})",
                _scope(session.state, USER_PREFIX),
                [a for a in appends if a.user_id == user],
                [stored for k, stored in self.stored.items() if k[0] == user],
            )

    def check_scope(
        self,
        label: str,
        state: dict[str, object],
        appends: list[Attempt],
        stored: Iterable[list[Attempt]],
    ) -> None:
        """Each writer's key holds its last acknowledged number (or a later one in doubt)."""
        acknowledged: dict[str, int] = {}
        in_doubt: dict[str, set[int]] = defaultdict(set)
        for attempt in appends:
            if self.ledger.acknowledged(attempt):
                acknowledged[attempt.writer] = max(attempt.seq, acknowledged.get(attempt.writer, 0))
            elif self.ledger.in_doubt(attempt):
                in_doubt[attempt.writer].add(attempt.seq)
        stored_max: dict[str, int] = {}
        for attempts in stored:
            for attempt in attempts:
                stored_max[attempt.writer] = max(attempt.seq, stored_max.get(attempt.writer, 0))
        writers = (
            set(acknowledged)
            | set(in_doubt)
            | {k.removeprefix(WRITER_KEY_PREFIX) for k in state if k.startswith(WRITER_KEY_PREFIX)}
        )
        for writer in sorted(writers):
            found = state.get(writer_key(writer))
            value = found if isinstance(found, int) else None
            last = acknowledged.get(writer)
            allowed: set[int | None] = {s for s in in_doubt[writer] if last is None or s > last}
            allowed.add(last)
            if found not in allowed:
                lost = last is not None and (value is None or value < last)
                self.fail(
                    "lost-key" if lost else "phantom-key",
                    f"{label}{writer_key(writer)} is {found!r}, but {writer}'s last "
                    f"acknowledged write set {last}",
                )
            elif writer in stored_max and (value is None or value < stored_max[writer]):
                self.fail(
                    "half-written",
                    f"{label}{writer_key(writer)} is {found!r}, but {writer}'s event number "
                    f"{stored_max[writer]} is stored",
                )
