"""What the code that runs a test needs of the process hosting it (the
executor): its settings, the one lock sync user code runs under, and the
fixture scopes wider than a suite. Written as a protocol so that a suite's
run (suite_run.py) and unittest's runner (unittest_compat.py) name what they
use, instead of reaching into the Executor's attributes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from dbtest.execution.fixtures import FixtureScope

Emit = Callable[[dict[str, Any]], None]


@dataclass
class UnittestModules:
    """unittest's module-level state in one process: each module's
    ``setUpModule`` result (its error, or None) by path, and where the
    ``tearDownModule`` calls at the end report."""

    results: dict[str, tuple[Any, tuple[str, str] | None]] = field(default_factory=dict)
    emit: Emit | None = None


class Host(Protocol):
    """The executor as the runners of suites and unittest cases see it."""

    root: str
    capture: bool
    live_output: Callable[[str, str, str], None] | None
    max_output_bytes: int
    seed: int | None
    poll: Callable[[], None] | None
    # Bumped by a cancel: work of an older generation stops retrying.
    generation: int
    session_scope: FixtureScope
    unittest: UnittestModules

    @property
    def sync_lock(self) -> asyncio.Lock: ...

    async def run_sync(self, fn: Callable[[], Any]) -> Any: ...

    def module_scope(self, path: str) -> FixtureScope: ...
