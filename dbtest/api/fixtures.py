"""``@fixture``: values injected into tests, hooks and other fixtures by parameter name.

A fixture is found explicitly: defined (or imported) in the test module, or
defined on the suite class. There is no global conftest-like file.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

FIXTURE_ATTR = "__dbtest_fixture__"
SCOPES = ("test", "suite", "module", "session")


@dataclass(frozen=True, eq=False)
class FixtureDef:
    """A fixture function and its scope; identity is the function object."""

    func: Callable[..., Any]
    scope: str
    name: str

    @property
    def params(self) -> list[str]:
        """Names of the fixtures this one needs (``self`` excluded)."""
        sig = inspect.signature(self.func)
        return [
            p.name
            for p in sig.parameters.values()
            if p.name != "self"
            and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            and p.default is p.empty
        ]


def fixture(func: Any = None, /, *, scope: str = "test", name: str | None = None) -> Any:
    """Declare a fixture. Bare ``@fixture`` or ``@fixture(scope="module")``.

    The function may be sync, ``async``, a generator or an async generator; code
    after ``yield`` is the teardown. Scopes: ``test`` (fresh per test), ``suite``
    (once per suite run), ``module`` (once per test module, per process) and
    ``session`` (once per process). On a suite class, ``module`` and ``session``
    behave like ``suite`` since the instance they bind to is the suite's.
    """
    if scope not in SCOPES:
        raise ValueError(f"@fixture(scope={scope!r}): scope must be one of {', '.join(SCOPES)}")

    def apply(fn: F) -> F:
        if not callable(fn):
            raise TypeError(f"@fixture applies to functions, got {fn!r}")
        setattr(fn, FIXTURE_ATTR, FixtureDef(fn, scope, name or fn.__name__))
        return fn

    if func is not None:
        return apply(func)
    return apply


def get_fixture(obj: Any) -> FixtureDef | None:
    """The fixture definition attached to ``obj``, if it is one."""
    try:
        fd = getattr(obj, FIXTURE_ATTR, None)
    except Exception:
        return None
    return fd if isinstance(fd, FixtureDef) else None
