"""A suite written for pytest, run by dbtest, pytest, pytest-xdist and karva.

The corpus (`perf/corpora/pytest_style_*`, git-ignored) is what issue 15
asks to measure: plain `class Test*:` classes, stacked
`pytest.mark.parametrize`, fixtures from `conftest.py` (one yielding, one
module-scoped). karva refuses classes, so it runs the function-only part
(`-k`-free: the same tree without the class files), and dbtest runs that part
too for the ratio. Also times `dbtest list` on it against the plain-function
corpus of the same number of tests.

    .venv/bin/python -m perf.bench_pytest_style [--files 200] [--runs 5]

Prints medians of wall time (runs interleaved) and the ratios.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from perf import workloads_runner as wl
from perf.run import user_env

CONFTEST = """\
import pytest


@pytest.fixture
def db():
    rows = []
    yield rows
    rows.clear()


@pytest.fixture(scope="module")
def settings():
    return {"debug": False}
"""

CLASS_FILE = """\
import pytest


class TestModel{n}:
    def setup_method(self, method):
        self.items = []

{methods}
"""

METHOD = """\
    def test_method_{i}(self, db):
        db.append({i})
        assert db == [{i}]
"""

FUNCTION_FILE = """\
import pytest


@pytest.mark.parametrize("x", [1, 2, 3])
@pytest.mark.parametrize("y", ["a", "b", "c"])
def test_grid(x, y, settings):
    assert settings["debug"] is False


{functions}
"""

FUNCTION = """\
def test_function_{i}(db):
    db.append({i})
    assert db
"""


def corpus(files: int, with_classes: bool) -> Path:
    """`files` function files (a 3x3 parametrize grid and 5 tests each) and,
    `with_classes`, as many files of one class of 5 methods."""
    name = f"pytest_style_{files}{'' if with_classes else '_functions'}"
    out: dict[str, str] = {"tests/conftest.py": CONFTEST}
    for n in range(files):
        funcs = "\n\n".join(FUNCTION.format(i=i) for i in range(5))
        out[f"tests/test_funcs_{n:04d}.py"] = FUNCTION_FILE.format(functions=funcs)
        if with_classes:
            methods = "\n".join(METHOD.format(i=i) for i in range(5))
            out[f"tests/test_class_{n:04d}.py"] = CLASS_FILE.format(n=n, methods=methods)
    return wl._write(wl.CORPORA / name, name, out, f"v1 {files} {with_classes}\n")


def timed(cmd: list[str], cwd: Path) -> float:
    # karva finds its worker binary on PATH: the venv's bin first.
    bin_dir = str(Path(sys.executable).parent)
    env = {**user_env(), "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(
            f"{' '.join(cmd)} failed in {cwd}:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
        )
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    bin_dir = Path(sys.executable).parent
    dbtest, python = str(bin_dir / "dbtest"), sys.executable
    full, funcs = corpus(args.files, True), corpus(args.files, False)
    plain = wl.trivial(args.files * 2, 12)  # as many files as `full`, 4,800 tests at 200
    pytest = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    runners: dict[str, tuple[list[str], Path]] = {
        "dbtest": ([dbtest, "--headless", "-q"], full),
        "pytest": (pytest, full),
        "pytest -n 2": ([*pytest, "-n", "2"], full),
        "dbtest (functions)": ([dbtest, "--headless", "-q"], funcs),
        "karva (functions)": ([str(bin_dir / "karva"), "test"], funcs),
        "dbtest list": ([dbtest, "list"], full),
        "dbtest list (plain functions)": ([dbtest, "list"], plain),
    }
    if shutil.which(runners["karva (functions)"][0][0]) is None:
        del runners["karva (functions)"]
    times: dict[str, list[float]] = {k: [] for k in runners}
    for _ in range(args.runs):
        for name, (cmd, cwd) in runners.items():
            times[name].append(timed(cmd, cwd))
    med = {k: statistics.median(v) for k, v in times.items()}
    tests = args.files * (9 + 5 + 5)
    print(
        f"{tests} tests ({args.files} class files, {args.files} function files), medians of {args.runs}:"
    )
    for name, m in med.items():
        print(f"  {name:32s} {m * 1000:8.1f} ms")
    print(f"  dbtest / pytest                  {med['dbtest'] / med['pytest']:.3f}")
    print(f"  dbtest / pytest -n 2             {med['dbtest'] / med['pytest -n 2']:.3f}")
    if "karva (functions)" in med:
        print(
            f"  dbtest / karva (functions)       {med['dbtest (functions)'] / med['karva (functions)']:.3f}"
        )
    print(
        f"  list / list of plain functions   {med['dbtest list'] / med['dbtest list (plain functions)']:.3f}"
    )


if __name__ == "__main__":
    main()
