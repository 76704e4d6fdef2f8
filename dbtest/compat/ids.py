"""pytest's parametrize ids, so that a test keeps its id under dbtest.

One id per case of one ``parametrize`` mark: the user's ``ids=`` entry, else
one token per value (strings and bytes ASCII-escaped; numbers, booleans and
``None`` as ``str``; a compiled pattern by its pattern; an enum member as
``str``; anything with a ``__name__`` — a class, a function, a module — by
that name; anything else ``<argname><index>``) joined with ``-``; duplicates
within the mark get a counter (``a0``, ``a1``; ``1_0`` after a digit).
Stacked marks join their ids with ``-``, the mark nearest the function first.
"""

from __future__ import annotations

import enum
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from typing import Any


def ascii_escaped(val: str | bytes) -> str:
    """As pytest writes a string in an id: non-ASCII and non-printable
    characters escaped."""
    if isinstance(val, bytes):
        text = val.decode("ascii", "backslashreplace")
    else:
        text = val.encode("unicode_escape").decode("ascii")
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


def value_id(val: Any, argname: str, index: int) -> str:
    """The token of one value (``argname`` and ``index`` for the fallback)."""
    if isinstance(val, (str, bytes)):
        return ascii_escaped(val)
    if val is None or isinstance(val, (float, int, bool, complex)):
        return str(val)
    if isinstance(val, re.Pattern):
        return ascii_escaped(val.pattern)
    if isinstance(val, enum.Enum):
        return str(val)
    name = getattr(val, "__name__", None)
    if isinstance(name, str):
        return name
    return f"{argname}{index}"


def case_ids(
    argnames: Sequence[str],
    cases: Sequence[tuple[Any, ...]],
    ids: Sequence[Any] | Callable[[Any], Any] | None,
    given: Sequence[str | None],
) -> list[str]:
    """The ids of one mark's cases; ``given`` are ``pytest.param(id=)`` ids."""
    out = []
    for i, case in enumerate(cases):
        chosen = given[i] if i < len(given) else None
        if chosen is None and ids is not None and not callable(ids) and i < len(ids):
            chosen = ids[i]
        if chosen is not None:
            out.append(ascii_escaped(str(chosen)))
            continue
        parts = []
        for value, name in zip(case, argnames, strict=False):
            token = ids(value) if callable(ids) else None
            parts.append(
                ascii_escaped(str(token)) if token is not None else value_id(value, name, i)
            )
        out.append("-".join(parts))
    return unique(out)


def unique(ids: list[str]) -> list[str]:
    """pytest's counter suffix for ids that are not unique."""
    counts = Counter(ids)
    if all(n == 1 for n in counts.values()):
        return ids
    taken = set(ids)
    suffixes: dict[str, int] = defaultdict(int)
    out = []
    for id_ in ids:
        if counts[id_] > 1:
            sep = "_" if id_ and id_[-1].isdigit() else ""
            new = f"{id_}{sep}{suffixes[id_]}"
            while new in taken:
                suffixes[id_] += 1
                new = f"{id_}{sep}{suffixes[id_]}"
            suffixes[id_] += 1
            taken.add(new)
            out.append(new)
        else:
            out.append(id_)
    return out
