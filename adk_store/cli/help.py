"""How ``--help`` and the CLI reference present the commands.

The ``adk-store`` app uses plain help, not typer's rich panels: the panels
label every flag ``<bool>`` as if it took a value, and cut a word longer than
their column (a URL example) to ``…`` at 80 columns, where plain help wraps.
"""

from __future__ import annotations

from typing import Any

# typer bundles click (since 0.26): its commands are built from these classes.
from typer import _click as click
from typer.core import TyperArgument, TyperCommand, TyperGroup

# demo to try the store, db to set up a server, sessions to look inside,
# import and copy to bring data in, prune to keep it small, bench and torture
# to test a database.
COMMAND_ORDER = ("demo", "db", "sessions", "memory", "import", "copy", "prune", "bench", "torture")


class CommandsInOrder(TyperGroup):
    """The top-level group: commands in the order a user meets them, each summed up in full.

    typer lists commands before groups (``db`` and ``sessions`` last), and
    click cuts a summary to what fits beside the name, ending it with
    "..."; the whole first sentence is set as each command's short help
    instead, and the help formatter wraps it.
    """

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        _set_full_summaries(self)

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = super().list_commands(ctx)
        known = [name for name in COMMAND_ORDER if name in names]
        return known + [name for name in names if name not in COMMAND_ORDER]


def _set_full_summaries(group: TyperGroup) -> None:
    for command in group.commands.values():
        if not command.short_help and command.help:
            whole = len(command.help)
            command.short_help = click.utils.make_default_short_help(command.help, whole)
        if isinstance(command, TyperGroup):
            _set_full_summaries(command)


class ArgumentsByName(TyperCommand):
    """A command whose usage line names its arguments as click does: ``SESSION_ID``.

    typer writes a required argument as ``{session_id}``, which reads like
    a set of choices, not a value to give.
    """

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument):
                pieces.append(_usage_name(param))
        return pieces


def _usage_name(argument: TyperArgument) -> str:
    name = argument.metavar or (argument.name or "").upper()
    if not argument.required:
        name = f"[{name}]"
    return name if argument.nargs == 1 else f"{name}..."
