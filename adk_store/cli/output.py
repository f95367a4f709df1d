"""How the commands write what they found: JSON documents, UTC times, indented blocks."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

INDENT = 2
# Longer stored text is cut in the terminal; --json prints it whole.
MAX_SHOWN_CHARACTERS = 600
# Narrower than this, a value goes under its name rather than beside it.
MIN_VALUE_WIDTH = 24


def print_json(document: dict[str, Any]) -> None:
    """Write ``document`` on stdout for scripts.

    Plain echo, not the rich console: a console would wrap long lines (and
    read ``[...]`` and ``:name:`` in stored text), which breaks the JSON.
    """
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))


def iso_utc(when: datetime) -> str:
    """A time as JSON carries it: ISO 8601 in UTC, to the microsecond."""
    return when.astimezone(UTC).isoformat(timespec="microseconds")


def utc_time(when: datetime) -> str:
    """A time as people read it: UTC, which the heading says, to the microsecond.

    Events of one turn are often stored within a second of each other; the
    microseconds tell their order apart.
    """
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def one_line(text: str) -> str:
    """``text`` with its line breaks and runs of spaces folded, to read as one paragraph."""
    return " ".join(text.split())


def clipped(text: str, what: str) -> str:
    """``text``, cut to a few lines' worth, saying how much was left out and where it is."""
    if len(text) <= MAX_SHOWN_CHARACTERS:
        return text
    left_out = len(text) - MAX_SHOWN_CHARACTERS
    return f"{text[:MAX_SHOWN_CHARACTERS]}… ({left_out} more characters; --json shows {what} whole)"


def print_indented(out: Console, lines: Iterable[str], indent: int = INDENT) -> None:
    """Lines of stored text under a heading, each wrapped at the console's width.

    Wrapped here rather than by a padded renderable, which would pad every
    line with spaces to the width. Text, not markup: stored text holding
    ``[bold]`` is printed as it is.
    """
    margin = " " * indent
    for line in lines:
        for part in Text(line).wrap(out, max(out.width - indent, 1)):
            part.rstrip()
            out.print(Text(margin) + part, soft_wrap=True)


def print_fields(out: Console, fields: list[tuple[str, str]]) -> None:
    """Name and value pairs under a heading: values side by side when the names are short.

    With a long name (a state key can be any length) each value goes on
    its own lines under its name.
    """
    if not fields:
        return
    name_width = max(cell_len(name) for name, _ in fields) + 2
    value_width = out.width - INDENT - name_width
    if value_width < MIN_VALUE_WIDTH:
        for name, value in fields:
            print_indented(out, [name])
            print_indented(out, [value], 2 * INDENT)
        return
    for name, value in fields:
        lead = Text(" " * INDENT + name + " " * (name_width - cell_len(name)))
        for part in Text(value).wrap(out, value_width):
            part.rstrip()
            out.print(lead + part, soft_wrap=True)
            lead = Text(" " * (INDENT + name_width))


@contextmanager
def progress_bar(
    label: str, total: int, err: Console, *, hidden: bool
) -> Iterator[Callable[[int], None]]:
    """A bar on stderr, so stdout keeps only the summary that cron logs and scripts read.

    Yields the function that moves it on by a number of items done.
    """
    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=hidden,
    ) as progress:
        task = progress.add_task(label, total=total)
        yield lambda done: progress.advance(task, done)
