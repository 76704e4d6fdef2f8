"""The instruction-count mode: `dbtest bench --instrument instructions`.

Each measuring process runs under valgrind's callgrind with instrumentation
and collection off from the start (`command`), so the interpreter's
start-up, the imports and the group's hooks cost nothing and count
nothing. Around each counted batch the extension issues callgrind's client
requests (rust_core/python/src/callgrind.rs): collection is switched on
just before the loop and off just after, then the counters are dumped and
read back (the engine parses the dump) and zeroed.

How one entry is counted, in each measuring process (docs/benchmarks.md):

1. Calibration: one counted call gives the calls per batch `n`, enough for
   a batch of at least `TARGET_INSTRUCTIONS` (later processes reuse it).
2. Warm-up: at least two uncounted batches and `WARMUP_CALLS` calls (the
   interpreter specialises the code, caches fill, lazy imports happen).
3. The empty loop: one counted batch of the same loop without the call.
4. Samples: `min_samples` counted batches; a sample is (batch - empty
   loop) / n, the instructions of one call of the entry.

A sample is a count of executed instructions: not time, not cache misses,
not I/O or waiting. It does not move with the machine's load.
"""

from __future__ import annotations

import asyncio
import math
import os
from collections.abc import Awaitable, Callable
from itertools import repeat
from typing import Any

from dbtest import _core
from dbtest.benchmark.measure import (
    Measurement,
    Settings,
    _is_async,
    collector_off,
    frozen_heap,
    refuse_awaitable,
)
from dbtest.execution.outside_loop import outside_loop

INSTRUMENTS = ("time", "instructions")

# A batch counts at least this many instructions: what varies from call to
# call (an allocator's arena, a dict resized) is averaged over many calls.
TARGET_INSTRUCTIONS = 2_000_000
WARMUP_CALLS = 16
MAX_CALLS = 10_000_000

# Where the measuring process finds its callgrind output (set by the bench
# worker for each child, one fresh directory per process).
OUT_DIR_ENV = "DBTEST_CALLGRIND_DIR"

# The settings of the instruction mode, in place of the wall-time defaults:
# counts hardly move, so a few batches in two processes suffice (time and
# warm-up seconds mean nothing here).
INSTRUCTIONS = Settings(time=0.0, min_samples=6, warmup=0.0, processes=2)
INSTRUCTIONS_QUICK = Settings(time=0.0, min_samples=5, warmup=0.0, processes=1)

Progress = Callable[[str, int], None]
Loop = Callable[[int], Awaitable[None]]


def command(valgrind: str, out_dir: str) -> list[str]:
    """The prefix that runs a measuring process under callgrind, counting
    nothing until told."""
    return [
        valgrind,
        "--tool=callgrind",
        "--instr-atstart=no",
        "--collect-atstart=no",
        "--quiet",
        f"--callgrind-out-file={os.path.join(out_dir, 'callgrind.out.%p')}",
    ]


def _loops(func: Callable[[], Any]) -> tuple[Loop, Loop]:
    """The counted loop calling `func` n times, and the same loop without
    the call. Collection is on exactly between the two toggles."""
    toggle = _core.callgrind_toggle_collect
    if _is_async(func):

        async def calls(n: int) -> None:
            it = repeat(None, n)
            toggle()
            for _ in it:
                await func()
            toggle()

        async def empty(n: int) -> None:
            it = repeat(None, n)
            toggle()
            for _ in it:
                pass
            toggle()

        return calls, empty

    def sync_calls(n: int) -> None:
        it = repeat(None, n)
        toggle()
        for _ in it:
            func()
        toggle()

    def sync_empty(n: int) -> None:
        it = repeat(None, n)
        toggle()
        for _ in it:
            pass
        toggle()

    async def calls_(n: int) -> None:
        outside_loop(sync_calls, n)

    async def empty_(n: int) -> None:
        outside_loop(sync_empty, n)

    return calls_, empty_


class Counter:
    """Reads the instruction counts of one measuring process."""

    def __init__(self, out_dir: str) -> None:
        self.out_dir = out_dir
        self.dumps = 0
        if not _core.callgrind_running():
            raise RuntimeError("instruction counting needs the process to run under valgrind")
        _core.callgrind_start_instrumentation()

    def take(self) -> int:
        """Instructions collected since the counters were last zeroed."""
        self.dumps += 1
        label = f"dbtest-{os.getpid()}-{self.dumps}"
        _core.callgrind_dump_stats_at(label)
        # Callgrind numbers its dumps: `callgrind.out.PID.N` for the N-th.
        path = os.path.join(self.out_dir, f"callgrind.out.{os.getpid()}.{self.dumps}")
        try:
            totals = dict(_core.callgrind_totals(path))
        finally:
            if os.path.exists(path):
                os.unlink(path)
        return totals.get("Ir", 0)


_counter: Counter | None = None


def counter() -> Counter:
    """This process's counter; the first call starts the instrumentation."""
    global _counter
    if _counter is None:
        out_dir = os.environ.get(OUT_DIR_ENV)
        if not out_dir:
            raise RuntimeError(f"instruction counting needs {OUT_DIR_ENV}")
        _counter = Counter(out_dir)
    return _counter


async def _counted(loop: Loop, n: int, keep_gc: bool) -> int:
    c = counter()
    with collector_off(keep_gc):
        # Whatever was collected before (a warm-up batch) is not this batch's.
        _core.callgrind_zero_stats()
        await loop(n)
    return c.take()


async def count(
    func: Callable[[], Any],
    settings: Settings,
    *,
    progress: Progress | None = None,
    calls: int | None = None,
) -> Measurement:
    """Count the instructions per call of `func` (sync or async) in this
    process, which runs under callgrind; `calls` fixes the calls per batch."""
    report = progress or (lambda phase, samples: None)
    report("calibrating" if calls is None else "warmup", 0)
    refuse_awaitable(func)
    with_calls, empty = _loops(func)
    keep_gc = settings.gc
    if calls is None:
        one = await _counted(with_calls, 1, keep_gc) - await _counted(empty, 1, keep_gc)
        n = min(MAX_CALLS, max(1, math.ceil(TARGET_INSTRUCTIONS / max(one, 1))))
    else:
        n = max(1, int(calls))
    report("warmup", 0)
    done = 0
    while done < max(2 * n, WARMUP_CALLS):
        await with_calls(n)  # collection is off: the toggles pair up
        done += n
        await asyncio.sleep(0)
    overhead = await _counted(empty, n, keep_gc)
    report("sampling", 0)
    samples: list[float] = []
    with frozen_heap(keep_gc):
        while len(samples) < max(1, settings.min_samples):
            total = await _counted(with_calls, n, keep_gc)
            samples.append((total - overhead) / n)
            await asyncio.sleep(0)
            report("sampling", len(samples))
    report("done", len(samples))
    return Measurement(samples=samples, calls_per_sample=n, resolution=1.0)
