"""Peak memory per call, in its own pass."""

import asyncio
import tracemalloc

from dbtest.benchmark.memory import peak_per_call


def test_peak_reflects_the_allocation_of_one_call():
    def allocate():
        return bytearray(1_000_000)

    async def nothing():
        return None

    big = asyncio.run(peak_per_call(allocate))
    small = asyncio.run(peak_per_call(nothing))
    assert 1_000_000 <= big < 1_100_000
    assert small < 10_000
    assert not tracemalloc.is_tracing()
