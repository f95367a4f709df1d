"""The ``adk-store`` command."""

from __future__ import annotations

import typer

from adk_store.cli.common import DebugOption, ReportingGroup
from adk_store.cli.db import db
from adk_store.cli.prune import prune
from adk_store.cli.sessions import sessions
from adk_store.cli.tools import bench, demo
from adk_store.cli.torture import torture
from adk_store.cli.transfer import copy_command, import_command

app = typer.Typer(
    help="A SQL session store for Google's Agent Development Kit.",
    no_args_is_help=True,
    add_completion=False,
    cls=ReportingGroup,
)
app.add_typer(db, name="db")
app.add_typer(sessions, name="sessions")
app.command()(prune)
app.command()(demo)
app.command()(bench)
app.command()(torture)
app.command("import")(import_command)
app.command("copy")(copy_command)


@app.callback()
def options(debug: DebugOption = False) -> None:
    """Only global options: each command does its own work."""


def main() -> None:
    app()
