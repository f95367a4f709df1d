"""What torture workers are told and what they report, as JSON lines.

A worker announces every call before making it (an `Attempt`) and
reports how it ended (an `Outcome`). An attempt with no outcome is a
call in flight when its worker died: it may or may not have been applied.
The invariant checker compares this ledger with what the database holds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import BaseModel, Field, TypeAdapter

ServiceKind = Literal["adk-store", "adk"]
Action = Literal["read", "create", "append", "delete"]
# ok, or the error type the call raised, sorted into what the checker needs.
Result = Literal["ok", "stale", "exists", "not_found", "unavailable", "unexpected"]

# Results a call may end with and still have left nothing behind.
REFUSALS: dict[Action, frozenset[Result]] = {
    "read": frozenset(),
    "create": frozenset({"exists"}),
    "append": frozenset({"stale", "not_found"}),
    "delete": frozenset(),
}


class WorkerConfig(BaseModel):
    """Sent to a worker on its standard input, one line, before it starts."""

    url: str
    service: ServiceKind
    app_name: str
    process: int
    tasks: int
    seconds: float
    seed: int


class Ready(BaseModel):
    """The worker's service is open; it waits for ``go`` on standard input."""

    kind: Literal["ready"] = "ready"


class Attempt(BaseModel):
    """A call about to be made. ``op`` is ``<writer>:<seq>``, unique in a run."""

    kind: Literal["attempt"] = "attempt"
    op: str
    writer: str
    seq: int
    action: Action
    user_id: str
    session_id: str
    event_id: str | None = None
    # For appends: the session's event count the event was built on.
    base: int | None = None
    # Race sessions: which creation of the session the call saw (or makes).
    incarnation: str | None = None
    # time.monotonic() as the call started: one clock for every process on
    # the host, so calls of different workers can be ordered.
    at: float = 0.0


class Outcome(BaseModel):
    """How a call ended."""

    kind: Literal["outcome"] = "outcome"
    op: str
    result: Result
    error: str | None = None
    # time.monotonic() as the call returned.
    at: float = 0.0


Line = Annotated[Ready | Attempt | Outcome, Field(discriminator="kind")]
LINE = TypeAdapter(Line)


def op_id(writer: str, seq: int) -> str:
    return f"{writer}:{seq}"


@dataclass
class Ledger:
    """Every call of a run and its outcome (None: in flight when its worker died)."""

    attempts: dict[str, Attempt] = field(default_factory=dict)
    outcomes: dict[str, Outcome] = field(default_factory=dict)

    def record(self, line: Attempt | Outcome) -> None:
        if isinstance(line, Attempt):
            self.attempts[line.op] = line
        else:
            self.outcomes[line.op] = line

    def outcome(self, op: str) -> Outcome | None:
        return self.outcomes.get(op)

    def acknowledged(self, attempt: Attempt) -> bool:
        outcome = self.outcomes.get(attempt.op)
        return outcome is not None and outcome.result == "ok"

    def refused(self, attempt: Attempt) -> bool:
        """The call raised one of the errors that promise nothing was written."""
        outcome = self.outcomes.get(attempt.op)
        return outcome is not None and outcome.result in REFUSALS[attempt.action]

    def in_doubt(self, attempt: Attempt) -> bool:
        """Neither acknowledged nor refused: it may or may not have been applied."""
        return not (self.acknowledged(attempt) or self.refused(attempt))

    def of(self, action: Action) -> Iterable[Attempt]:
        return (attempt for attempt in self.attempts.values() if attempt.action == action)

    def counts(self) -> dict[str, dict[str, int]]:
        """Calls by action and result ("in_flight" when no outcome was reported)."""
        counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for attempt in self.attempts.values():
            outcome = self.outcomes.get(attempt.op)
            counts[attempt.action][outcome.result if outcome else "in_flight"] += 1
        return {action: dict(results) for action, results in sorted(counts.items())}
