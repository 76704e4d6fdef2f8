"""``pytest.mark.*`` read from what the decorators leave behind.

``@pytest.mark.X(...)`` appends a ``Mark`` (``name``, ``args``, ``kwargs``)
to the function's ``pytestmark`` list; a class or a module may carry
``pytestmark`` too. They become dbtest's ``TestMarks``: ``skip``,
``skipif`` (bool or string conditions, evaluated as pytest does, in the
test module's namespace with ``os``, ``sys`` and ``platform``), ``xfail``
(``condition``, ``reason``, ``raises``, ``strict``, ``run=False``),
``parametrize`` (stacked, ``pytest.param(..., id=, marks=)``, ``ids=`` list
or callable, with pytest's ids), ``usefixtures``, ``filterwarnings``,
``timeout`` (pytest-timeout's), and any other mark as a tag, so that
``--tags slow``, ``-E 'tag(slow)'`` and ``-m slow`` select ``@pytest.mark.slow``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from dbtest.api.marks import ParamSet, TestMarks, XFail
from dbtest.api.parametrize import parse_argnames
from dbtest.compat import ids as pid
from dbtest.compat import settings

# Marks with a meaning of their own; any other is a tag.
_KNOWN = {"skip", "skipif", "xfail", "parametrize", "usefixtures", "filterwarnings", "timeout"}


class MarkError(Exception):
    """A mark with arguments pytest would refuse: the test is an error."""


def marks_on(obj: Any, own_only: bool = False) -> list[Any]:
    """The ``Mark`` objects on ``obj`` (a function, a class, a module), in
    the order pytest applies them: the decorator nearest the function first."""
    raw = obj.__dict__.get("pytestmark") if own_only else getattr(obj, "pytestmark", None)
    if raw is None:
        return []
    items = raw if isinstance(raw, (list, tuple)) else [raw]
    out = []
    for m in items:
        m = getattr(m, "mark", m)  # a MarkDecorator holds its Mark
        if isinstance(getattr(m, "name", None), str) and hasattr(m, "args"):
            out.append(m)
    return out


def _condition(cond: Any, namespace: dict[str, Any], what: str) -> bool:
    if isinstance(cond, str):
        import platform  # only for a string condition: 2 ms of a worker's start

        env = {"os": os, "sys": sys, "platform": platform, **namespace}
        try:
            return bool(eval(cond, env))  # noqa: S307 - pytest's own rule for string conditions
        except Exception as e:
            raise MarkError(
                f"{what}: error evaluating condition {cond!r}: {type(e).__name__}: {e}"
            ) from None
    return bool(cond)


def _param_parts(value: Any) -> tuple[Any, list[Any], str | None] | None:
    """``pytest.param(*values, marks=..., id=...)``: (values, marks, id)."""
    if type(value).__name__ != "ParameterSet" or not hasattr(value, "values"):
        return None
    marks = value.marks if isinstance(value.marks, (list, tuple)) else [value.marks]
    return tuple(value.values), [getattr(m, "mark", m) for m in marks if m is not None], value.id


def translate(marks: list[Any], namespace: dict[str, Any]) -> TestMarks | None:
    """The ``TestMarks`` these pytest marks mean (None when there are none)."""
    if not marks:
        return None
    out = TestMarks()
    for m in marks:
        name, args, kwargs = m.name, tuple(m.args), dict(m.kwargs)
        if name == "skip":
            reason = kwargs.get("reason", args[0] if args else "unconditional skip")
            out.skip = out.skip or str(reason)
        elif name == "skipif":
            conditions = args or ((kwargs["condition"],) if "condition" in kwargs else ())
            if any(_condition(c, namespace, "skipif") for c in conditions):
                reason = kwargs.get("reason") or f"condition: {conditions[0]}"
                out.skip = out.skip or str(reason)
        elif name == "xfail":
            conditions = args or ((kwargs["condition"],) if "condition" in kwargs else ())
            if conditions and not any(_condition(c, namespace, "xfail") for c in conditions):
                continue
            reason = str(kwargs.get("reason", ""))
            if not kwargs.get("run", True):
                out.skip = out.skip or f"[NOTRUN] {reason}".rstrip()
                out.notrun_xfail = True
                continue
            strict = bool(kwargs.get("strict", settings.XFAIL_STRICT))
            out.xfail = XFail(reason, kwargs.get("raises"), strict)
        elif name == "parametrize":
            out.params.append(_parametrize(args, kwargs, namespace))
        elif name == "usefixtures":
            out.usefixtures.extend(str(a) for a in args)
        elif name == "filterwarnings":
            out.filterwarnings.extend(str(a) for a in args)
        elif name == "timeout" and (args or "timeout" in kwargs):
            value = kwargs.get("timeout", args[0] if args else None)
            if isinstance(value, (int, float)) and value > 0:
                out.timeout = float(value)
        if name not in _KNOWN:
            out.tags.append(name)
    return out


def _parametrize(
    args: tuple[Any, ...], kwargs: dict[str, Any], namespace: dict[str, Any]
) -> ParamSet:
    if len(args) < 2 and "argvalues" not in kwargs:
        raise MarkError("parametrize: needs argnames and argvalues")
    argnames = parse_argnames(kwargs.get("argnames", args[0] if args else ""))
    argvalues = kwargs.get("argvalues", args[1] if len(args) > 1 else [])
    ids = kwargs.get("ids")
    indirect = kwargs.get("indirect", False)
    cases: list[tuple[Any, ...]] = []
    given: list[str | None] = []
    case_marks: list[TestMarks | None] = []
    for i, value in enumerate(list(argvalues)):
        parts = _param_parts(value)
        marks: list[Any] = []
        explicit = None
        if parts is not None:
            value, marks, explicit = parts
            case = tuple(value)
        elif len(argnames) == 1:
            case = (value,)
        else:
            if not isinstance(value, (tuple, list)) or len(value) != len(argnames):
                raise MarkError(
                    f"parametrize: case {i} must have {len(argnames)} values for "
                    f"{', '.join(argnames)}, got {value!r}"
                )
            case = tuple(value)
        if len(argnames) == 1 and parts is not None and len(case) != 1:
            case = (case,)
        cases.append(case)
        given.append(explicit)
        case_marks.append(translate(marks, namespace) if marks else None)
    if ids is not None and not callable(ids):
        ids = list(ids)
    names = pid.case_ids(argnames, cases, ids, given)
    ps = ParamSet(argnames, cases, names)
    ps.case_marks = case_marks
    if indirect:
        ps.indirect = set(argnames) if indirect is True else set(indirect)
    return ps
