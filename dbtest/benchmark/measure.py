"""The measuring loop: timer resolution, calibration, warm-up, sampling.

How one entry is measured (docs/benchmarks.md):

1. The timer's resolution is measured (smallest non-zero step of the clock).
2. Calibration: the number of calls per sample grows until one sample lasts
   at least `1000 x resolution` and at least `sample_time`, so the clock's
   granularity and the cost of reading it are noise-free by three orders.
3. Warm-up: whole samples are run and thrown away for `warmup` seconds
   (caches, lazy imports, specialisation of the interpreter); then one
   more batch checks the calibration still holds, and tops it up if not.
4. Sampling: samples are taken until both `min_samples` are taken and
   `time` seconds have passed. Each sample is one timed batch of
   `calls_per_sample` calls; its value is seconds per call.

The garbage collector is collected before and disabled during each sample
(unless `gc=True`), so that one unlucky collection does not land in one
entry's samples. Everything that was alive before sampling is frozen
(`gc.freeze`), which makes those per-sample collections cheap.

Async entries run on one event loop reused for every call: a batch is a
single coroutine that awaits the entry `n` times between two clock reads,
so neither loop creation nor task scheduling is part of the measurement.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import inspect
import math
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from itertools import repeat
from typing import Any

from dbtest.execution.outside_loop import outside_loop

Clock = Callable[[], float]
Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class Settings:
    """How long and how often to measure one entry.

    time:          minimum seconds of sampling per entry, all processes together
    min_samples:   minimum number of samples per entry, all processes together
    warmup:        seconds of warm-up samples in each process, thrown away
    sample_time:   minimum duration of one sample (seconds)
    paired_sample_time: the same when a group's entries are sampled
                   interleaved: short samples make many pairs, and fewer
                   of them are hit by a preemption (docs/benchmarks.md)
    resolution_factor: one sample lasts at least this many timer resolutions
    gc:            keep the garbage collector enabled while sampling
    processes:     fresh processes an entry's samples are spread over, one
                   after the other (1: measure in the bench worker itself)

    Several processes, as pyperf does: a process's speed is offset by
    several percent for its whole life (memory layout, hash seed, the
    host), so the samples of one process share one offset that more samples from
    the same process cannot average out (docs/benchmarks.md).
    """

    time: float = 0.5
    min_samples: int = 20
    warmup: float = 0.02
    sample_time: float = 0.001
    paired_sample_time: float = 0.0002
    resolution_factor: float = 1000.0
    gc: bool = False
    processes: int = 10

    def merged(self, **overrides: Any) -> Settings:
        """These settings with every non-None override applied."""
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(self, **given)

    def per_process(self) -> Settings:
        """The share of one of `processes` processes: the time and the
        minimum count split evenly, the warm-up whole (each process is
        cold), and `processes=1`."""
        k = max(1, self.processes)
        return replace(
            self, time=self.time / k, min_samples=math.ceil(self.min_samples / k), processes=1
        )


DEFAULTS = Settings()
# `--quick`: a smoke run that still calibrates and still gives a CI, in
# the bench worker itself (no extra processes to start).
QUICK = Settings(time=0.1, min_samples=10, warmup=0.02, processes=1)


@dataclass
class Measurement:
    samples: list[float]
    calls_per_sample: int
    resolution: float
    # The round of each sample when entries were sampled interleaved
    # (dbtest.benchmark.interleave); alone, sample i is round i.
    rounds: list[int] = field(default_factory=list)


def timer_resolution(clock: Clock = time.perf_counter, reads: int = 2000) -> float:
    """Smallest positive difference between consecutive reads of `clock`.

    Bounded: after `reads * 50` reads without any change the clock is
    declared stuck rather than looping forever.
    """
    best = math.inf
    seen = 0
    attempts = 0
    while seen < reads and attempts < reads * 50:
        attempts += 1
        t0 = clock()
        t1 = clock()
        while t1 == t0 and attempts < reads * 50:
            attempts += 1
            t1 = clock()
        if t1 > t0:
            best = min(best, t1 - t0)
            seen += 1
    if best is math.inf:
        raise RuntimeError("the benchmark clock does not advance")
    return best


def _sync_batch(func: Callable[[], Any], clock: Clock) -> Callable[[int], Awaitable[float]]:
    def timed(n: int) -> float:
        # The plain loop: no await inside, so nothing of asyncio is timed.
        it = repeat(None, n)
        t0 = clock()
        for _ in it:
            func()
        return clock() - t0

    async def batch(n: int) -> float:
        # No loop looks running to the entry; the marker is switched around
        # the whole batch, outside the clock reads.
        return outside_loop(timed, n)

    return batch


def _async_batch(
    func: Callable[[], Awaitable[Any]], clock: Clock
) -> Callable[[int], Awaitable[float]]:
    async def batch(n: int) -> float:
        it = repeat(None, n)
        t0 = clock()
        for _ in it:
            await func()
        return clock() - t0

    return batch


def _is_async(func: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(
        getattr(func, "func", None)  # functools.partial of an async def
    )


def make_batch(
    func: Callable[[], Any], clock: Clock = time.perf_counter
) -> Callable[[int], Awaitable[float]]:
    """A coroutine function `batch(n) -> seconds` timing `n` calls of `func`."""
    if _is_async(func):
        return _async_batch(func, clock)
    return _sync_batch(func, clock)


def refuse_awaitable(func: Callable[[], Any]) -> None:
    """Raise TypeError if a plain function returns an awaitable: it would be
    timed creating coroutines that never run. Calls `func` once."""
    if _is_async(func):
        return
    probe = outside_loop(func)
    if inspect.isawaitable(probe):
        if hasattr(probe, "close"):
            probe.close()
        raise TypeError("the entry returned an awaitable: declare it with `async def`")


@contextlib.contextmanager
def frozen_heap(keep_gc: bool) -> Iterator[None]:
    """While sampling: everything alive before is frozen (`gc.freeze`), so
    the collection before each sample is cheap; `keep_gc` leaves it be."""
    if not keep_gc:
        gc.collect()
        gc.freeze()
    try:
        yield
    finally:
        if not keep_gc:
            gc.unfreeze()


@contextlib.contextmanager
def collector_off(keep_gc: bool) -> Iterator[None]:
    """One sample: collected before and the collector disabled during it, so
    no collection lands in one entry's samples (unless `keep_gc`)."""
    was_enabled = gc.isenabled()
    if not keep_gc:
        gc.collect()
        gc.disable()
    try:
        yield
    finally:
        if not keep_gc and was_enabled:
            gc.enable()


async def calibrate(
    batch: Callable[[int], Awaitable[float]],
    target: float,
    max_calls: int = 1 << 40,
    start: int = 1,
) -> int:
    """Smallest-ish number of calls (from `start` up) whose batch lasts at
    least `target` seconds."""
    n = max(1, start)
    while True:
        elapsed = await batch(n)
        if elapsed >= target or n >= max_calls:
            return n
        if elapsed <= 0:
            n *= 10
        else:
            # Aim 20% above the target, grow at most 100x per step so one
            # fast outlier cannot overshoot wildly.
            n = min(max(n + 1, math.ceil(n * target * 1.2 / elapsed)), n * 100, max_calls)


async def measure(
    func: Callable[[], Any],
    settings: Settings = DEFAULTS,
    *,
    clock: Clock = time.perf_counter,
    progress: Progress | None = None,
    resolution: float | None = None,
    calls: int | None = None,
) -> Measurement:
    """Measure `func` (a no-argument sync or async callable).

    `calls` fixes the number of calls per sample (no calibration): the
    later processes of a multi-process measurement reuse the first one's,
    as pyperf's workers reuse the first worker's loop count.

    Runs inside a coroutine so that async entries are awaited on the
    caller's single event loop. Nothing yields to the loop inside a timed
    batch of a sync entry; between samples the loop gets a turn, so a
    cancellation is seen promptly.
    """
    report = progress or (lambda phase, samples: None)
    if resolution is None:
        resolution = timer_resolution(clock)
    batch = make_batch(func, clock)
    target = max(settings.resolution_factor * resolution, settings.sample_time)
    # Said before the first call: whoever watches knows which entry was
    # running if the process dies in it.
    report("calibrating" if calls is None else "warmup", 0)
    refuse_awaitable(func)

    if calls is None:
        n = await calibrate(batch, target)
    else:
        n = max(1, int(calls))

    if calls is None:
        report("warmup", 0)
    start = clock()
    while True:
        await batch(n)
        await asyncio.sleep(0)
        if clock() - start >= settings.warmup:
            break
    if calls is None:
        # Warmed-up code can be faster than when calibrated: top the batch up
        # if a sample would now fall short of the target.
        n = await calibrate(batch, target, start=n)

    report("sampling", 0)
    samples: list[float] = []
    with frozen_heap(settings.gc):
        start = clock()
        last_report = start
        while True:
            with collector_off(settings.gc):
                elapsed = await batch(n)
            samples.append(elapsed / n)
            # Between samples, outside the timed region: let the loop see a
            # cancellation (Ctrl-C, fail-fast) instead of blocking it for
            # the whole entry.
            await asyncio.sleep(0)
            now = clock()
            if len(samples) >= settings.min_samples and now - start >= settings.time:
                break
            if now - last_report >= 0.2:
                report("sampling", len(samples))
                last_report = now
    report("done", len(samples))
    return Measurement(
        samples=samples,
        calls_per_sample=n,
        resolution=resolution,
        rounds=list(range(len(samples))),
    )


def measure_sync(
    func: Callable[[], Any],
    settings: Settings = DEFAULTS,
    *,
    clock: Clock = time.perf_counter,
    loop: asyncio.AbstractEventLoop | None = None,
    progress: Progress | None = None,
) -> Measurement:
    """`measure` for callers without a running loop; reuses `loop` if given."""
    own = loop is None
    loop = loop or asyncio.new_event_loop()
    try:
        return loop.run_until_complete(measure(func, settings, clock=clock, progress=progress))
    finally:
        if own:
            loop.close()
