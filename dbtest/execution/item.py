"""One runnable test as the worker holds it after import (`Item`), and the
failure of a file's import. Apart from dbtest.execution.collect so that the
modules that make items (doctests, load_tests, unittest_compat) need not
import the collector that calls them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from dbtest.api.marks import XFail
from dbtest.compat import settings
from dbtest.execution.fixtures import fixture_names


class ImportFailure(Exception):
    """A test file could not be imported; carries the user's traceback."""

    def __init__(self, path: str, message: str, traceback: str, skipped: bool = False) -> None:
        super().__init__(message)
        self.path = path
        self.message = message
        self.traceback = traceback
        # The module skipped itself (`pytest.importorskip`, `SkipTest`).
        self.skipped = skipped


@dataclass
class Item:
    """One runnable test (one parametrize case)."""

    id: str
    path: str
    style: str  # "suite" | "function" | "unittest" | "class" (pytest's)
    name: str
    func: Any
    line: int
    suite: str | None = None
    suite_cls: type | None = None
    params: str | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    is_async: bool = False
    timeout: float | None = None
    retries: int | None = None
    skip: str | None = None
    skip_ifs: list[tuple[Any, str]] = field(default_factory=list)
    xfail: XFail | None = None
    title: str | None = None
    # pytest's `usefixtures` and `filterwarnings` marks, and the values of
    # an `indirect` parametrize (for the fixtures of those names).
    usefixtures: list[str] = field(default_factory=list)
    filterwarnings: list[str] = field(default_factory=list)
    indirect: dict[str, Any] = field(default_factory=dict)
    # Which value of each parametrized fixture it reaches this case gets.
    fixture_params: dict[str, int] = field(default_factory=dict)
    # Fixtures that apply to it without being asked for (autouse).
    autouse: list[str] = field(default_factory=list)
    # A mark pytest would refuse: the test is an error, saying why.
    error: str | None = None
    # `xfail(run=False)`: not run, recorded as xfailed (its `skip` says why).
    notrun: bool = False
    # A unittest case object to run as it is (one `load_tests` added, a
    # doctest), instead of `suite_cls(name)`.
    case: Any = None

    @functools.cached_property
    def plain(self) -> bool:
        """A sync test that needs no fixture and no condition at run time:
        the executor's fast path can run it."""
        if self.is_async or self.skip_ifs or self.usefixtures or self.filterwarnings:
            return False
        if settings.FILTERWARNINGS:  # the configuration's filters wrap every test
            return False
        if self.autouse or self.error:
            return False
        code = getattr(self.func, "__code__", None)
        if code is not None and not hasattr(self.func, "__wrapped__"):
            # Shortcut for the common signatures, `()` and `(self)`.
            n = code.co_argcount + code.co_kwonlyargcount
            if n == 0 or (n == 1 and self.suite_cls is not None and code.co_varnames[0] == "self"):
                return True
        # A static or class method: its function says what it asks for.
        func = (
            self.func.__func__ if isinstance(self.func, (staticmethod, classmethod)) else self.func
        )
        return not fixture_names(func, set(self.kwargs))

    def to_dict(self) -> dict[str, Any]:
        """The refined tree entry (the fields of ``dbtest_engine::tree::TestItem``)."""
        d: dict[str, Any] = {
            "id": self.id,
            "kind": "test",
            "style": self.style,
            "path": self.path,
            "name": self.name,
            "line": self.line,
            "tags": self.tags,
            "is_async": self.is_async,
        }
        for key in ("suite", "params", "timeout", "retries", "skip"):
            value = getattr(self, key)
            if value is not None:
                d[key] = value
        if self.xfail is not None:
            d["xfail"] = True
        return d
