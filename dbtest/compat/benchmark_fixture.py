"""``benchmark``: the fixture of pytest-benchmark and pytest-codspeed,
dbtest's own code.

Suites written for those plugins ask for ``benchmark`` in ordinary tests:
``benchmark(func, *args, **kwargs)`` and ``benchmark.pedantic(...)``. Under
a test run the function is called as those plugins call it with
``--benchmark-disable``: once (``pedantic`` once per round, with its
``setup``), its result returned and its exceptions raised, so the test has
the outcome its code gives. Nothing is timed: a timing taken inside a test
run, with the other tests' load beside it, would be one noisy sample. To
measure, write the function as a dbtest benchmark and run ``dbtest bench``
(docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dbtest.api.fixtures import fixture


class BenchmarkFixture:
    """Calls the benchmarked function as the plugins do when disabled."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.group: str | None = None
        self.extra_info: dict[str, Any] = {}
        # What the plugins' own fixtures say when they measured nothing.
        self.disabled = True
        self.stats = None

    def __call__(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call ``func(*args, **kwargs)`` once and return its result."""
        return func(*args, **kwargs)

    def pedantic(
        self,
        target: Callable[..., Any],
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
        setup: Callable[[], Any] | None = None,
        teardown: Callable[..., Any] | None = None,
        rounds: int = 1,
        warmup_rounds: int = 0,
        iterations: int = 1,
    ) -> Any:
        """pytest-benchmark's ``pedantic``: ``setup`` (which may return the
        ``(args, kwargs)`` to call with) and ``target`` once, then ``teardown``."""
        if rounds < 1 or iterations < 1 or warmup_rounds < 0:
            raise ValueError("rounds and iterations must be at least 1, warmup_rounds at least 0")
        if setup is not None:
            if iterations > 1:
                raise ValueError("can't use more than 1 `iterations` with a `setup` function")
            made = setup()
            if made is not None:
                args, kwargs = made
        kwargs = kwargs or {}
        result = target(*args, **kwargs)
        if teardown is not None:
            teardown(*args, **kwargs)
        return result


@fixture
def benchmark(request: Any) -> BenchmarkFixture:
    """pytest-benchmark's and pytest-codspeed's ``benchmark``: calls the
    function once (see the module's docstring)."""
    return BenchmarkFixture(request.node.name)
