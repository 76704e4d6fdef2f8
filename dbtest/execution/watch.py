"""Phases: telling the scheduler what user code beyond a test is running.

A test's own code (with its setup/teardown and function-scoped fixtures) is
announced by its ``started`` message and bounded by its timeout. Everything
else a worker runs for the user — imports, suite and class hooks, fixtures
wider than a test, benchmark group hooks — is a *phase*: announced here
before it runs, so that the scheduler always knows what a worker is stuck
on, bounds it with ``setup-timeout`` and calls it SLOW.

On the wire (docs/architecture.md, "Phases"):

- ``{"ev": "phase", "unit": 7, "what": "import tests/x.py", "sync": true}``
  begins a phase of unit 7 outside any test; the unit's next ``started``,
  ``finished``, ``phase`` or ``unit_done`` ends it, so a phase costs one
  message, not two;
- with ``"test": id`` it is a phase inside that running test (a module
  fixture it set up first): the test's own timeout is paused meanwhile, and
  ``{"ev": "phase_end", "unit": 7, "test": id}`` ends it.

A sync phase cannot be interrupted: past its budget the scheduler collects
the worker's stacks and kills it. An async phase is cut here, in the worker:
its task is cancelled at the budget, and what it was awaiting is the stack
reported (the scheduler kills the worker only if cancelling does not finish
within its grace period, as for an async test).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from dbtest.execution.leaks import Leaks
from dbtest.execution.stacks import cancel_with_stack

T = TypeVar("T")
Emit = Callable[[dict[str, Any]], None]


class PhaseTimeout(Exception):
    """An async phase ran past ``setup-timeout`` and was cancelled."""

    def __init__(self, what: str, after: float, stack: str, *, earlier: bool = False) -> None:
        if earlier:
            text = f"{what} hung earlier in this run (its worker was killed): not run again"
        else:
            text = f"{what} timed out after {after:g}s (setup-timeout)"
        super().__init__(text)
        self.what = what
        self.stack = stack


@dataclass
class UnitWatch:
    """Where the phases of one unit are announced, and their budget.

    ``hung`` names phases that already hung in this run and got their
    worker killed (the scheduler says so when it sends tests again): they
    fail at once instead of hanging a fresh worker too."""

    emit: Emit
    unit: int | None
    setup_timeout: float | None
    hung: frozenset[str] = frozenset()
    # What the worker knows is running (see leaks.py): what a phase starts
    # is the phase's, not the next test's.
    leaks: Leaks | None = None
    # The stack-dump hook of the process running the phases, when it is
    # not the worker the scheduler knows (a benchmark's measuring process).
    stacks: dict[str, Any] | None = None


class TestClock:
    """The time a test's own timeout counts: wall time minus the wider
    phases (a module fixture it sets up first) that ran inside it."""

    __test__ = False

    def __init__(self, test_id: str, timeout: float | None) -> None:
        self.test_id = test_id
        self.timeout = timeout
        self._t0 = time.monotonic()
        self._paused = 0.0
        self._since: float | None = None

    @property
    def in_phase(self) -> bool:
        return self._since is not None

    def pause(self) -> None:
        if self._since is None:
            self._since = time.monotonic()

    def resume(self) -> None:
        if self._since is not None:
            self._paused += time.monotonic() - self._since
            self._since = None

    def used(self) -> float:
        now = time.monotonic()
        running = now - self._since if self._since is not None else 0.0
        return now - self._t0 - self._paused - running


unit_watch: ContextVar[UnitWatch | None] = ContextVar("dbtest_unit_watch", default=None)
test_clock: ContextVar[TestClock | None] = ContextVar("dbtest_test_clock", default=None)


async def phase(
    what: str, call: Callable[[], Awaitable[T]], *, sync: bool, starts_things: bool = True
) -> T:
    """Run ``call()`` as the phase ``what`` of the current unit.

    ``sync`` says whether the user code is a plain function (the scheduler
    cuts it by killing the worker) or a coroutine (cut here).
    ``starts_things``: what it leaves running is its own, not the next
    test's leak (see leaks.py); an import is rarely such, and there is one
    per file, so it skips that look."""
    watch = unit_watch.get()
    if watch is None:
        return await call()
    if what in watch.hung:
        raise PhaseTimeout(what, watch.setup_timeout or 0.0, "", earlier=True)
    clock = test_clock.get()
    message: dict[str, Any] = {"ev": "phase", "unit": watch.unit, "what": what, "sync": sync}
    if watch.stacks is not None:
        message["stacks"] = watch.stacks
    if clock is not None:
        message["test"] = clock.test_id
        clock.pause()
    watch.emit(message)
    try:
        if sync or not watch.setup_timeout:
            return await call()
        return await _bounded(what, call, watch.setup_timeout)
    finally:
        if starts_things and watch.leaks is not None:
            watch.leaks.absorb()
        if clock is not None:
            clock.resume()
            watch.emit({"ev": "phase_end", "unit": watch.unit, "test": clock.test_id})


async def _bounded(what: str, call: Callable[[], Awaitable[T]], budget: float) -> T:
    """``call()`` cancelled after ``budget`` seconds, raising PhaseTimeout
    with the stack of what it was awaiting then."""
    task = asyncio.ensure_future(call())
    try:
        done, _ = await asyncio.wait({task}, timeout=budget)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if not done:
        raise PhaseTimeout(what, budget, await cancel_with_stack(task))
    return task.result()
