"""Interleaved sampling on a fake clock: one sample of each entry per round,
the order rotated each round, each entry calibrated to its own calls per
sample, and a failing entry dropped without stopping the others."""

import asyncio
import gc

import pytest

from dbtest.benchmark.interleave import measure_interleaved, round_order
from dbtest.benchmark.measure import Measurement, Settings


class LoggingClock:
    """A fake clock: advances 1 ns per read, entries advance it by their
    cost; every read is logged as `|`, every call as the entry's name."""

    def __init__(self):
        self.now = 0.0
        self.log = []

    def __call__(self):
        self.log.append("|")
        self.now += 1e-9
        return self.now

    def entry(self, name, cost, fail_at=None):
        calls = [0]

        def run():
            calls[0] += 1
            if fail_at is not None and calls[0] >= fail_at:
                raise ValueError(f"{name} broke")
            self.log.append(name)
            self.now += cost

        return run


def batches(log):
    """The entry of each timed batch: the calls between two clock reads."""
    out, current = [], []
    for item in log:
        if item == "|":
            if current:
                assert len(set(current)) == 1, current
                out.append(current[0])
            current = []
        else:
            current.append(item)
    return out


def run(funcs, settings, clock, **kw):
    return asyncio.run(measure_interleaved(funcs, settings, clock=clock, resolution=1e-9, **kw))


SETTINGS = Settings(time=0.03, min_samples=5, warmup=0.002, paired_sample_time=0.001)


def test_round_order_rotates_by_one_each_round():
    assert [round_order([0, 1, 2], r) for r in range(4)] == [
        [0, 1, 2],
        [1, 2, 0],
        [2, 0, 1],
        [0, 1, 2],
    ]
    assert round_order([4, 7], 1) == [7, 4] and round_order([], 3) == []


def test_each_round_samples_every_entry_once_in_rotated_order():
    clock = LoggingClock()
    names = ["a", "b", "c"]
    funcs = [clock.entry(n, c) for n, c in zip(names, (10e-6, 20e-6, 40e-6), strict=True)]
    out = run(funcs, SETTINGS, clock)
    assert all(isinstance(m, Measurement) for m in out)
    rounds = len(out[0].samples)
    assert all(m.rounds == list(range(rounds)) for m in out)
    sampled = batches(clock.log)[-3 * rounds :]
    for r in range(rounds):
        want = [names[i] for i in round_order([0, 1, 2], r)]
        assert sampled[3 * r : 3 * r + 3] == want, r
    # Each entry its own calls per sample: every sample lasts ~1 ms.
    for m, cost in zip(out, (10e-6, 20e-6, 40e-6), strict=True):
        assert 0.001 <= m.calls_per_sample * cost <= 0.0013
        assert all(s == pytest.approx(cost, rel=1e-3) for s in m.samples)


def test_sampling_lasts_the_time_of_every_entry_and_the_minimum_count():
    clock = LoggingClock()
    funcs = [clock.entry("a", 10e-6), clock.entry("b", 10e-6)]
    out = run(funcs, SETTINGS, clock)
    # 2 entries x 0.03 s of ~1.2 ms samples: about 25 rounds, not 5.
    per_sample = out[0].calls_per_sample * 10e-6
    rounds = len(out[0].samples)
    assert rounds * 2 * per_sample >= 2 * SETTINGS.time
    assert (rounds - 1) * 2 * per_sample < 2 * SETTINGS.time
    few = run([clock.entry("a", 10e-6), clock.entry("b", 10e-6)], SETTINGS.merged(time=1e-6), clock)
    assert [len(m.samples) for m in few] == [5, 5]


def test_warm_up_and_calibration_are_per_entry_before_the_rounds():
    clock = LoggingClock()
    funcs = [clock.entry("a", 10e-6), clock.entry("b", 10e-6)]
    out = run(funcs, SETTINGS, clock)
    seq = batches(clock.log)
    first_b = seq.index("b")
    # Every batch before b's first is a's: a calibrated and warmed up alone.
    assert set(seq[:first_b]) == {"a"} and first_b >= 2
    assert len(seq) - 2 * len(out[0].samples) > first_b


def test_fixed_calls_skip_calibration():
    clock = LoggingClock()
    phases = []
    funcs = [clock.entry("a", 10e-6), clock.entry("b", 10e-6)]
    out = run(
        funcs,
        SETTINGS,
        clock,
        calls=[7, None],
        progress=[lambda p, n: phases.append(p), None],
    )
    assert out[0].calls_per_sample == 7 and out[1].calls_per_sample > 7
    assert "calibrating" not in phases and phases[0] == "warmup" and phases[-1] == "done"


def test_a_failing_entry_is_dropped_and_the_others_go_on():
    clock = LoggingClock()
    funcs = [clock.entry("a", 10e-6), clock.entry("b", 10e-6, fail_at=2000), clock.entry("c", 1e-5)]
    out = run(funcs, SETTINGS, clock)
    assert isinstance(out[1], ValueError) and str(out[1]) == "b broke"
    assert isinstance(out[0], Measurement) and isinstance(out[2], Measurement)
    assert len(out[0].samples) == len(out[2].samples) >= SETTINGS.min_samples
    assert gc.isenabled()


def test_an_awaitable_from_a_plain_function_is_that_entrys_error():
    clock = LoggingClock()

    async def work():
        pass

    out = run([clock.entry("a", 10e-6), lambda: work()], SETTINGS, clock)
    assert isinstance(out[1], TypeError) and "async def" in str(out[1])
    assert isinstance(out[0], Measurement) and out[0].samples


def test_gc_is_disabled_during_every_entrys_samples():
    seen = {"a": [], "b": []}

    def entry(name):
        return lambda: seen[name].append(gc.isenabled())

    s = Settings(time=0.003, min_samples=3, warmup=0.0)
    out = asyncio.run(measure_interleaved([entry("a"), entry("b")], s))
    for name, m in zip("ab", out, strict=True):
        assert not any(seen[name][-len(m.samples) * m.calls_per_sample :])
    assert gc.isenabled()


def test_async_entries_are_interleaved_on_the_one_loop():
    loops = set()

    async def entry():
        loops.add(id(asyncio.get_running_loop()))

    s = Settings(time=0.003, min_samples=3, warmup=0.0)
    out = asyncio.run(measure_interleaved([entry, lambda: None], s))
    assert all(isinstance(m, Measurement) and len(m.samples) >= 3 for m in out)
    assert len(loops) == 1
