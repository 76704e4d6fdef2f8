"""Calling synchronous user code as if no event loop were running.

A worker runs everything on one asyncio loop, and a sync test is called
from inside it. Without this, the loop would look *running* to the test, so
`asyncio.run(...)`, `loop.run_until_complete(...)` or a library that starts
its own loop would fail in a sync test ("cannot be called from a running
event loop"), where under pytest they work. The marker is per thread and
is only read by asyncio code, and none of ours runs during a sync call, so
clearing it for the call and putting it back after is safe; a loop the
test starts sets and clears it itself.
"""

from __future__ import annotations

from asyncio.events import _get_running_loop, _set_running_loop
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def outside_loop(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)` with no event loop marked as running."""
    loop = _get_running_loop()
    if loop is None:
        return fn(*args, **kwargs)
    _set_running_loop(None)
    try:
        return fn(*args, **kwargs)
    finally:
        _set_running_loop(loop)
