"""pytest's plain test classes and its xunit-style setups.

A ``class TestX:`` (no base, no ``__init__``) gets a fresh instance for each
test, as under pytest. Its ``setup_class``/``teardown_class`` run once per
class run (like a suite's ``setup_suite``), ``setup_method``/
``teardown_method`` around each test; in a module, ``setup_module``/
``teardown_module`` once per module per worker, and ``setup_function``/
``teardown_function`` around each module-level test. Each may take its
argument (the class, the method, the module, the function) or none, as
pytest allows.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from dbtest.execution import outcome as oc
from dbtest.execution import watch
from dbtest.execution.traceback import format_exception

SyncRunner = Callable[[Callable[[], Any]], Awaitable[Any]]


def _takes_argument(hook: Any) -> bool:
    try:
        params = [
            p
            for p in inspect.signature(hook).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
        ]
    except (TypeError, ValueError):
        return True
    return bool(params)


def hook(owner: Any, name: str, arg: Any) -> Callable[[], Any] | None:
    """``owner.name`` as a no-argument call (passing ``arg`` when it takes
    one), or None when there is no such hook."""
    fn = getattr(owner, name, None)
    if fn is None or not callable(fn):
        return None
    if _takes_argument(fn):
        return lambda: fn(arg)
    return fn


def is_plain_class(cls: type) -> bool:
    """A pytest-style test class: no ``__init__`` of its own (pytest skips
    a test class with a constructor, and says so)."""
    return cls.__init__ is object.__init__  # type: ignore[misc]


def has_per_test_hooks(cls: type | None, module: Any) -> bool:
    """Whether tests of this class (or module, when ``cls`` is None) run
    xunit hooks around each test."""
    if cls is not None:
        return any(getattr(cls, n, None) is not None for n in ("setup_method", "teardown_method"))
    return any(
        getattr(module, n, None) is not None for n in ("setup_function", "teardown_function")
    )


class ModuleHooks:
    """``setup_module``/``teardown_module`` of the modules one worker runs:
    set up before the module's first test here, torn down when the worker
    closes (only where setup succeeded, as pytest does)."""

    def __init__(self) -> None:
        # path -> (module, setup error as (message, traceback), or None)
        self._done: dict[str, tuple[Any, tuple[str, str] | None]] = {}
        self._lock: asyncio.Lock | None = None

    def ready(self, path: str) -> bool:
        """Whether the module's setup has run here (a test's cheap check)."""
        return path in self._done

    def error(self, path: str) -> tuple[str, str] | None:
        """The error of a module's setup that has run, if it failed."""
        return self._done[path][1]

    async def setup(self, path: str, module: Any, run_sync: SyncRunner) -> tuple[str, str] | None:
        """Run the module's ``setup_module`` once; its error, if it failed."""
        if path in self._done:
            return self._done[path][1]
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if path not in self._done:
                error = None
                fn = hook(module, "setup_module", module)
                if fn is not None:
                    try:
                        await watch.phase(f"setup_module {path}", lambda: run_sync(fn), sync=True)
                    except watch.PhaseTimeout as e:
                        error = (str(e), e.stack or str(e))
                    except BaseException as e:  # noqa: BLE001 - the module's tests report it
                        error = (
                            f"setup_module of {path} failed: {oc.headline(e)}",
                            format_exception(e),
                        )
                self._done[path] = (module, error)
        return self._done[path][1]

    async def teardown_all(
        self, run_sync: SyncRunner, report: Callable[[str, str, BaseException], None]
    ) -> None:
        """``teardown_module`` of each module set up here, newest first;
        ``report(scope, message, error)`` for each that fails."""
        for path, (module, error) in reversed(list(self._done.items())):
            fn = hook(module, "teardown_module", module) if error is None else None
            if fn is None:
                continue
            try:
                await watch.phase(f"teardown_module {path}", lambda fn=fn: run_sync(fn), sync=True)
            except BaseException as e:  # noqa: BLE001 - a run error, never raised
                report(path, f"teardown_module of {path} failed: {oc.headline(e)}", e)
        self._done.clear()
