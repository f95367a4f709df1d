"""The comparison behind docs/benchmarks.md: run from a checkout as ``python -m benchmarks``.

It starts a throwaway PostgreSQL cluster with the test suite's
``tests/servers.py``, which is not part of the installed package; the
``tests`` directory goes on the import path here so that the harness and the
suite start their servers the same way.
"""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"
if str(TESTS) not in sys.path:
    sys.path.append(str(TESTS))
