"""``@parametrize``: each case becomes its own test with its own id.

Id rule (the static parser in Rust produces the same ids for literal values):

- one value: ``str`` as is; ``int``, ``float``, ``bool``, ``None`` and
  ``complex`` as ``str(value)``; any other object ``<argname><index>`` where
  index is the case's position in that decorator's list (0-based);
- a case of several values joins the value ids with ``-``;
- ``ids=[...]`` replaces the generated id of each case (``None`` entries keep
  the generated one); ``ids=callable`` is called with each value and may return
  ``None`` to keep the generated id;
- stacked decorators give the cartesian product; the id joins each
  decorator's case id with ``-``, bottom-most decorator first, and the
  bottom-most decorator varies slowest (as in pytest);
- duplicate ids in one test get a suffix: ``a0``, ``a1``, ...
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from dbtest.api.marks import ParamSet, TestMarks, ensure_marks

F = TypeVar("F", bound=Callable[..., Any])

_PLAIN = (int, float, bool, complex, type(None))


def _value_id(value: Any, argname: str, index: int) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, _PLAIN):
        return str(value)
    return f"{argname}{index}"


def parse_argnames(argnames: str | Sequence[str]) -> list[str]:
    """``"a, b"`` or ``["a", "b"]`` -> ``["a", "b"]``."""
    if isinstance(argnames, str):
        names = [n.strip() for n in argnames.split(",") if n.strip()]
    else:
        names = [str(n).strip() for n in argnames]
    if not names:
        raise ValueError("parametrize: no argument names given")
    for n in names:
        if not n.isidentifier():
            raise ValueError(f"parametrize: {n!r} is not a valid argument name")
    return names


def parametrize(
    argnames: str | Sequence[str],
    argvalues: Iterable[Any],
    ids: Sequence[str | None] | Callable[[Any], str | None] | None = None,
) -> Callable[[F], F]:
    """Run the test once per case: ``@parametrize("a, b", [(1, 2), (3, 4)])``.

    With a single name, each value is one case (``@parametrize("n", [1, 2])``).
    """
    names = parse_argnames(argnames)
    cases: list[tuple[Any, ...]] = []
    for i, value in enumerate(list(argvalues)):
        if len(names) == 1:
            cases.append((value,))
            continue
        if not isinstance(value, (tuple, list)) or len(value) != len(names):
            raise ValueError(
                f"parametrize: case {i} must be a tuple of {len(names)} values "
                f"for {', '.join(names)}, got {value!r}"
            )
        cases.append(tuple(value))
    if ids is not None and not callable(ids):
        ids = list(ids)
        if len(ids) != len(cases):
            raise ValueError(f"parametrize: {len(ids)} ids for {len(cases)} cases")
    case_ids: list[str] = []
    for i, case in enumerate(cases):
        given: str | None = None
        if callable(ids):
            given = ids(case[0] if len(case) == 1 else case)
        elif ids is not None:
            given = ids[i]
        if given is not None:
            case_ids.append(str(given))
        else:
            case_ids.append("-".join(_value_id(v, n, i) for v, n in zip(case, names, strict=False)))

    def apply(fn: F) -> F:
        ensure_marks(fn).params.append(ParamSet(names, cases, case_ids))
        return fn

    return apply


def expand(marks: TestMarks | None) -> list[tuple[str | None, dict[str, Any]]]:
    """All cases of a test: ``[(params_id, kwargs)]``; ``[(None, {})]`` when not parametrized."""
    return [(pid, kwargs) for pid, kwargs, _ in expand_cases(marks)]


def expand_cases(
    marks: TestMarks | None,
) -> list[tuple[str | None, dict[str, Any], list[TestMarks]]]:
    """As ``expand``, with the marks of each case (``pytest.param(marks=)``)."""
    if marks is None or not marks.params:
        return [(None, {}, [])]
    out: list[tuple[str | None, dict[str, Any], list[TestMarks]]] = []
    sets = marks.params
    # The bottom-most decorator varies slowest: it is the outer loop.
    for combo in itertools.product(*(range(len(s.cases)) for s in sets)):
        kwargs: dict[str, Any] = {}
        parts = []
        case_marks: list[TestMarks] = []
        for s, i in zip(sets, combo, strict=False):
            kwargs.update(zip(s.argnames, s.cases[i], strict=False))
            parts.append(s.ids[i])
            if s.case_marks and s.case_marks[i] is not None:
                case_marks.append(s.case_marks[i])  # type: ignore[arg-type]
        out.append(("-".join(parts), kwargs, case_marks))
    # Duplicate ids get a positional suffix so every case stays addressable.
    counts: dict[str, int] = {}
    for pid, _, _ in out:
        counts[pid] = counts.get(pid, 0) + 1  # type: ignore[index]
    seen: dict[str, int] = {}
    result = []
    for pid, kwargs, cm in out:
        assert pid is not None
        if counts[pid] > 1:
            n = seen.get(pid, 0)
            seen[pid] = n + 1
            pid = f"{pid}{n}"
        result.append((pid, kwargs, cm))
    return result
