"""The instruction-count mode: how much its numbers move, and what it costs.

    python -m perf.bench_instructions [--repeats N] [--json FILE]
    python -m perf.run instructions [--repeats N]

What it measures (targets from issue #17, item 3), each through the real
`dbtest bench --instrument instructions` on a generated project of one group
of the three reference functions of `perf/bench_accuracy.py` (~100 ns,
~10 us and ~1 ms natively):

- run-to-run spread of instructions per call, per function: over `--repeats`
  runs, (max - min) / min of each run's median; target under 0.5%, both on
  an idle machine and with every core loaded by a busy-loop Python process;
- the ratio of the two loaded and idle medians (the load must not move them);
- the slowdown: the wall time of the whole `dbtest bench` command counting
  instructions, over the same command measuring time with the defaults.

Registered with the harness (`perf.run` finds `bench_*.py`): `run(args)`
returns its rows; `measure_all(args)` returns every figure as a dict.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from contextlib import contextmanager
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DESCRIPTION = "instruction-count mode: run-to-run spread idle and loaded, slowdown vs time"

BENCH_FILE = textwrap.dedent(
    """
    from dbtest import BenchmarkGroup

    _SMALL = (1, 2, 3)
    ref = BenchmarkGroup("reference", baseline="~10 us")


    @ref.add("~100 ns")
    def f_100ns():
        return sum(_SMALL) + len(_SMALL)


    @ref.add("~10 us")
    def f_10us():
        return sum(range(1_000))


    @ref.add("~1 ms")
    def f_1ms():
        return sum(range(80_000))
    """
)


def _dbtest() -> str:
    return os.path.join(os.path.dirname(sys.executable), "dbtest")


def bench_once(project: str, *args: str) -> tuple[float, dict[str, float]]:
    """One `dbtest bench` run: its wall time (s) and each entry's median."""
    out = os.path.join(project, "out.json")
    t0 = time.perf_counter()
    r = subprocess.run(
        [_dbtest(), "bench", "--json", out, *args],
        cwd=project,
        capture_output=True,
        text=True,
        env=dict(os.environ, NO_COLOR="1"),
    )
    elapsed = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"dbtest bench {' '.join(args)} failed:\n{r.stdout}\n{r.stderr}")
    with open(out, encoding="utf-8") as f:
        report = json.load(f)
    return elapsed, {b["name"]: b["stats"]["median"] for b in report["benchmarks"]}


@contextmanager
def loaded(processes: int):
    """Every core busy with a Python loop for the duration."""
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(processes)]
    try:
        time.sleep(0.5)
        yield
    finally:
        for p in hogs:
            p.kill()
        for p in hogs:
            p.wait()


def _load_average() -> float:
    return os.getloadavg()[0]


def spread(values: list[float]) -> float:
    """(max - min) / min."""
    return max(values) / min(values) - 1


def measure_all(args: argparse.Namespace) -> dict[str, Any]:
    """Every figure: per-function spread idle and loaded, and the slowdown."""
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="dbtest-perf-instr-") as project:
        with open(os.path.join(project, "bench_reference.py"), "w", encoding="utf-8") as f:
            f.write(BENCH_FILE)
        counted = ["--instrument", "instructions"]
        runs: dict[str, list[dict[str, float]]] = {"idle": [], "loaded": []}
        walls: dict[str, list[float]] = {"instructions": [], "time": []}
        loads: dict[str, list[float]] = {"idle": [], "loaded": []}
        for _ in range(args.repeats):
            # Alternating, so that a drift of the machine hits both modes.
            wall, medians = bench_once(project, *counted)
            runs["idle"].append(medians)
            walls["instructions"].append(wall)
            loads["idle"].append(_load_average())
            walls["time"].append(bench_once(project)[0])
        with loaded(cores):
            for _ in range(args.repeats):
                runs["loaded"].append(bench_once(project, *counted)[1])
                loads["loaded"].append(_load_average())
    names = list(runs["idle"][0])
    figures: dict[str, Any] = {"repeats": args.repeats, "cores_loaded": cores, "functions": {}}
    for name in names:
        idle = [r[name] for r in runs["idle"]]
        busy = [r[name] for r in runs["loaded"]]
        figures["functions"][name] = {
            "instructions_idle": statistics.median(idle),
            "spread_idle": spread(idle),
            "spread_loaded": spread(busy),
            "loaded_over_idle": statistics.median(busy) / statistics.median(idle),
            "spread_all": spread(idle + busy),
        }
    figures["wall_instructions_s"] = statistics.median(walls["instructions"])
    figures["wall_time_s"] = statistics.median(walls["time"])
    figures["slowdown"] = figures["wall_instructions_s"] / figures["wall_time_s"]
    figures["load_idle"] = statistics.median(loads["idle"])
    figures["load_loaded"] = statistics.median(loads["loaded"])
    return figures


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repeats", type=int, default=5, help="runs per condition")


def run(args: argparse.Namespace) -> list[Any]:
    from perf.run import Row

    f = measure_all(args)
    rows = []
    for name, v in f["functions"].items():
        rows.append(
            Row(
                f"{name} spread idle",
                v["spread_idle"] * 100,
                "%",
                f["repeats"],
                target=0.5,
                note=f"{v['instructions_idle']:,.0f} instr/call",
            )
        )
        rows.append(Row(f"{name} spread loaded", v["spread_loaded"] * 100, "%", f["repeats"], 0.5))
        rows.append(
            Row(f"{name} loaded/idle - 1", (v["loaded_over_idle"] - 1) * 100, "%", f["repeats"])
        )
    rows.append(
        Row(
            "slowdown vs time mode",
            f["slowdown"],
            "x",
            f["repeats"],
            note=f"{f['wall_instructions_s']:.1f} s vs {f['wall_time_s']:.1f} s per command",
        )
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m perf.bench_instructions")
    add_arguments(parser)
    parser.add_argument("--json", help="write every figure here")
    args = parser.parse_args(argv)
    figures = measure_all(args)
    print(json.dumps(figures, indent=2))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(figures, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
