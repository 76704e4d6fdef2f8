"""``expect(value)``: readable assertions with negation and diffs.

>>> expect([1, 2]).to_have_length(2)
>>> expect("abc").not_.to_start_with("x")
>>> with expect.raises(ValueError, match="bad"):
...     raise ValueError("bad input")
"""

from __future__ import annotations

import math
import re
from typing import Any

from dbtest.api.diff import diff, short_repr

_MISSING = object()


class ExpectationFailed(AssertionError):
    """A failed ``expect`` matcher; counted as a test failure."""


class RaisesInfo:
    """What ``to_raise`` / ``expect.raises`` caught."""

    def __init__(self) -> None:
        self.value: BaseException | None = None

    @property
    def type(self) -> type[BaseException] | None:
        return type(self.value) if self.value is not None else None


def _exc_name(exc_type: Any) -> str:
    if isinstance(exc_type, tuple):
        return " or ".join(t.__name__ for t in exc_type)
    return getattr(exc_type, "__name__", repr(exc_type))


class RaisesContext:
    """``with expect.raises(ValueError, match="..."):`` (also ``async with``)."""

    def __init__(self, exc_type: Any, match: str | None = None) -> None:
        _check_exc_type(exc_type)
        self.exc_type = exc_type
        self.match = match
        self.info = RaisesInfo()

    def __enter__(self) -> RaisesInfo:
        return self.info

    def __exit__(self, et: Any, ev: Any, tb: Any) -> bool:
        __tracebackhide__ = True
        if ev is None:
            raise ExpectationFailed(
                f"expected {_exc_name(self.exc_type)} to be raised, nothing was raised"
            )
        if not isinstance(ev, self.exc_type):
            return False  # a different exception propagates with its own traceback
        if self.match is not None and not re.search(self.match, str(ev)):
            raise ExpectationFailed(
                f"{_exc_name(self.exc_type)} was raised but its message does not match\n"
                f"Pattern: {self.match!r}\nMessage: {str(ev)!r}"
            ) from ev
        self.info.value = ev
        return True

    async def __aenter__(self) -> RaisesInfo:
        return self.info

    async def __aexit__(self, et: Any, ev: Any, tb: Any) -> bool:
        return self.__exit__(et, ev, tb)


def _check_exc_type(exc_type: Any) -> None:
    types = exc_type if isinstance(exc_type, tuple) else (exc_type,)
    for t in types:
        if not (isinstance(t, type) and issubclass(t, BaseException)):
            raise TypeError(f"expected an exception type, got {t!r}")


class Expectation:
    """Matchers on one value. ``.not_`` negates the next matcher."""

    def __init__(self, value: Any, negated: bool = False) -> None:
        self.value = value
        self._negated = negated

    @property
    def not_(self) -> Expectation:
        return Expectation(self.value, not self._negated)

    # -- machinery -------------------------------------------------------
    def _check(
        self,
        ok: bool,
        matcher: str,
        expected: Any = _MISSING,
        *,
        describe: str | None = None,
        show_diff: bool = False,
        note: str | None = None,
    ) -> Expectation:
        if bool(ok) != self._negated:
            return self
        neg = "not_." if self._negated else ""
        args = "" if expected is _MISSING else short_repr(expected)
        lines = [f"expect({short_repr(self.value)}).{neg}{matcher}({args})"]
        want = (
            describe
            if describe is not None
            else (None if expected is _MISSING else short_repr(expected))
        )
        if want is not None:
            lines.append(f"Expected: {'not ' if self._negated else ''}{want}")
        lines.append(f"Actual:   {short_repr(self.value)}")
        if note:
            lines.append(note)
        if show_diff and not self._negated and expected is not _MISSING:
            d = diff(expected, self.value)
            if d:
                lines.append(
                    "Diff (- expected, + actual):" if d.startswith("---") else "Difference:"
                )
                lines.append(d)
        raise ExpectationFailed("\n".join(lines))

    # -- equality and identity --------------------------------------------
    def to_equal(self, expected: Any) -> Expectation:
        """``value == expected``, with a diff for long strings and containers."""
        return self._check(self.value == expected, "to_equal", expected, show_diff=True)

    def to_be(self, expected: Any) -> Expectation:
        """``value is expected``."""
        note = None
        if self.value is not expected and self.value == expected:
            note = "(equal, but not the same object)"
        return self._check(self.value is expected, "to_be", expected, note=note)

    def to_be_true(self) -> Expectation:
        """``value is True``."""
        return self._check(self.value is True, "to_be_true", describe="True")

    def to_be_false(self) -> Expectation:
        """``value is False``."""
        return self._check(self.value is False, "to_be_false", describe="False")

    def to_be_none(self) -> Expectation:
        """``value is None``."""
        return self._check(self.value is None, "to_be_none", describe="None")

    def to_be_instance_of(self, cls: type | tuple[type, ...]) -> Expectation:
        """``isinstance(value, cls)``."""
        name = _exc_name(cls)
        return self._check(
            isinstance(self.value, cls),
            "to_be_instance_of",
            describe=f"an instance of {name}",
            note=f"Type:     {type(self.value).__name__}",
        )

    # -- ordering ----------------------------------------------------------
    def to_be_greater_than(self, other: Any) -> Expectation:
        return self._check(
            self.value > other, "to_be_greater_than", other, describe=f"> {short_repr(other)}"
        )

    def to_be_greater_than_or_equal(self, other: Any) -> Expectation:
        return self._check(
            self.value >= other,
            "to_be_greater_than_or_equal",
            other,
            describe=f">= {short_repr(other)}",
        )

    def to_be_less_than(self, other: Any) -> Expectation:
        return self._check(
            self.value < other, "to_be_less_than", other, describe=f"< {short_repr(other)}"
        )

    def to_be_less_than_or_equal(self, other: Any) -> Expectation:
        return self._check(
            self.value <= other,
            "to_be_less_than_or_equal",
            other,
            describe=f"<= {short_repr(other)}",
        )

    def to_be_between(self, low: Any, high: Any) -> Expectation:
        """``low <= value <= high`` (inclusive)."""
        ok = low <= self.value <= high
        return self._check_between(ok, low, high)

    def _check_between(self, ok: bool, low: Any, high: Any) -> Expectation:
        if bool(ok) != self._negated:
            return self
        neg = "not_." if self._negated else ""
        raise ExpectationFailed(
            f"expect({short_repr(self.value)}).{neg}to_be_between({short_repr(low)}, {short_repr(high)})\n"
            f"Expected: {'not ' if self._negated else ''}between {short_repr(low)} and {short_repr(high)} (inclusive)\n"
            f"Actual:   {short_repr(self.value)}"
        )

    def to_be_close_to(self, expected: float, rel: float = 1e-6, abs: float = 1e-12) -> Expectation:  # noqa: A002
        """``math.isclose(value, expected, rel_tol=rel, abs_tol=abs)``."""
        ok = math.isclose(self.value, expected, rel_tol=rel, abs_tol=abs)
        tol = max(rel * max(math.fabs(self.value), math.fabs(expected)), abs)
        return self._check(
            ok,
            "to_be_close_to",
            expected,
            describe=f"{short_repr(expected)} ± {tol:.3g}",
            note=f"Off by:   {math.fabs(self.value - expected):.6g}",
        )

    # -- containers ----------------------------------------------------------
    def to_contain(self, item: Any) -> Expectation:
        """``item in value``."""
        return self._check(
            item in self.value, "to_contain", item, describe=f"to contain {short_repr(item)}"
        )

    def to_be_in(self, container: Any) -> Expectation:
        """``value in container``."""
        return self._check(
            self.value in container,
            "to_be_in",
            container,
            describe=f"one of {short_repr(container)}",
        )

    def to_have_key(self, key: Any) -> Expectation:
        """``key in value`` for a mapping."""
        keys = _keys(self.value)
        return self._check(
            key in self.value,
            "to_have_key",
            key,
            describe=f"a mapping with key {short_repr(key)}",
            note=f"Keys:     {short_repr(keys)}",
        )

    def to_have_keys(self, *keys: Any) -> Expectation:
        """Every one of ``keys`` is in the mapping."""
        if len(keys) == 1 and isinstance(keys[0], (list, tuple, set, frozenset)):
            keys = tuple(keys[0])
        missing = [k for k in keys if k not in self.value]
        return self._check(
            not missing,
            "to_have_keys",
            list(keys),
            describe=f"a mapping with keys {short_repr(list(keys))}",
            note=f"Missing:  {short_repr(missing)}"
            if missing
            else f"Keys:     {short_repr(_keys(self.value))}",
        )

    def to_have_length(self, n: int) -> Expectation:
        """``len(value) == n``."""
        actual = len(self.value)
        return self._check(
            actual == n, "to_have_length", n, describe=f"length {n}", note=f"Length:   {actual}"
        )

    def to_be_empty(self) -> Expectation:
        """``len(value) == 0``."""
        actual = len(self.value)
        return self._check(actual == 0, "to_be_empty", describe="empty", note=f"Length:   {actual}")

    # -- strings and sequences ------------------------------------------------
    def to_start_with(self, prefix: Any) -> Expectation:
        ok = _seq_starts(self.value, prefix)
        return self._check(
            ok, "to_start_with", prefix, describe=f"to start with {short_repr(prefix)}"
        )

    def to_end_with(self, suffix: Any) -> Expectation:
        ok = _seq_ends(self.value, suffix)
        return self._check(ok, "to_end_with", suffix, describe=f"to end with {short_repr(suffix)}")

    def to_match(self, pattern: str | re.Pattern[str]) -> Expectation:
        """``re.search(pattern, value)`` finds a match."""
        if not isinstance(self.value, (str, bytes)):
            raise TypeError(f"to_match needs a string, got {type(self.value).__name__}")
        ok = re.search(pattern, self.value) is not None
        shown = pattern.pattern if isinstance(pattern, re.Pattern) else pattern
        return self._check(ok, "to_match", shown, describe=f"to match /{shown}/")

    # -- exceptions --------------------------------------------------------------
    def to_raise(self, exc_type: Any = Exception, match: str | None = None) -> RaisesInfo:
        """Call the value (a zero-argument callable) and expect it to raise.

        Returns what was caught (``.value``). Negated, fails only when
        ``exc_type`` is raised; other exceptions propagate.
        """
        __tracebackhide__ = True
        if not callable(self.value):
            raise TypeError(f"to_raise needs a callable, got {short_repr(self.value)}")
        _check_exc_type(exc_type)
        info = RaisesInfo()
        name = getattr(self.value, "__name__", short_repr(self.value))
        try:
            self.value()
        except exc_type as e:
            info.value = e
            if self._negated:
                if match is None or re.search(match, str(e)):
                    raise ExpectationFailed(
                        f"expected {name}() not to raise {_exc_name(exc_type)}, it raised {type(e).__name__}: {e}"
                    ) from e
                return info
            if match is not None and not re.search(match, str(e)):
                raise ExpectationFailed(
                    f"{name}() raised {type(e).__name__} but its message does not match\n"
                    f"Pattern: {match!r}\nMessage: {str(e)!r}"
                ) from e
            return info
        if not self._negated:
            raise ExpectationFailed(
                f"expected {name}() to raise {_exc_name(exc_type)}, it returned normally"
            )
        return info


def _keys(value: Any) -> list[Any]:
    try:
        return list(value.keys())
    except Exception:
        return []


def _seq_starts(value: Any, prefix: Any) -> bool:
    if isinstance(value, (str, bytes)):
        return value.startswith(prefix)
    seq, pre = list(value), list(prefix)
    return seq[: len(pre)] == pre


def _seq_ends(value: Any, suffix: Any) -> bool:
    if isinstance(value, (str, bytes)):
        return value.endswith(suffix)
    seq, suf = list(value), list(suffix)
    return not suf or seq[-len(suf) :] == suf


class _Expect:
    """The ``expect`` callable, with ``expect.raises`` as a context manager."""

    def __call__(self, value: Any) -> Expectation:
        return Expectation(value)

    @staticmethod
    def raises(exc_type: Any, match: str | None = None) -> RaisesContext:
        """``with expect.raises(KeyError, match="id"): ...``"""
        return RaisesContext(exc_type, match)


expect = _Expect()
__all__ = ["expect", "Expectation", "ExpectationFailed", "RaisesContext", "RaisesInfo"]
