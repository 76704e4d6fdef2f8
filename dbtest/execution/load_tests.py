"""unittest's ``load_tests`` protocol: the cases a module's ``load_tests`` adds.

``python -m unittest`` runs what a module's ``load_tests(loader, tests,
pattern)`` returns. The module's own ``TestCase`` methods are listed by the
static parse and run as usual; the cases the function adds (doctests from
``doctest.DocTestSuite``, tests of other modules) are known only here, after
import, and run under the static item ``path::load_tests`` as
``path::load_tests::<case id>`` (the case's own ``id()``: a doctest's dotted
name, ``module.Class.method`` for a test method). A case the function drops
from the module's own still runs: dbtest lists a module's tests without
calling it.
"""

from __future__ import annotations

import unittest
from collections.abc import Iterator
from types import ModuleType
from typing import Any

from dbtest import ids as id_grammar
from dbtest.execution import outcome as oc
from dbtest.execution.item import Item

NAME = "load_tests"
# The pattern `python -m unittest` discovery passes (its default).
PATTERN = "test*.py"


def has_load_tests(module: ModuleType) -> bool:
    """Whether the module defines its own ``load_tests`` function."""
    fn = vars(module).get(NAME)
    return callable(fn) and getattr(fn, "__module__", None) == module.__name__


def _flatten(suite: Any) -> Iterator[Any]:
    if isinstance(suite, unittest.TestSuite):
        for test in suite:
            yield from _flatten(test)
    elif suite is not None:
        yield suite


def items(path: str, module: ModuleType, own: list[Item], line: int) -> list[Item]:
    """The items of the cases ``load_tests`` adds to the module's ``own``
    unittest items; one ``error`` item when it raises."""
    loader = unittest.TestLoader()
    standard = loader.suiteClass(
        loader.loadTestsFromTestCase(cls)
        for cls in dict.fromkeys(i.suite_cls for i in own if i.suite_cls is not None)
    )
    base = id_grammar.child(path, NAME)
    try:
        suite = vars(module)[NAME](loader, standard, PATTERN)
        cases = list(_flatten(suite))
    except Exception as e:  # noqa: BLE001 - the user's function
        return [_placeholder(path, line, error=f"{NAME} of {path} failed: {oc.headline(e)}")]
    known = {(i.suite_cls, i.name) for i in own}
    out: list[Item] = []
    seen: dict[str, int] = {}
    for case in cases:
        if not isinstance(case, unittest.TestCase):
            continue
        method = getattr(case, "_testMethodName", "runTest")
        if (type(case), method) in known:
            continue  # one of the module's own, listed and run as such
        case_id = id_grammar.child(base, case.id())
        n = seen.get(case_id, 0)
        seen[case_id] = n + 1
        if n:
            case_id = f"{case_id}#{n}"
        out.append(
            Item(
                id=case_id,
                path=path,
                style="unittest",
                name=method,
                func=getattr(case, method, None),
                line=line,
                suite_cls=type(case),
                case=case,
            )
        )
    # The static item always gets its one outcome, even when no case is added.
    return out or [_placeholder(path, line, skip=f"{NAME} adds no test to the module's own")]


def _placeholder(path: str, line: int, error: str | None = None, skip: str | None = None) -> Item:
    """The static item itself, ending ``error`` or ``skipped`` without running."""
    return Item(
        id=id_grammar.child(path, NAME), path=path, style="function", name=NAME, func=None, line=line,
        error=error, skip=skip,
    )  # fmt: skip
