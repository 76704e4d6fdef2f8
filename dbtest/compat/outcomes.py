"""``pytest.skip()``, ``pytest.fail()``, ``pytest.xfail()`` and
``pytest.importorskip()``: the exceptions they raise, read by their class.

pytest raises ``Skipped``, ``Failed`` and ``XFailed``, subclasses of
``_pytest.outcomes.OutcomeException`` (a ``BaseException`` with a ``msg``;
the first two present themselves as builtins); ``importorskip`` raises
``Skipped``. They are recognised by their base and names, so reading them
never imports pytest.
"""

from __future__ import annotations

_MODULE = "_pytest.outcomes"
_KINDS = {"Skipped": "skipped", "Failed": "failed", "XFailed": "xfailed"}


def pytest_outcome(exc: BaseException) -> str | None:
    """``skipped``, ``failed`` or ``xfailed`` for pytest's outcome exceptions."""
    mro = type(exc).__mro__
    if not any(k.__name__ == "OutcomeException" and k.__module__ == _MODULE for k in mro):
        return None
    for klass in mro:
        if klass.__name__ in _KINDS:
            return _KINDS[klass.__name__]
    return None


def message(exc: BaseException) -> str:
    """The reason given to ``pytest.skip(reason)`` and the like."""
    msg = getattr(exc, "msg", None)
    if isinstance(msg, str) and msg:
        return msg
    return str(exc) or type(exc).__name__
