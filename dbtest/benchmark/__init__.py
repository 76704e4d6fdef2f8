"""Benchmarks: `BenchmarkGroup` (authoring), the measuring loop, the bench
worker's unit runner and the console tables. Statistics, comparisons and
baselines live in the Rust engine (`dbtest._core.bench_*`)."""

from dbtest.benchmark.group import BenchEntry, BenchmarkGroup, register_group
from dbtest.benchmark.measure import DEFAULTS, QUICK, Settings

__all__ = ["DEFAULTS", "QUICK", "BenchEntry", "BenchmarkGroup", "Settings", "register_group"]
