"""Discovery, static parse, filtering and `dbtest list`, against the targets
of the foundation issue and against `pytest --collect-only -q`."""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from perf.corpus import make_corpus
from perf.run import Row, median_ms

DESCRIPTION = "discovery + static parse, filter, and `dbtest list` vs pytest --collect-only"

FILTER_EXPR = "(tag(db) | tag(t3)) & not test(~case_4) | file(#*pkg001*) - kind(bench)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--repeat", type=int, default=15, help="timed runs per figure (median)")
    p.add_argument("--sizes", default="100x10,1000x10,10000x10", help="corpora FILESxTESTS")
    p.add_argument("--process-size", default="1000x10", help="corpus for the whole-process figures")
    p.add_argument("--pytest-repeat", type=int, default=3)
    p.add_argument("--no-pytest", action="store_true")


def _size(s: str) -> tuple[int, int]:
    files, tests = s.lower().split("x")
    return int(files), int(tests)


TARGETS = {100: 3.0, 1000: 30.0}


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


class CpuMeter:
    """CPU time (all threads, or finished children) per call, in ms: a figure
    that a loaded shared machine distorts far less than wall time."""

    def __init__(self, children: bool = False) -> None:
        self.clock = _children_cpu if children else time.process_time
        self.samples: list[float] = []

    def wrap(self, fn):  # type: ignore[no-untyped-def]
        def inner() -> None:
            t = self.clock()
            fn()
            self.samples.append((self.clock() - t) * 1e3)

        return inner

    def median(self) -> float:
        return statistics.median(self.samples[1:] or self.samples)


def run(args: argparse.Namespace) -> list[Row]:
    from dbtest import _core

    rows: list[Row] = []
    for spec in args.sizes.split(","):
        files, tests = _size(spec)
        root = make_corpus(files, tests)
        # Every discovery walks and parses every file: there is no cache.
        engine: list[float] = []

        def once(root: Path = root, engine: list[float] = engine) -> None:
            doc = json.loads(_core.discover(root_dir=str(root)))
            engine.append(doc["timing"]["discovery_ms"])
            assert doc["counts"]["errors"] == 0

        cpu = CpuMeter()
        wall, _ = median_ms(cpu.wrap(once), args.repeat)
        engine_runs = sorted(engine[1:])  # drop the warm-up
        label = f"discover+parse {files}x{tests}"
        rows.append(
            Row(
                f"{label} (engine)",
                engine_runs[len(engine_runs) // 2],
                runs=len(engine_runs),
                target=TARGETS.get(files),
            )
        )
        rows.append(Row(f"{label} (call, incl. JSON)", wall, runs=args.repeat))
        rows.append(Row(f"{label} (call, CPU all threads)", cpu.median(), runs=args.repeat))

    files, tests = _size(args.process_size)
    root = make_corpus(files, tests)
    filt: list[float] = []

    def filtered() -> None:
        doc = json.loads(_core.discover(root_dir=str(root), expr=FILTER_EXPR))
        filt.append(doc["timing"]["filter_ms"])

    median_ms(filtered, args.repeat)
    filt = sorted(filt[1:])
    rows.append(
        Row(
            f"filter {files * tests} tests with -E",
            filt[len(filt) // 2],
            runs=len(filt),
            target=5.0,
            note=f"expr: {FILTER_EXPR}",
        )
    )

    dbtest = Path(sys.executable).parent / "dbtest"
    text_ms = text_cpu = 0.0
    for fmt in ("text", "json"):

        def proc(fmt: str = fmt) -> None:
            subprocess.run(
                [str(dbtest), "list", "--format", fmt],
                cwd=root,
                stdout=subprocess.DEVNULL,
                check=True,
            )

        cpu = CpuMeter(children=True)
        m, _ = median_ms(cpu.wrap(proc), args.repeat)
        label = f"`dbtest list --format {fmt}` {files}x{tests}"
        rows.append(Row(f"{label} (process)", m, runs=args.repeat, target=150.0))
        rows.append(Row(f"{label} (process CPU)", cpu.median(), runs=args.repeat))
        if fmt == "text":
            text_ms, text_cpu = m, cpu.median()
    # The text format is what users read; compare it with pytest.
    dbtest_ms = text_ms
    dbtest_cpu = text_cpu

    def bare_python() -> None:
        subprocess.run([sys.executable, "-c", "pass"], check=True)

    cpu = CpuMeter(children=True)
    m, _ = median_ms(cpu.wrap(bare_python), args.repeat)
    rows.append(Row("python -c pass (startup floor)", m, runs=args.repeat))
    rows.append(Row("python -c pass (startup floor, CPU)", cpu.median(), runs=args.repeat))

    if not args.no_pytest and importlib.util.find_spec("pytest") is not None:

        def pytest_collect() -> None:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pytest",
                    "--collect-only",
                    "-q",
                    "-p",
                    "no:cacheprovider",
                    "tests",
                ],
                cwd=root,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )

        cpu = CpuMeter(children=True)
        m, _ = median_ms(cpu.wrap(pytest_collect), args.pytest_repeat)
        ratio = m / dbtest_ms
        cpu_ratio = cpu.median() / dbtest_cpu
        rows.append(
            Row(
                f"pytest --collect-only -q {files}x{tests} (process)",
                m,
                runs=args.pytest_repeat,
                note=f"dbtest list is {ratio:.1f}x faster (target >= 40x)",
                extra={"ratio": ratio},
            )
        )
        rows.append(
            Row(
                f"pytest --collect-only -q {files}x{tests} (process CPU)",
                cpu.median(),
                runs=args.pytest_repeat,
                note=f"dbtest list uses {cpu_ratio:.1f}x less CPU",
                extra={"ratio": cpu_ratio},
            )
        )
    return rows
