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


def _hidden(filename: str) -> bool:
    if filename.startswith("<frozen importlib"):
        return True
    path = os.path.abspath(filename) if not filename.startswith("<") else filename
    return path.startswith(_HIDDEN_PREFIXES) or path.startswith((_ASYNCIO_DIR, _UNITTEST_DIR))


def _filter(te: _tb.TracebackException, seen: set[int]) -> None:
    if id(te) in seen:
        return
    seen.add(id(te))
    kept = [f for f in te.stack if not _hidden(f.filename)]
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
        if not _hidden(tb.tb_frame.f_code.co_filename):
            found = (tb.tb_frame, tb.tb_lineno)
        tb = tb.tb_next
    return found
