"""dbtest: a test and benchmark runner for Python with a Rust engine.

The public API is imported lazily so that `dbtest list` pays only for what it uses.
"""

from __future__ import annotations

# Not `from typing import TYPE_CHECKING`: importing typing (~9 ms) would
# delay the CLI's first act, starting the workers (dbtest.cli._prewarm).
TYPE_CHECKING = False

__all__ = [
    "BenchmarkGroup",
    "TestSuite",
    "expect",
    "fixture",
    "parametrize",
    "register_group",
    "skip",
    "skip_if",
    "test",
    "xfail",
]

_EXPORTS = {
    "TestSuite": "dbtest.api.suite",
    "test": "dbtest.api.decorators",
    "skip": "dbtest.api.decorators",
    "skip_if": "dbtest.api.decorators",
    "xfail": "dbtest.api.decorators",
    "parametrize": "dbtest.api.parametrize",
    "fixture": "dbtest.api.fixtures",
    "expect": "dbtest.api.expect",
    "BenchmarkGroup": "dbtest.benchmark.group",
    "register_group": "dbtest.benchmark.group",
}

if TYPE_CHECKING:  # pragma: no cover
    from dbtest.api.decorators import skip, skip_if, test, xfail
    from dbtest.api.expect import expect
    from dbtest.api.fixtures import fixture
    from dbtest.api.parametrize import parametrize
    from dbtest.api.suite import TestSuite
    from dbtest.benchmark.group import BenchmarkGroup, register_group


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dbtest' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
