"""Outcome names (the lowercase strings of ``dbtest_engine::record::Outcome``) and
how an exception maps to one."""

from __future__ import annotations

import sys

from dbtest.compat.outcomes import message as pytest_message
from dbtest.compat.outcomes import pytest_outcome

PASSED = "passed"
FAILED = "failed"
ERROR = "error"
SKIPPED = "skipped"
XFAILED = "xfailed"
XPASSED = "xpassed"
TIMEOUT = "timeout"
CRASHED = "crashed"
CANCELLED = "cancelled"

ALL = (PASSED, FAILED, ERROR, SKIPPED, XFAILED, XPASSED, TIMEOUT, CRASHED, CANCELLED)
RETRYABLE = frozenset({FAILED, ERROR, TIMEOUT})


class TestTimeout(Exception):
    """Raised in place of the cancelled body of an async test that ran too long;
    `stack` is what it was awaiting when it was cancelled."""

    __test__ = False

    def __init__(self, message: str, stack: str = "") -> None:
        super().__init__(message)
        self.stack = stack


def _is_skip(exc: BaseException) -> bool:
    # unittest is imported only by what uses it (6 ms of every worker's
    # start-up otherwise): without it loaded, nothing can raise SkipTest.
    unittest = sys.modules.get("unittest")
    return unittest is not None and isinstance(exc, unittest.SkipTest)


def classify(exc: BaseException) -> str:
    """``failed`` for assertions, ``skipped`` for ``SkipTest``, ``timeout``,
    pytest's ``skip()``/``fail()``/``xfail()`` as they say, else ``error``."""
    if isinstance(exc, TestTimeout):
        return TIMEOUT
    told = pytest_outcome(exc)
    if told is not None:
        return told
    if _is_skip(exc):
        return SKIPPED
    if isinstance(exc, AssertionError):
        return FAILED
    return ERROR


def headline(exc: BaseException) -> str:
    """A one-paragraph message for the record."""
    if isinstance(exc, SystemExit):
        return f"the test called sys.exit({exc.code!r}) (SystemExit); dbtest recorded it and kept going"
    if isinstance(exc, KeyboardInterrupt):
        return "KeyboardInterrupt raised inside the test; dbtest recorded it and kept going"
    if _is_skip(exc):
        return str(exc) or "skipped"
    if pytest_outcome(exc) is not None:
        return pytest_message(exc)
    text = str(exc)
    name = type(exc).__name__
    if isinstance(exc, AssertionError):
        return text or "assertion failed"
    return f"{name}: {text}" if text else name
