"""The TUI: time from app start to the tree of a 10,000-test project being
shown (target < 1 s on the 2-core machine), in-process and as a whole
process, and the cost of applying a 10,000-test run's events in batches."""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from perf.corpus import make_corpus
from perf.run import Row

DESCRIPTION = "dbtest tui: start to tree shown (10,000 tests), event application throughput"
ROOT = Path(__file__).resolve().parent.parent

# A whole `dbtest tui` process (headless): import, discover, build and paint the tree.
_PROCESS_SCRIPT = """
import asyncio, sys, time
t0 = time.perf_counter()
from dbtest.tui import make_app  # what `dbtest tui` runs
async def main():
    app = make_app(sys.argv[1], restore_session=False, persist=False)
    async with app.run_test(size=(160, 50)) as pilot:
        while app.tree_shown_at is None:
            await pilot.pause(0.005)
        await pilot.pause()
        print(f"{(time.perf_counter() - t0) * 1e3:.3f} {len(app.state.leaves)}")
asyncio.run(main())
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--size", default="1000x10", help="corpus FILESxTESTS (default: 10,000 tests)")
    p.add_argument("--repeat", type=int, default=7, help="timed app starts (median)")
    p.add_argument("--process-repeat", type=int, default=5, help="timed whole processes")
    p.add_argument("--events", type=int, default=10_000, help="tests in the replayed run")


async def _start_once(root: Path) -> tuple[float, int]:
    from dbtest.tui.app import DbtestApp

    t0 = time.perf_counter()
    app = DbtestApp(root, restore_session=False, persist=False)
    async with app.run_test(size=(160, 50)) as pilot:
        while app.tree_shown_at is None:
            await pilot.pause(0.005)
        await pilot.pause()  # the tree has been painted
        return (time.perf_counter() - t0) * 1e3, len(app.state.leaves)


class _Replay:
    """A run that replays `n` trivial tests in batches, like the engine does."""

    def __init__(self, items: list[dict], batch: int = 256) -> None:
        self.items = items
        self.batch = batch

    async def aevents(self):
        evs: list[dict] = [
            {"type": "run_started", "selected": self.items, "collection_errors": [], "workers": 2}
        ]
        for i, it in enumerate(self.items):
            evs.append({"type": "test_started", "id": it["id"], "worker": i % 2, "attempt": 1})
            rec = {
                "id": it["id"],
                "outcome": "failed" if i % 97 == 0 else "passed",
                "duration": 1e-4,
                "start": 0.0,
                "path": it["path"],
                "line": it["line"],
            }
            evs.append({"type": "test_finished", "record": rec})
        evs.append({"type": "run_finished", "summary": {}, "duration": 1.0, "interrupted": False})
        for k in range(0, len(evs), self.batch):
            yield evs[k : k + self.batch]
            await asyncio.sleep(0)

    def cancel(self) -> None: ...

    def kill(self) -> None: ...


async def _replay_once(root: Path, n: int) -> tuple[float, float, int]:
    """(ms until the final counts are painted, worst ms between two frames, done)."""
    from dbtest.tui.app import DbtestApp
    from dbtest.tui.source import RunnerSource

    real = RunnerSource()
    tree = real.discover(real.options(root=str(root))).tree
    items = [i for f in tree["files"] for s in (*f["suites"], f) for i in s["items"]][:n]

    class Source(RunnerSource):
        def start_run(self, options):
            return _Replay(items)

    app = DbtestApp(root, source=Source(), restore_session=False, persist=False)
    async with app.run_test(size=(160, 50)) as pilot:
        while not app.tree_ready:
            await pilot.pause(0.005)
        await pilot.pause()
        # A 10 ms heartbeat timer: the longest gap between its ticks is the
        # longest time the UI could not react to a key during the run.
        ticks: list[float] = []
        timer = app.set_interval(0.01, lambda: ticks.append(time.perf_counter()))
        t0 = time.perf_counter()
        await pilot.press("a")
        while app.active_run is not None or app.run_serial == 0:
            await pilot.pause(0.01)
        await pilot.pause()
        total = (time.perf_counter() - t0) * 1e3
        timer.stop()
        gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)] or [0.0]
        return total, max(gaps) * 1e3, app.state.progress.done


def run(args: argparse.Namespace) -> list[Row]:
    files, tests = (int(x) for x in args.size.lower().split("x"))
    root = make_corpus(files, tests)
    rows: list[Row] = []

    starts = [asyncio.run(_start_once(root)) for _ in range(args.repeat + 1)][1:]
    ms = sorted(s for s, _ in starts)
    rows.append(
        Row(
            f"app start -> tree shown, {starts[0][1]} tests (in-process)",
            ms[len(ms) // 2],
            runs=len(ms),
            target=1000.0,
            note=f"min {ms[0]:.0f} max {ms[-1]:.0f}",
        )
    )

    proc: list[float] = []
    cpu: list[float] = []
    for _ in range(args.process_repeat):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", _PROCESS_SCRIPT, str(root)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stdout.split()
        proc.append((time.perf_counter() - t0) * 1e3)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        # CPU time is what the machine's load cannot inflate (wall time can).
        cpu.append((r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1e3)
        inner = float(out[0])
    proc.sort()
    cpu.sort()
    rows.append(
        Row(
            "process start -> tree shown (python startup + imports included)",
            proc[len(proc) // 2],
            runs=len(proc),
            target=1000.0,
            note=f"last in-script {inner:.0f} ms; load avg {os.getloadavg()[0]:.1f}",
        )
    )
    rows.append(
        Row(
            "  the same, CPU time of the process (user + sys, all threads)",
            cpu[len(cpu) // 2],
            runs=len(cpu),
        )
    )

    total, worst_gap, done = asyncio.run(_replay_once(root, args.events))
    rows.append(
        Row(
            f"apply a {done}-test run's events (batches of 256) until painted",
            total,
            runs=1,
            note=f"worst gap between event-loop turns {worst_gap:.0f} ms",
        )
    )
    return rows


if __name__ == "__main__":
    from perf.run import print_rows

    parser = argparse.ArgumentParser(prog="python -m perf.bench_tui", description=DESCRIPTION)
    add_arguments(parser)
    print_rows("tui", run(parser.parse_args()))
