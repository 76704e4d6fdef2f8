"""Issue 16's speed target: 10,000 tests, each taking two conftest fixtures
(a function-scoped yield fixture and a module-scoped one), run by dbtest,
karva, pytest and pytest-xdist; and the same number of tests taking no
fixture, to see what fixtures cost per test.

    .venv/bin/python -m perf.bench_fixtures [--files 200] [--per-file 50] [--runs 5] [--no-pytest]

Runs interleaved; prints medians of wall time and the ratios (the target:
dbtest / karva <= 0.5). The corpus lives under perf/corpora/ (git-ignored).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from pathlib import Path

from perf import workloads_runner as wl
from perf.bench_pytest_style import CONFTEST, timed

TEST = """
def test_{i}(db, settings):
    db.append({i})
    assert settings["debug"] is False
"""


def corpus(files: int, per_file: int) -> Path:
    """`files` modules of `per_file` tests, each asking for `db` and `settings`."""
    name = f"fixtures_{files}x{per_file}"
    out = {"tests/conftest.py": CONFTEST}
    for n in range(files):
        body = "".join(TEST.format(i=i) for i in range(per_file))
        out[f"tests/test_fx_{n:04d}.py"] = "import pytest\n" + body
    return wl._write(wl.CORPORA / name, name, out, f"v1 {files} {per_file}\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--per-file", type=int, default=50)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-pytest", action="store_true", help="leave pytest out (slow)")
    args = ap.parse_args()
    bin_dir = Path(sys.executable).parent
    dbtest = [str(bin_dir / "dbtest"), "--headless", "-q"]
    fixtures, plain = corpus(args.files, args.per_file), wl.trivial(args.files, args.per_file)
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    runners: dict[str, tuple[list[str], Path]] = {
        "dbtest": (dbtest, fixtures),
        "dbtest, no fixtures": (dbtest, plain),
        "karva": ([str(bin_dir / "karva"), "test"], fixtures),
        "karva, no fixtures": ([str(bin_dir / "karva"), "test"], plain),
    }
    if not args.no_pytest:
        runners["pytest"] = (pytest, fixtures)
        runners["pytest -n 2"] = ([*pytest, "-n", "2"], fixtures)
    if shutil.which(runners["karva"][0][0]) is None:
        raise SystemExit("karva is not installed: pip install -e '.[perf]'")
    times: dict[str, list[float]] = {k: [] for k in runners}
    for _ in range(args.runs):
        for name, (cmd, cwd) in runners.items():
            times[name].append(timed(cmd, cwd))
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"{args.files * args.per_file} tests, medians of {args.runs} interleaved runs:")
    for name, m in med.items():
        print(f"  {name:24s} {m * 1000:8.1f} ms")
    print(f"  dbtest / karva           {med['dbtest'] / med['karva']:.3f}")
    print(
        f"  dbtest / karva, no fix.  {med['dbtest, no fixtures'] / med['karva, no fixtures']:.3f}"
    )
    print(f"  dbtest fixtures / none   {med['dbtest'] / med['dbtest, no fixtures']:.3f}")
    if "pytest" in med:
        print(f"  dbtest / pytest          {med['dbtest'] / med['pytest']:.3f}")
        print(f"  dbtest / pytest -n 2     {med['dbtest'] / med['pytest -n 2']:.3f}")


if __name__ == "__main__":
    main()
