"""dbtest's own benchmark harness: `python -m perf.run <benchmark>` (see docs/performance.md)."""
