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
from typer.cli import get_docs_for_click
from typer.core import MARKUP_MODE_KEY

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
    """The Markdown of the CLI reference page."""
    command = typer.main.get_command(app)
    context = typer.Context(command, info_name="adk-store")
    # Where typer looks for the markup mode: with it, help text is escaped as HTML.
    context.obj = {MARKUP_MODE_KEY: app.rich_markup_mode}
    body = get_docs_for_click(obj=command, ctx=context, name="adk-store", title="CLI reference")
    title, _, rest = body.partition("\n\n")
    return f"{title}\n\n{_INTRO}\n{rest.strip()}\n"


def main() -> None:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else PAGE_PATH)
    target.write_text(render())
    print(f"Wrote {target}")


if __name__ == "__main__":
    main()
