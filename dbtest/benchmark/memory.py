"""Peak allocated memory per call (`--bench-memory`).

A separate pass after the timing pass: tracemalloc slows every allocation
down several times, so it must never be active while timing.
"""

from __future__ import annotations

import inspect
import tracemalloc
from collections.abc import Callable
from typing import Any

from dbtest.execution.outside_loop import outside_loop


async def peak_per_call(func: Callable[[], Any], calls: int = 5) -> int:
    """Largest peak of memory allocated during one call, in bytes.

    One untraced call first, so one-time allocations (caches, lazy imports)
    are not charged to every call; then `calls` traced calls, each measured
    from the memory held just before it.
    """
    is_async = inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(
        getattr(func, "func", None)
    )

    async def call() -> None:
        if is_async:
            await func()
        else:
            outside_loop(func)

    await call()
    already = tracemalloc.is_tracing()
    if not already:
        tracemalloc.start()
    try:
        peak = 0
        for _ in range(max(1, calls)):
            tracemalloc.reset_peak()
            before, _ = tracemalloc.get_traced_memory()
            await call()
            _, high = tracemalloc.get_traced_memory()
            peak = max(peak, high - before)
        return peak
    finally:
        if not already:
            tracemalloc.stop()
