"""Metadata that the decorators attach to test functions and suite classes.

Decorators never wrap the function: they record facts on a ``TestMarks`` stored
as ``__dbtest_marks__`` so that stacking order does not matter (except for
``parametrize``, whose order defines the cartesian product and the ids).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MARKS_ATTR = "__dbtest_marks__"


@dataclass
class XFail:
    """An expected failure: ``raises`` narrows which exceptions count."""

    reason: str = ""
    raises: type[BaseException] | tuple[type[BaseException], ...] | None = None
    strict: bool = False


@dataclass
class ParamSet:
    """One ``@parametrize`` decorator: argument names and its cases."""

    argnames: list[str]
    cases: list[tuple[Any, ...]]
    ids: list[str]
    # pytest's `pytest.param(..., marks=...)`: the marks of each case.
    case_marks: list[TestMarks | None] | None = None
    # pytest's `indirect=`: the names whose values go to the fixture of
    # that name (as `request.param`), not to the test.
    indirect: set[str] = field(default_factory=set)


@dataclass
class TestMarks:
    """Everything the decorators said about one test function (or suite class)."""

    is_test: bool = False
    title: str | None = None
    tags: list[str] = field(default_factory=list)
    timeout: float | None = None
    retries: int | None = None
    skip: str | None = None
    # (condition, reason); a callable condition is evaluated when the test runs.
    skip_ifs: list[tuple[Any, str]] = field(default_factory=list)
    xfail: XFail | None = None
    # In decorator application order: the bottom-most decorator first.
    params: list[ParamSet] = field(default_factory=list)
    # From pytest's marks: fixtures to set up first, warning filters, and
    # `xfail(run=False)` (skipped, reported as xfail not run).
    usefixtures: list[str] = field(default_factory=list)
    filterwarnings: list[str] = field(default_factory=list)
    notrun_xfail: bool = False


def merge(*all_marks: TestMarks | None) -> TestMarks | None:
    """The marks of a test from several sources, nearest first (the
    function's own, then its class's, then its module's)."""
    present = [m for m in all_marks if m is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    out = TestMarks()
    for m in present:
        out.is_test = out.is_test or m.is_test
        out.title = out.title or m.title
        out.tags.extend(t for t in m.tags if t not in out.tags)
        out.timeout = out.timeout if out.timeout is not None else m.timeout
        out.retries = out.retries if out.retries is not None else m.retries
        out.skip = out.skip or m.skip
        out.skip_ifs.extend(m.skip_ifs)
        out.xfail = out.xfail or m.xfail
        out.params.extend(m.params)
        out.usefixtures.extend(m.usefixtures)
        out.filterwarnings.extend(m.filterwarnings)
        out.notrun_xfail = out.notrun_xfail or m.notrun_xfail
    return out


def get_marks(obj: Any) -> TestMarks | None:
    """The marks of ``obj`` (its own, not inherited through a class), if any."""
    if isinstance(obj, type):
        return obj.__dict__.get(MARKS_ATTR)
    return getattr(obj, MARKS_ATTR, None)


def ensure_marks(obj: Any) -> TestMarks:
    """The marks of ``obj``, created on first use."""
    marks = get_marks(obj)
    if marks is None:
        marks = TestMarks()
        target = getattr(obj, "__func__", obj)  # staticmethod/classmethod
        setattr(target, MARKS_ATTR, marks)
    return marks
