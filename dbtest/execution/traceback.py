"""Tracebacks with source lines, dbtest's own frames (and importlib's) hidden."""

from __future__ import annotations

import os
import traceback as _tb

import dbtest

_DBTEST_DIR = os.path.dirname(os.path.abspath(dbtest.__file__)) + os.sep
_HIDDEN_PREFIXES = (
    os.path.join(_DBTEST_DIR, "execution") + os.sep,
    os.path.join(_DBTEST_DIR, "api") + os.sep,
    os.path.join(_DBTEST_DIR, "worker.py"),
)
_ASYNCIO_DIR = os.path.dirname(os.path.abspath(_tb.__file__)) + os.sep + "asyncio" + os.sep
_UNITTEST_DIR = os.path.dirname(os.path.abspath(_tb.__file__)) + os.sep + "unittest" + os.sep


def hidden(filename: str) -> bool:
    """Whether a frame of ``filename`` is dbtest's (or the machinery's that
    calls the user's code: asyncio, unittest, importlib), not the user's."""
    if filename.startswith("<frozen importlib"):
        return True
    path = os.path.abspath(filename) if not filename.startswith("<") else filename
    return path.startswith(_HIDDEN_PREFIXES) or path.startswith((_ASYNCIO_DIR, _UNITTEST_DIR))


def caller_prefixes() -> tuple[str, ...]:
    """Where the code that calls the user's lives: in a stack dump, what is
    older than its newest frame is how the worker started, not the user's."""
    return (
        os.path.join(_DBTEST_DIR, "execution") + os.sep,
        os.path.join(_DBTEST_DIR, "benchmark") + os.sep,
        os.path.join(_DBTEST_DIR, "worker.py"),
    )


def hidden_prefixes() -> tuple[str, ...]:
    """The file prefixes a stack dump of a whole worker hides: all of
    dbtest (its CLI forks the workers), the machinery `hidden` names, and
    what starts and idles the worker (runpy, selectors)."""
    stdlib = os.path.dirname(_ASYNCIO_DIR.rstrip(os.sep)) + os.sep
    return (
        _DBTEST_DIR,
        _ASYNCIO_DIR,
        _UNITTEST_DIR,
        stdlib + "runpy.py",
        stdlib + "selectors.py",
        "<frozen importlib",
        "<frozen runpy",
    )


def _filter(te: _tb.TracebackException, seen: set[int]) -> None:
    if id(te) in seen:
        return
    seen.add(id(te))
    kept = [f for f in te.stack if not hidden(f.filename)]
    if kept or te.stack:
        te.stack = _tb.StackSummary.from_list(kept)
    for nxt in (te.__cause__, te.__context__):
        if nxt is not None:
            _filter(nxt, seen)


def format_exception(exc: BaseException) -> str:
    """The full traceback text of ``exc`` (chained causes included), user frames only."""
    try:
        te = _tb.TracebackException.from_exception(exc, capture_locals=False)
        _filter(te, set())
        return "".join(te.format()).rstrip("\n")
    except Exception as e:  # never let formatting hide the failure itself
        return f"{type(exc).__name__}: {exc} (traceback unavailable: {e})"


def last_user_frame(exc: BaseException):  # type: ignore[no-untyped-def]
    """The innermost traceback entry outside dbtest: ``(frame, lineno)`` or None."""
    tb = exc.__traceback__
    found = None
    while tb is not None:
        if not hidden(tb.tb_frame.f_code.co_filename):
            found = (tb.tb_frame, tb.tb_lineno)
        tb = tb.tb_next
    return found
