"""Two dbtest builds on one corpus, runs interleaved: medians and their ratio.

    python -m perf.ab CORPUS RUNS BASE_DBTEST NEW_DBTEST [dbtest args...]

e.g. a worktree of the previous commit built into its own venv as BASE. The
builds take turns (and swap who goes first every run), so a machine that
slows down mid-way slows both alike.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from perf.run import user_env


def main() -> None:
    corpus, runs, base, new = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    extra = sys.argv[5:]
    builds = {"base": base, "new": new}
    times: dict[str, list[float]] = {k: [] for k in builds}
    env = user_env()
    for i in range(runs):
        order = list(builds) if i % 2 == 0 else list(builds)[::-1]
        for k in order:
            t0 = time.perf_counter()
            r = subprocess.run(
                [builds[k], "--headless", "-q", *extra], cwd=corpus, capture_output=True, env=env
            )
            times[k].append(time.perf_counter() - t0)
            if r.returncode != 0:
                raise SystemExit(f"{builds[k]} failed: {r.stdout[-500:]!r} {r.stderr[-500:]!r}")
    for k, v in times.items():
        print(f"{k} median {statistics.median(v) * 1000:.1f} ms  min {min(v) * 1000:.1f} ms")
    print(f"new/base {statistics.median(times['new']) / statistics.median(times['base']):.3f}")


if __name__ == "__main__":
    main()
