"""What importing adk-store adds on top of ADK's sessions package.

``python -m benchmarks.import_cost`` from a checkout: in 5 fresh
interpreters each, times ``import google.adk.sessions`` and then the
statement, and prints the medians and their ratio.
"""

from __future__ import annotations

import statistics
import subprocess
import sys

RUNS = 5
STATEMENTS = ("import adk_store", "from adk_store import SqlSessionService")
TIMED = """
import time
started = time.perf_counter(); import google.adk.sessions; adk = time.perf_counter() - started
started = time.perf_counter(); {statement}; ours = time.perf_counter() - started
print(adk, ours)
"""


def main() -> None:
    for statement in STATEMENTS:
        runs = []
        for _ in range(RUNS):
            printed = subprocess.run(
                [sys.executable, "-c", TIMED.format(statement=statement)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            adk, ours = (float(word) for word in printed.split())
            runs.append((adk, ours))
        adk = statistics.median(run[0] for run in runs)
        ours = statistics.median(run[1] for run in runs)
        print(
            f"{statement!r}: google.adk.sessions {adk * 1000:.0f} ms, "
            f"then {ours * 1000:.1f} ms ({ours / adk:.3f}x)"
        )


if __name__ == "__main__":
    main()
