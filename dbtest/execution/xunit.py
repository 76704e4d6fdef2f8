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

import inspect
from collections.abc import Callable
from typing import Any


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
