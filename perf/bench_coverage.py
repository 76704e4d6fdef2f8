"""The cost of coverage: one suite run by dbtest and by pytest with
pytest-xdist, each plain and with coverage (dbtest `--cov`, pytest-cov
`--cov`), on the same number of workers, with the same terminal report.

The corpus (`perf/corpora/coverage_*`, git-ignored) is a package `app/` of
`--modules` modules, each with functions that loop and branch (so the
tracer has lines to record), and a test file per module calling each of
them from `--tests` plain `assert` tests, which both runners take as is.

    .venv/bin/pip install -e '.[perf]'      # pytest-xdist, pytest-cov
    .venv/bin/python -m perf.bench_coverage [--modules 100] [--tests 10] [--runs 5] [-j 2]

Prints the median wall time of each (runs interleaved), each runner's
overhead of coverage, dbtest's times against pytest's, and the time of
`python -m coverage report` on the combined data file alone (the report
both runners make at the end of a covered run).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from perf import workloads_runner as wl
from perf.run import Row

MODULE = """\
def step_{i}(n):
    total = 0
    for k in range(n):
        if k % 3 == 0:
            total += k
        elif k % 3 == 1:
            total -= 1
        else:
            total ^= k
    return total
"""

TEST = """\
def test_step_{i}():
    assert app.mod_{m:04d}.step_{i}(50) == app.mod_{m:04d}.step_{i}(50)
"""


def corpus(modules: int, tests: int) -> Path:
    """`modules` modules of `tests` functions, and a test per function."""
    name = f"coverage_{modules}x{tests}"
    out: dict[str, str] = {"app/__init__.py": "", "tests/__init__.py": ""}
    for m in range(modules):
        out[f"app/mod_{m:04d}.py"] = "\n\n".join(MODULE.format(i=i) for i in range(tests))
        body = "\n\n".join(TEST.format(i=i, m=m) for i in range(tests))
        out[f"tests/test_mod_{m:04d}.py"] = f"import app.mod_{m:04d}\n\n\n{body}"
    return wl._write(wl.CORPORA / name, name, out, f"v1 {modules} {tests}\n")


def timed(cmd: list[str], cwd: Path) -> float:
    env = {**os.environ, "NO_COLOR": "1"}
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(
            f"{' '.join(cmd)} failed in {cwd}:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
        )
    return elapsed


DESCRIPTION = "coverage overhead: dbtest --cov vs pytest-cov with pytest-xdist"


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--modules", type=int, default=100)
    ap.add_argument("--tests", type=int, default=10)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("-j", "--workers", type=int, default=2)


def run(args: argparse.Namespace) -> list[Row]:
    """Measure, print, and return the medians (`python -m perf.run coverage`)."""
    root = corpus(args.modules, args.tests)
    j = str(args.workers)
    dbtest = [str(Path(sys.executable).parent / "dbtest"), "--headless", "-q", "-j", j]
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", j]
    py, py_cov = f"pytest -n {j}", f"pytest -n {j} --cov"
    runners = {
        "dbtest": dbtest,
        "dbtest --cov": [*dbtest, "--cov=app"],
        py: pytest,
        py_cov: [*pytest, "--cov=app"],
    }
    for cmd in runners.values():
        timed(cmd, root)  # warm-up: .dbtest/ durations, bytecode, page cache
    times: dict[str, list[float]] = {k: [] for k in runners}
    for _ in range(args.runs):
        for name, cmd in runners.items():
            times[name].append(timed(cmd, root))
    # What both runners pay at the end, measured alone: coverage.py's
    # terminal report of the combined data file (every file analysed again).
    timed(runners["dbtest --cov"], root)  # its .coverage, combined from the workers
    report_cmd = [sys.executable, "-m", "coverage", "report"]
    times["coverage report (alone)"] = [timed(report_cmd, root) for _ in range(args.runs)]
    med = {k: statistics.median(v) for k, v in times.items()}
    n = args.modules * args.tests
    print(f"{n} tests over {args.modules} modules of app/, -j {j}, medians of {args.runs}:")
    for name, m in med.items():
        print(f"  {name:24s} {m * 1000:8.1f} ms")
    for label, plain, covered in (("dbtest", "dbtest", "dbtest --cov"), ("pytest", py, py_cov)):
        extra = (med[covered] - med[plain]) * 1000
        print(f"  {label} overhead of --cov {extra:8.1f} ms  (x{med[covered] / med[plain]:.2f})")
    print(f"  dbtest --cov / {py_cov}   {med['dbtest --cov'] / med[py_cov]:.3f}")
    return [
        Row(name, m * 1000, runs=args.runs, note=f"{n} tests, -j {j}") for name, m in med.items()
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(ap)
    run(ap.parse_args())


if __name__ == "__main__":
    main()
