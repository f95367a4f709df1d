"""The ``adk-store`` command."""

from __future__ import annotations

from importlib import metadata
from typing import Annotated

import typer

from adk_store.cli.common import DebugOption, ReportingGroup
from adk_store.cli.db import db
from adk_store.cli.help import CommandsInOrder
from adk_store.cli.memory import memory
from adk_store.cli.prune import prune
from adk_store.cli.sessions import sessions
from adk_store.cli.tools import bench, demo
from adk_store.cli.torture import torture
from adk_store.cli.transfer import copy_command, import_command


class _Commands(ReportingGroup, CommandsInOrder):
    """The top-level group: errors reported in one line, commands in the order met."""


app = typer.Typer(
    help="A SQL session store for Google's Agent Development Kit.",
    no_args_is_help=True,
    add_completion=False,
    cls=_Commands,
    rich_markup_mode=None,
)
app.add_typer(db, name="db")
app.add_typer(sessions, name="sessions")
app.add_typer(memory, name="memory")
app.command()(demo)
app.command("import")(import_command)
app.command("copy")(copy_command)
app.command()(prune)
app.command()(bench)
app.command()(torture)


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"adk-store {metadata.version('adk-store')}")
        raise typer.Exit()


@app.callback()
def options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    debug: DebugOption = False,
) -> None:
    """Only global options: each command does its own work."""


def main() -> None:
    app()
