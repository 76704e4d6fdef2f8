"""Interleaved sampling: a group's entries measured round-robin in one process.

Why: measured one after the other, whatever the machine does between two
entries (a neighbour's load, a frequency change, the host) becomes a
"difference" between them. Sampled in turn, one sample of each entry per
round, they share every such change, and the per-round ratio of an entry
to the baseline cancels it (docs/benchmarks.md, "How a group is measured").

How, for each entry in file order: the awaitable check, calibration to its
own calls per sample (or the given number), warm-up and, when calibrated
here, the top-up, as `measure` does but to `paired_sample_time` (0.2 ms)
samples: on a loaded 2-core VM, 1 ms samples gave ~30 pairs per process,
many of them hit by a preemption, and 0.2 ms ones ~130 with fewer hit. Then rounds: in each round
every live entry takes one sample, the order rotated by one each round so
that every entry takes every position equally often (a sample right after
another entry's may pay for its cache misses). Sampling stops when every
entry has `min_samples` and `time x entries` seconds have passed, the time
today's one-after-the-other sampling takes. An entry that raises is
dropped from the rounds with its error; the others go on.

Each sample's round index is kept: samples of two entries with the same
round index were taken within one round of each other, and the engine pairs
them (`dbtest_engine::bench::paired`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

from dbtest.benchmark.measure import (
    DEFAULTS,
    Clock,
    Measurement,
    Progress,
    Settings,
    calibrate,
    collector_off,
    frozen_heap,
    make_batch,
    refuse_awaitable,
    timer_resolution,
)

Outcome = Measurement | BaseException


def round_order(live: Sequence[int], round_index: int) -> list[int]:
    """The live entries' order in round `round_index`: rotated by one each round."""
    if not live:
        return []
    k = round_index % len(live)
    return list(live[k:]) + list(live[:k])


async def measure_interleaved(
    funcs: Sequence[Callable[[], Any]],
    settings: Settings = DEFAULTS,
    *,
    clock: Clock = time.perf_counter,
    progress: Sequence[Progress | None] | None = None,
    resolution: float | None = None,
    calls: Sequence[int | None] | None = None,
) -> list[Outcome]:
    """Measure `funcs` (no-argument sync or async callables) interleaved.

    Returns, for each function in order, its `Measurement` (with `rounds`:
    the round index of each sample) or the exception it raised. `calls[i]`
    fixes entry i's calls per sample (no calibration), `progress[i]` hears
    its phases as `measure`'s progress does.
    """
    k = len(funcs)
    reports: list[Progress] = [
        (progress[i] if progress and progress[i] else (lambda phase, samples: None))
        for i in range(k)
    ]
    fixed = list(calls) if calls is not None else [None] * k
    if resolution is None:
        resolution = timer_resolution(clock)
    target = max(settings.resolution_factor * resolution, settings.paired_sample_time)
    batches = [make_batch(f, clock) for f in funcs]
    outcome: list[Outcome | None] = [None] * k
    n: list[int] = [0] * k

    # One entry at a time: calibration and warm-up are per entry, as in
    # `measure`; a crash here is the entry that was last announced.
    for i, func in enumerate(funcs):
        try:
            reports[i]("calibrating" if fixed[i] is None else "warmup", 0)
            refuse_awaitable(func)
            n[i] = await calibrate(batches[i], target) if fixed[i] is None else max(1, fixed[i])
            if fixed[i] is None:
                reports[i]("warmup", 0)
            start = clock()
            while True:
                await batches[i](n[i])
                await asyncio.sleep(0)
                if clock() - start >= settings.warmup:
                    break
            if fixed[i] is None:
                n[i] = await calibrate(batches[i], target, start=n[i])
        except Exception as e:  # noqa: BLE001 - this entry's error; the others go on
            outcome[i] = e
    live = [i for i in range(k) if outcome[i] is None]
    samples: dict[int, list[float]] = {i: [] for i in live}
    rounds: dict[int, list[int]] = {i: [] for i in live}
    for i in live:
        reports[i]("sampling", 0)

    with frozen_heap(settings.gc):
        start = clock()
        last_report = start
        r = 0
        while live:
            for i in round_order(live, r):
                try:
                    with collector_off(settings.gc):
                        elapsed = await batches[i](n[i])
                except Exception as e:  # noqa: BLE001
                    outcome[i] = e
                    live.remove(i)
                    continue
                samples[i].append(elapsed / n[i])
                rounds[i].append(r)
            r += 1
            # Between rounds, outside the timed region: a cancellation is seen.
            await asyncio.sleep(0)
            now = clock()
            enough = all(len(samples[i]) >= settings.min_samples for i in live)
            if enough and now - start >= settings.time * k:
                break
            if now - last_report >= 0.2:
                for i in live:
                    reports[i]("sampling", len(samples[i]))
                last_report = now
    for i in range(k):
        if outcome[i] is None:
            reports[i]("done", len(samples[i]))
            outcome[i] = Measurement(
                samples=samples[i],
                calls_per_sample=n[i],
                resolution=resolution,
                rounds=rounds[i],
            )
    return [o for o in outcome if o is not None]
