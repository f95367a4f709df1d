"""Progress of a transfer: silent for library callers, a rich bar on the command line."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class TransferProgress(Protocol):
    """Told the totals once, then how many sessions and events each step settled."""

    def start(self, sessions: int, events: int) -> None: ...

    def advance(self, sessions: int, events: int) -> None: ...


class NoProgress:
    """Reports nothing."""

    def start(self, sessions: int, events: int) -> None:
        pass

    def advance(self, sessions: int, events: int) -> None:
        pass


class RichProgress:
    """Two bars, sessions and events, on ``console``; use it as a context manager."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("{task.description:>8}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
        )
        self._sessions: TaskID | None = None
        self._events: TaskID | None = None

    def __enter__(self) -> Self:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def start(self, sessions: int, events: int) -> None:
        self._sessions = self._progress.add_task("sessions", total=sessions)
        self._events = self._progress.add_task("events", total=events)

    def advance(self, sessions: int, events: int) -> None:
        if self._sessions is not None and self._events is not None:
            self._progress.advance(self._sessions, sessions)
            self._progress.advance(self._events, events)
