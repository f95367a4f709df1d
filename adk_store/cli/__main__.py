"""``python -m adk_store.cli``: the same as the ``adk-store`` command."""

from adk_store.cli import main

main()
