"""The CLI reference page, rendered from the ``adk-store`` typer app itself.

Written by hand, a reference drifts from the options the commands really take;
rendered from the app, it cannot. tests/test_docs.py fails when the committed
page differs from what this renders. Regenerate it with::

    python -m adk_store.cli.reference docs/cli.md
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from typer import _click as click
from typer.core import TyperGroup

from adk_store.cli import app

PAGE_PATH = "docs/cli.md"
REGENERATE = f"python -m adk_store.cli.reference {PAGE_PATH}"

_INTRO = f"""\
Rendered from the commands themselves: regenerate this page with
`{REGENERATE}` after changing one. Options that read an
environment variable say so; `--url` defaults to `ADK_STORE_URL`, then to the
embedded SQLite file.

Guides: `demo` in the [Quickstart](quickstart.md), `db` in
[Migrations](migrations.md), `import` and `copy` in
[Moving from other stores](moving.md), `bench` in [Benchmarks](benchmarks.md),
`torture` in [Reliability](reliability.md).
"""


def render() -> str:
    """The Markdown of the CLI reference page.

    Help text goes in as written, not through typer's Markdown export,
    which escapes it as HTML (``Google&#x27;s``) and cuts command
    summaries short.
    """
    command = typer.main.get_command(app)
    context = typer.Context(command, info_name="adk-store")
    sections = _sections(command, context, "adk-store", 1)
    sections[0] = f"# CLI reference\n\n{_INTRO}\n{sections[0].partition(chr(10) * 2)[2]}"
    return "\n".join(sections)


def _sections(command: click.Command, context: click.Context, path: str, level: int) -> list[str]:
    """The command's section, then one per subcommand, in the order ``--help`` lists them."""
    lines = [f"{'#' * level} `{path}`", ""]
    if command.help:
        lines += [command.help.strip(), ""]
    usage = " ".join([path, *command.collect_usage_pieces(context)])
    lines += ["**Usage**:", "", "```console", f"$ {usage}", "```", ""]
    records = [
        (param.param_type_name, record)
        for param in command.get_params(context)
        if (record := param.get_help_record(context)) is not None
    ]
    for kind, title in (("argument", "Arguments"), ("option", "Options")):
        entries = [_entry(*record) for param_kind, record in records if param_kind == kind]
        if entries:
            lines += [f"**{title}**:", "", *entries, ""]
    if not isinstance(command, TyperGroup):
        return ["\n".join(lines)]
    subcommands = [
        (name, sub)
        for name in command.list_commands(context)
        if (sub := command.get_command(context, name)) is not None
    ]
    summaries = [_entry(name, sub.get_short_help_str()) for name, sub in subcommands]
    lines += ["**Commands**:", "", *summaries, ""]
    sections = ["\n".join(lines)]
    for name, sub in subcommands:
        sub_context = typer.Context(sub, info_name=name, parent=context)
        sections += _sections(sub, sub_context, f"{path} {name}", level + 1)
    return sections


def _entry(name: str, text: str) -> str:
    return f"* `{name}`: {text}" if text else f"* `{name}`"


def main() -> None:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else PAGE_PATH)
    target.write_text(render())
    print(f"Wrote {target}")


if __name__ == "__main__":
    main()
