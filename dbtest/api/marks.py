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
