"""``@test``, ``@skip``, ``@skip_if`` and ``@xfail``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar, overload

from dbtest.api.marks import XFail, ensure_marks

F = TypeVar("F", bound=Callable[..., Any])


@overload
def test(func: F, /) -> F: ...


@overload
def test(
    *,
    name: str | None = None,
    tags: Iterable[str] = (),
    timeout: float | None = None,
    skip: bool | str | None = None,
    retries: int = 0,
) -> Callable[[F], F]: ...


def test(
    func: Any = None,
    /,
    *,
    name: str | None = None,
    tags: Iterable[str] = (),
    timeout: float | None = None,
    skip: bool | str | None = None,
    retries: int = 0,
) -> Any:
    """Mark a function or method as a test, whatever its name.

    Usable bare (``@test``) or called (``@test(tags=["db"], timeout=5)``).

    - ``name``: a human-readable title shown in reports (the id keeps the
      function name so that ids stay stable and filterable).
    - ``tags``: added to the suite's tags.
    - ``timeout``: seconds; overrides the run's ``--timeout``.
    - ``skip``: ``True`` or a reason string.
    - ``retries``: re-run a failing test up to this many more times.
    """
    if isinstance(tags, str):
        raise TypeError("@test(tags=...) takes a list of strings, not a string")
    if timeout is not None and (not isinstance(timeout, (int, float)) or timeout <= 0):
        raise ValueError(f"@test(timeout=...) must be a positive number, got {timeout!r}")
    if not isinstance(retries, int) or retries < 0:
        raise ValueError(f"@test(retries=...) must be a non-negative int, got {retries!r}")

    def apply(fn: F) -> F:
        if not callable(fn):
            raise TypeError(f"@test applies to functions, got {fn!r}")
        marks = ensure_marks(fn)
        marks.is_test = True
        marks.title = name
        marks.tags.extend(str(t) for t in tags)
        marks.timeout = float(timeout) if timeout is not None else None
        marks.retries = retries if retries else marks.retries
        if skip:
            marks.skip = skip if isinstance(skip, str) else "skipped"
        return fn

    if func is not None:
        return apply(func)
    return apply


def skip(reason: Any = None, /) -> Any:
    """Skip a test (or every test of a suite class): ``@skip("reason")`` or bare ``@skip``."""
    if callable(reason) and not isinstance(reason, str):
        ensure_marks(reason).skip = "skipped"
        return reason
    text = "skipped" if reason is None else str(reason)

    def apply(obj: F) -> F:
        ensure_marks(obj).skip = text
        return obj

    return apply


def skip_if(condition: Any, reason: str = "") -> Callable[[F], F]:
    """Skip when ``condition`` is true.

    ``condition`` is a value (evaluated when the module is imported) or a
    zero-argument callable (evaluated right before the test runs).
    """

    def apply(obj: F) -> F:
        ensure_marks(obj).skip_ifs.append((condition, reason or "condition is true"))
        return obj

    return apply


def xfail(
    reason: Any = "",
    /,
    *,
    raises: type[BaseException] | tuple[type[BaseException], ...] | None = None,
    strict: bool = False,
) -> Any:
    """Expect the test to fail.

    A failure (or, with ``raises``, one of those exceptions) becomes ``xfailed``;
    a pass becomes ``xpassed``, which fails the run only when ``strict=True``.
    """
    if callable(reason) and not isinstance(reason, str):
        ensure_marks(reason).xfail = XFail()
        return reason

    def apply(obj: F) -> F:
        ensure_marks(obj).xfail = XFail(str(reason), raises, strict)
        return obj

    return apply
