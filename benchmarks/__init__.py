"""Load benchmarks for EmDash; run with ``python -m benchmarks.run`` (see README.md)."""
