"""The benchmark harness: `python -m perf.run <benchmark> [options]`.

Each benchmark is a module `perf/bench_<name>.py` exposing

- `DESCRIPTION: str`
- `add_arguments(parser: argparse.ArgumentParser) -> None` (optional)
- `run(args: argparse.Namespace) -> list[Row]`

and is registered in `BENCHMARKS` below (modules matching `perf/bench_*.py`
are also found automatically). `all` runs every benchmark. Figures are medians
over repeated runs; never put them in tests.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

# name -> module; add a line here when adding perf/bench_<name>.py.
BENCHMARKS: dict[str, str] = {
    "discovery": "perf.bench_discovery",
}


@dataclass
class Row:
    """One measured figure."""

    name: str
    median: float
    unit: str = "ms"
    runs: int = 0
    target: float | None = None
    note: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        return "ok" if self.median <= self.target else "MISSED"


def user_env() -> dict[str, str]:
    """This process's environment as a user's shell would have it for a
    timed command: bytecode caches on. A sandbox that disables them
    (``PYTHONDONTWRITEBYTECODE``) would make every tool recompile every
    module on every run, and a build with more modules look slower."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def median_ms(fn: Callable[[], object], repeat: int, warmup: int = 1) -> tuple[float, list[float]]:
    """Median wall time of `fn()` in milliseconds, after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1e3)
    return statistics.median(samples), samples


def registry() -> dict[str, str]:
    """Registered benchmarks plus any `perf/bench_*.py` not listed."""
    found = dict(BENCHMARKS)
    for p in sorted(HERE.glob("bench_*.py")):
        found.setdefault(p.stem.removeprefix("bench_"), f"perf.{p.stem}")
    return found


def print_rows(title: str, rows: list[Row]) -> None:
    print(f"\n== {title}")
    width = max((len(r.name) for r in rows), default=10)
    for r in rows:
        target = f"(target <= {r.target:g} {r.unit}: {r.verdict})" if r.target is not None else ""
        print(f"  {r.name:<{width}}  {r.median:10.2f} {r.unit:<3} n={r.runs:<3} {target} {r.note}")


def main(argv: list[str] | None = None) -> int:
    reg = registry()
    parser = argparse.ArgumentParser(prog="python -m perf.run", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="bench", required=True)
    modules = {}
    for name, modname in reg.items():
        mod = importlib.import_module(modname)
        modules[name] = mod
        p = sub.add_parser(name, help=getattr(mod, "DESCRIPTION", ""))
        p.add_argument("--json", action="store_true", help="also write perf/results/<name>.json")
        if hasattr(mod, "add_arguments"):
            mod.add_arguments(p)
    p_all = sub.add_parser("all", help="run every benchmark with its defaults")
    p_all.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    names = list(modules) if args.bench == "all" else [args.bench]
    print(f"python {platform.python_version()} on {platform.platform()}, {_cpus()} cpu(s)")
    for name in names:
        mod = modules[name]
        ns = args
        if args.bench == "all":
            # Each benchmark's own defaults.
            p = argparse.ArgumentParser()
            if hasattr(mod, "add_arguments"):
                mod.add_arguments(p)
            ns = p.parse_args([])
        rows = mod.run(ns)
        print_rows(name, rows)
        if args.json:
            RESULTS.mkdir(exist_ok=True)
            out = RESULTS / f"{name}.json"
            out.write_text(json.dumps([asdict(r) for r in rows], indent=2))
            print(f"  -> {out}")
    return 0


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


if __name__ == "__main__":
    sys.exit(main())
