"""The measuring loop on a fake clock: calibration, warm-up, stopping
rules, garbage collector handling, and async entries on one loop."""

import asyncio
import gc

import pytest

from dbtest.benchmark.measure import (
    DEFAULTS,
    QUICK,
    Settings,
    calibrate,
    make_batch,
    measure,
    measure_sync,
    timer_resolution,
)


class FakeClock:
    """Advances `tick` per read; entries advance it by their fake cost."""

    def __init__(self, tick=1e-9, granularity=0.0):
        self.now = 0.0
        self.tick = tick
        self.granularity = granularity
        self.reads = 0

    def __call__(self):
        self.reads += 1
        self.now += self.tick
        if self.granularity:
            return (self.now // self.granularity) * self.granularity
        return self.now

    def spend(self, seconds):
        self.now += seconds


def test_timer_resolution_of_fine_and_coarse_clocks():
    assert timer_resolution(FakeClock(tick=1e-9)) == pytest.approx(1e-9, rel=0.01)
    coarse = FakeClock(tick=1e-6, granularity=1e-3)
    assert timer_resolution(coarse, reads=20) == pytest.approx(1e-3, rel=1e-6)


def test_stuck_clock_is_an_error_not_a_hang():
    with pytest.raises(RuntimeError, match="does not advance"):
        timer_resolution(lambda: 1.0, reads=10)


def test_calibration_reaches_the_minimum_sample_time():
    clock = FakeClock()

    def entry():
        clock.spend(10e-6)

    settings = DEFAULTS.merged(time=0.05, min_samples=5, warmup=0.0)
    m = measure_sync(entry, settings, clock=clock)
    # 1 ms samples of a 10 us function: about 100 calls, not 10x more.
    assert 100 <= m.calls_per_sample <= 130
    assert all(s == pytest.approx(10e-6, rel=1e-3) for s in m.samples)


def test_calibration_respects_1000x_resolution_of_a_coarse_clock():
    clock = FakeClock(tick=1e-9, granularity=1e-4)

    def entry():
        clock.spend(2e-6)

    m = measure_sync(entry, Settings(time=0.5, min_samples=3, warmup=0.0), clock=clock)
    assert m.resolution == pytest.approx(1e-4)
    # One sample must span 1000 x 100 us = 0.1 s: at least 50,000 calls.
    assert m.calls_per_sample * 2e-6 >= 0.1
    assert m.calls_per_sample * 2e-6 <= 0.1 * 1.5


def test_calibrate_grows_geometrically_when_clock_sees_nothing():
    calls = []

    async def batch(n):
        calls.append(n)
        return 0.0 if n < 1000 else n * 1e-6

    assert asyncio.run(calibrate(batch, target=0.01)) >= 10_000 / 1.0 - 1
    assert calls[:4] == [1, 10, 100, 1000]


@pytest.mark.parametrize(
    "settings, want",
    [
        (Settings(time=0.010, min_samples=5, warmup=0.0, sample_time=0.001), 10),  # time rules
        (Settings(time=0.001, min_samples=25, warmup=0.0, sample_time=0.001), 25),  # count rules
    ],
)
def test_sampling_stops_when_both_count_and_time_are_reached(settings, want):
    clock = FakeClock()
    m = measure_sync(lambda: clock.spend(1e-4), settings, clock=clock)
    assert len(m.samples) == pytest.approx(want, abs=1)


def test_warmup_runs_before_sampling_and_is_not_sampled():
    clock = FakeClock()
    calls = []

    def entry():
        calls.append(clock.now)
        clock.spend(1e-4)

    phases = []
    settings = Settings(time=0.002, min_samples=2, warmup=0.05, sample_time=0.001)
    m = measure_sync(entry, settings, clock=clock, progress=lambda p, n: phases.append(p))
    assert phases[:3] == ["calibrating", "warmup", "sampling"] and phases[-1] == "done"
    sampled_calls = len(m.samples) * m.calls_per_sample
    # Calibration + 0.05 s of warm-up happened on top of the samples.
    assert len(calls) - sampled_calls >= 0.05 / 1e-4


def test_gc_is_collected_and_disabled_during_samples_unless_asked():
    states = []
    m = measure_sync(lambda: states.append(gc.isenabled()), QUICK.merged(time=0.005, warmup=0.0))
    sampled = states[-len(m.samples) * m.calls_per_sample :]
    assert not any(sampled)
    assert gc.isenabled()  # restored afterwards
    states.clear()
    m = measure_sync(lambda: states.append(gc.isenabled()), QUICK.merged(time=0.005, gc=True))
    assert all(states)


def test_async_entries_run_on_one_reused_loop_without_tasks():
    loops = set()
    tasks = set()

    async def entry():
        loops.add(id(asyncio.get_running_loop()))
        tasks.add(id(asyncio.current_task()))

    m = measure_sync(entry, QUICK.merged(time=0.005, warmup=0.0))
    assert len(m.samples) >= QUICK.min_samples
    assert len(loops) == 1
    assert len(tasks) == 1  # awaited inline: no task per call


def test_async_batch_times_only_the_awaits():
    clock = FakeClock()

    async def entry():
        clock.spend(5e-6)

    batch = make_batch(entry, clock)
    elapsed = asyncio.run(batch(100))
    assert elapsed == pytest.approx(100 * 5e-6, rel=0.01)


def test_measure_reuses_the_callers_running_loop():
    async def main():
        seen = []

        async def entry():
            seen.append(asyncio.get_running_loop())

        await measure(entry, QUICK.merged(time=0.002, warmup=0.0))
        return seen, asyncio.get_running_loop()

    seen, loop = asyncio.run(main())
    assert seen and all(x is loop for x in seen)


def test_a_sync_entry_may_run_its_own_loop():
    # A sync wrapper over async code (asyncio.run per call) is a fair thing
    # to measure: the measuring loop must not look running to it.
    async def work():
        return 1

    async def main():
        m = await measure(lambda: asyncio.run(work()), QUICK.merged(time=0.002, warmup=0.0))
        return m, asyncio.get_running_loop()

    m, loop = asyncio.run(main())
    assert len(m.samples) >= QUICK.min_samples and loop is not None


def test_errors_propagate_from_measure():
    def entry():
        raise KeyError("x")

    with pytest.raises(KeyError):
        measure_sync(entry, QUICK)
    assert gc.isenabled()


def test_a_sync_function_returning_a_coroutine_is_refused():
    async def work():
        pass

    with pytest.raises(TypeError, match="async def"):
        measure_sync(lambda: work(), QUICK)


def test_calibration_is_topped_up_when_warm_up_makes_the_entry_faster():
    clock = FakeClock()
    calls = [0]

    def entry():
        # 50 us per call for the first 100 calls, then 10 us: "warmed up".
        calls[0] += 1
        clock.spend(50e-6 if calls[0] <= 100 else 10e-6)

    settings = Settings(time=0.01, min_samples=3, warmup=0.01, sample_time=0.001)
    m = measure_sync(entry, settings, clock=clock)
    assert m.calls_per_sample * 10e-6 >= 0.001
    assert all(s * m.calls_per_sample >= 0.001 for s in m.samples)
