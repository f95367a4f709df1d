"""``python -m benchmarks``: the comparison run, see `benchmarks.compare`."""

from benchmarks.compare import main

main()
