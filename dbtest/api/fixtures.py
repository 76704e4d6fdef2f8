"""``@fixture``: values injected into tests, hooks and other fixtures by parameter name.

A fixture is found by name: on the suite or test class, in the test module
(defined or imported there), in the ``conftest.py`` files from the test's
directory up to the root (nearest first), then among the built-ins
(``tmp_path``, ``monkeypatch``, ``capsys``...). pytest's ``@pytest.fixture``
definitions are read natively (see ``get_fixture``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from types import FunctionType
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

FIXTURE_ATTR = "__dbtest_fixture__"
SCOPES = ("test", "suite", "module", "package", "session")
# pytest's scope names, as dbtest's.
PYTEST_SCOPES = {
    "function": "test",
    "class": "suite",
    "module": "module",
    "package": "package",
    "session": "session",
}


@dataclass(frozen=True, eq=False)
class FixtureDef:
    """A fixture function and its scope; identity is the function object.

    ``params`` (with ``ids``) make every test that uses it run once per
    value (``request.param``); ``autouse`` ones apply to every test that
    can see them."""

    func: Callable[..., Any]
    scope: str
    name: str
    params: tuple[Any, ...] | None = None
    ids: Any = None
    autouse: bool = False
    # pytest's marks of each param (`pytest.param(v, marks=...)`), or None.
    param_marks: tuple[list[Any], ...] | None = None

    @functools.cached_property
    def needs(self) -> list[str]:
        """Names of the fixtures this one needs (``self`` excluded); read
        once: `inspect.signature` costs ~30 µs, and a function-scoped
        fixture is set up for every test that asks for it."""
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
    """The fixture definition attached to ``obj``, if it is one: dbtest's
    ``@fixture``, or pytest's ``@pytest.fixture`` (read, never imported)."""
    if type(obj) is FunctionType and not obj.__dict__:
        return None  # a plain function, the common case (every test)
    try:
        fd = getattr(obj, FIXTURE_ATTR, None)
    except Exception:
        return None
    if isinstance(fd, FixtureDef):
        return fd
    return _pytest_fixture(obj)


def _pytest_fixture(obj: Any) -> FixtureDef | None:
    # pytest >= 8.4 wraps the function in a FixtureFunctionDefinition
    # (`_fixture_function_marker`, `_fixture_function`); older versions
    # leave the function with a `_pytestfixturefunction` marker.
    try:
        marker = getattr(obj, "_fixture_function_marker", None)
        func = getattr(obj, "_fixture_function", None)
        if marker is None:
            marker = (
                obj.__dict__.get("_pytestfixturefunction") if hasattr(obj, "__dict__") else None
            )
            func = obj
    except Exception:
        return None
    if marker is None or func is None or not hasattr(marker, "scope"):
        return None
    cached = getattr(obj, "_dbtest_fixturedef", None)
    if isinstance(cached, FixtureDef):
        return cached
    scope = marker.scope if isinstance(marker.scope, str) else "function"
    params, ids, marks = _unpack_params(
        getattr(marker, "params", None), getattr(marker, "ids", None)
    )
    fd = FixtureDef(
        func=func,
        scope=PYTEST_SCOPES.get(scope, "test"),
        name=getattr(marker, "name", None) or func.__name__,
        params=params,
        ids=ids,
        param_marks=marks,
        autouse=bool(getattr(marker, "autouse", False)),
    )
    try:
        object.__setattr__(obj, "_dbtest_fixturedef", fd)
    except Exception:
        pass
    return fd


def _unpack_params(
    raw: Any, ids: Any
) -> tuple[tuple[Any, ...] | None, Any, tuple[list[Any], ...] | None]:
    """A pytest fixture's ``params``, ``pytest.param(value, id=, marks=)``
    entries unpacked: (the values, the ids with each ``pytest.param`` id in
    its place, each param's marks or None when none has any)."""
    if raw is None:
        return None, ids, None
    values, given, marks = [], [], []
    for p in raw:
        if type(p).__name__ == "ParameterSet" and hasattr(p, "values"):
            values.append(p.values[0] if len(p.values) == 1 else tuple(p.values))
            given.append(p.id)
            m = p.marks if isinstance(p.marks, (list, tuple)) else [p.marks]
            marks.append([getattr(x, "mark", x) for x in m if x is not None])
        else:
            values.append(p)
            given.append(None)
            marks.append([])
    any_marks = tuple(marks) if any(marks) else None
    if all(g is None for g in given):
        return tuple(values), ids, any_marks
    listed = list(ids) if ids is not None and not callable(ids) else []
    merged = [
        g if g is not None else (listed[i] if i < len(listed) else None)
        for i, g in enumerate(given)
    ]
    return tuple(values), merged, any_marks
