"""The machine's own ceiling for a parallel speed-up: a corpus's tests run
with no runner at all.

    python perf/bare_parallel.py ROOT --processes N

imports every `tests/test_*.py` under ROOT and calls its module-level
`test_*` functions, the files dealt round-robin to N processes forked from
this one (N = 1: this process alone). It prints `K passed` like the runners
it is compared with, and exits 1 if any test raised.

Nothing is scheduled, captured or reported, and the only start-up cost is
one interpreter (plus a fork): the wall time of `-j 1` against `-j 2`
here is the best speed-up any runner can show for the same files on this
machine at that moment. The harness measures it in turn with the runners
(perf/bench_runner.py), because two vCPUs of a shared VM do not give twice
the work of one.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path


def run_files(files: list[Path]) -> tuple[int, int]:
    """(passed, failed) after calling every test function of `files`."""
    passed = failed = 0
    for path in files:
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name, value in list(vars(module).items()):
            if name.startswith("test_") and callable(value):
                try:
                    value()
                    passed += 1
                except Exception:  # noqa: BLE001 - counted, like a runner would
                    failed += 1
    return passed, failed


def main(argv: list[str] | None = None) -> int:
    """Run the corpus in `--processes` processes; the exit code says whether all passed."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("root", type=Path)
    p.add_argument("--processes", type=int, default=1)
    args = p.parse_args(argv)
    files = sorted((args.root / "tests").rglob("test_*.py"))
    n = max(1, args.processes)
    shares = [files[i::n] for i in range(n)]
    if n == 1:
        passed, failed = run_files(shares[0])
    else:
        # Each child reports its counts on a pipe of its own.
        children = []
        for share in shares:
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(r)
                counts = run_files(share)
                os.write(w, f"{counts[0]} {counts[1]}".encode())
                os._exit(0)
            os.close(w)
            children.append((pid, r))
        passed = failed = 0
        for pid, r in children:
            data = os.read(r, 64).split()
            os.close(r)
            _, status = os.waitpid(pid, 0)
            if len(data) != 2 or status != 0:
                failed += 1
                continue
            passed += int(data[0])
            failed += int(data[1])
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
