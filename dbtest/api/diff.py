"""Readable differences between two values, for failure messages."""

from __future__ import annotations

import difflib
import pprint
import reprlib
from typing import Any

_repr = reprlib.Repr()
_repr.maxstring = 240
_repr.maxother = 240
_repr.maxlist = _repr.maxtuple = _repr.maxset = _repr.maxdict = 30


def short_repr(value: Any) -> str:
    """A bounded ``repr`` that never raises."""
    try:
        return _repr.repr(value)
    except Exception as e:  # a broken __repr__ must not hide the real failure
        return f"<repr of {type(value).__name__} failed: {e!r}>"


def _lines(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.splitlines() or [""]
    try:
        return pprint.pformat(value, width=80, sort_dicts=True).splitlines()
    except Exception:
        return [short_repr(value)]


def _unified(expected: Any, actual: Any) -> str:
    lines = difflib.unified_diff(
        _lines(expected), _lines(actual), "expected", "actual", lineterm="", n=3
    )
    return "\n".join(lines)


def _is_long(value: Any) -> bool:
    if isinstance(value, str):
        return len(value) > 40 or "\n" in value
    return len(short_repr(value)) > 60


def diff(expected: Any, actual: Any) -> str | None:
    """A diff when it helps (long strings, lists, tuples, dicts, sets), else None."""
    try:
        if isinstance(expected, (set, frozenset)) and isinstance(actual, (set, frozenset)):
            missing = expected - actual
            extra = actual - expected
            parts = []
            if missing:
                parts.append(f"missing from actual: {short_repr(_sorted(missing))}")
            if extra:
                parts.append(f"unexpected in actual: {short_repr(_sorted(extra))}")
            return "\n".join(parts) or None
        if isinstance(expected, dict) and isinstance(actual, dict):
            parts = []
            missing = [k for k in expected if k not in actual]
            extra = [k for k in actual if k not in expected]
            changed = [k for k in expected if k in actual and expected[k] != actual[k]]
            if missing:
                parts.append(f"missing keys: {short_repr(missing)}")
            if extra:
                parts.append(f"unexpected keys: {short_repr(extra)}")
            for k in changed[:20]:
                parts.append(
                    f"key {short_repr(k)}: expected {short_repr(expected[k])}, got {short_repr(actual[k])}"
                )
            if _is_long(expected) or _is_long(actual):
                parts.append(_unified(expected, actual))
            return "\n".join(p for p in parts if p) or None
        if isinstance(expected, str) and isinstance(actual, str):
            if not (_is_long(expected) or _is_long(actual)):
                return None
            if "\n" not in expected and "\n" not in actual:
                return _char_diff(expected, actual)
            return _unified(expected, actual)
        if isinstance(expected, (list, tuple)) and isinstance(actual, (list, tuple)):
            parts = []
            if len(expected) != len(actual):
                parts.append(f"lengths differ: expected {len(expected)}, got {len(actual)}")
            for i, (e, a) in enumerate(zip(expected, actual, strict=False)):
                if e != a:
                    parts.append(
                        f"first difference at index {i}: expected {short_repr(e)}, got {short_repr(a)}"
                    )
                    break
            if _is_long(expected) or _is_long(actual):
                parts.append(_unified(expected, actual))
            return "\n".join(p for p in parts if p) or None
    except Exception:
        return None
    return None


def _sorted(values: Any) -> list[Any]:
    try:
        return sorted(values)
    except TypeError:
        return list(values)


def _char_diff(expected: str, actual: str) -> str:
    """Mark where two long one-line strings part."""
    i = 0
    for i, (a, b) in enumerate(zip(expected, actual, strict=False)):  # noqa: B007
        if a != b:
            break
    else:
        i = min(len(expected), len(actual))
    start = max(0, i - 20)
    e_part = expected[start : i + 40]
    a_part = actual[start : i + 40]
    lead = "..." if start else ""
    return (
        f"strings differ at index {i}:\n"
        f"  expected: {lead}{e_part!r}\n"
        f"  actual:   {lead}{a_part!r}\n"
        f"  {' ' * (len(lead) + 10 + len(repr(e_part[: i - start])) - 1)}^"
    )
