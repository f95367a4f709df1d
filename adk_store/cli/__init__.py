"""The ``adk-store`` command."""

from __future__ import annotations

import typer

from adk_store.cli.db import db
from adk_store.cli.tools import bench, demo

app = typer.Typer(
    help="A SQL session store for Google's Agent Development Kit.", no_args_is_help=True
)
app.add_typer(db, name="db")
app.command()(demo)
app.command()(bench)


def main() -> None:
    app()
