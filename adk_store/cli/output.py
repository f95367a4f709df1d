"""How the commands write what they found: JSON documents, UTC times, one-line text."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import typer


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
    """A time as tables show it: UTC, to the second, which the column heading says."""
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def one_line(text: str) -> str:
    """``text`` with its line breaks and runs of spaces folded, to fit a table row."""
    return " ".join(text.split())
