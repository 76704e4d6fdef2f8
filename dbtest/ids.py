"""The test-id grammar, for the code that must stay in Python (the worker,
the executor, the TUI): the twin of the engine's ``rust_core/engine/src/
ids.rs``, function for function; ``tests/execution/test_ids.py`` checks the
two give the same answers. Nothing else in ``dbtest/`` splits an id by hand.

::

    id = path ( "::" name )* [ "[" params "]" ]

The path is everything before the first ``::``; the names (suites, then the
test) hold neither ``::`` nor ``[``; ``params``, the case id, runs from the
first ``[`` after the path to the final ``]`` and may itself hold ``::``,
``[`` and ``]``. An id also names everything under it (:func:`is_under`).
"""

from __future__ import annotations

SEP = "::"

# `split` returns a plain tuple, not a NamedTuple: this module is imported on
# every start-up (`dbtest list` included) and `typing` alone costs ~12 ms.
Parts = tuple[str, list[str], str | None]


def split_path(test_id: str) -> tuple[str, str | None]:
    """The path, and the rest after its ``::`` (None for a path alone)."""
    path, sep, rest = test_id.partition(SEP)
    return (path, rest) if sep else (test_id, None)


def path_of(test_id: str) -> str:
    """The file of an id: ``tests/a.py`` of ``tests/a.py::S::t[1]``."""
    return split_path(test_id)[0]


def local(test_id: str) -> str:
    """The id without its path: ``S::t[1]`` (empty for a path alone)."""
    return split_path(test_id)[1] or ""


def split_params(test_id: str) -> tuple[str, str | None]:
    """The id without its case, and the case: ``("a.py::t", "1")``."""
    path, rest = split_path(test_id)
    if rest is None:
        return test_id, None
    i = rest.find("[")
    if i < 0 or not rest.endswith("]"):
        return test_id, None
    at = len(path) + len(SEP) + i
    return test_id[:at], test_id[at + 1 : -1]


def base(test_id: str) -> str:
    """The id without its case: ``a.py::t`` of ``a.py::t[1]``."""
    return split_params(test_id)[0]


def params(test_id: str) -> str | None:
    """The case id, without brackets: ``1`` of ``a.py::t[1]``."""
    return split_params(test_id)[1]


def names(test_id: str) -> list[str]:
    """The names between the path and the case: ``["S", "t"]``."""
    rest = local(base(test_id))
    return rest.split(SEP) if rest else []


def split(test_id: str) -> Parts:
    """The id taken apart; :func:`join` puts it back together."""
    return path_of(test_id), names(test_id), params(test_id)


def join(path: str, names: list[str] | tuple[str, ...] = (), params: str | None = None) -> str:
    """The id of ``path``, its names and its case."""
    test_id = SEP.join([path, *names])
    return test_id if params is None else with_params(test_id, params)


def with_params(base: str, params: str) -> str:
    """``base[params]``."""
    return f"{base}[{params}]"


def child(scope: str, name: str) -> str:
    """``scope::name``: a suite of a file, a test of a suite."""
    return f"{scope}{SEP}{name}"


def parent(test_id: str) -> str | None:
    """What the id lies in: a case's test, a test's suite, a suite's file;
    None for a file."""
    b, p = split_params(test_id)
    if p is not None:
        return b
    head, sep, _ = b.rpartition(SEP)
    return head if sep else None


def leaf(test_id: str) -> str:
    """The last name with its case, as pytest names an item: ``t[1]`` of
    ``a.py::S::t[1]`` (the path, for a path alone)."""
    i = base(test_id).rfind(SEP)
    return test_id if i < 0 else test_id[i + len(SEP) :]


def relative(test_id: str, scope: str) -> str | None:
    """The id relative to ``scope`` when it lies under it by name: ``S::t``
    of ``a.py::S::t`` under ``a.py``."""
    prefix = scope + SEP
    return test_id[len(prefix) :] if test_id.startswith(prefix) else None


def case_of(test_id: str, base: str) -> str | None:
    """The case of ``test_id`` when it is ``base[case]``."""
    if test_id.startswith(base + "[") and test_id.endswith("]") and len(test_id) > len(base) + 1:
        return test_id[len(base) + 1 : -1]
    return None


def is_under(test_id: str, prefix: str) -> bool:
    """Whether ``test_id`` is ``prefix`` or lies under it (``prefix::...``,
    ``prefix[...]``): what selecting ``prefix`` selects."""
    return test_id == prefix or test_id.startswith((prefix + SEP, prefix + "["))


def extends_case(test_id: str, requested: str) -> bool:
    """A case the parse listed, multiplied at import by parametrized
    fixtures or a class's cases: ``t[1]`` stands for ``t[sqlite-1]`` and
    ``t[1-x]``."""
    b, case = split_params(requested)
    if case is None:
        return False
    got = case_of(test_id, b)
    return got is not None and len(got) > len(case) and f"-{case}-" in f"-{got}-"


def tails(test_id: str) -> list[str]:
    """The id and each of its tails from a name on: ``a.py::S::t``,
    ``S::t``, ``t`` (never one starting inside the case)."""
    head = base(test_id)
    out = [test_id]
    i = head.find(SEP)
    while i >= 0:
        out.append(test_id[i + len(SEP) :])
        i = head.find(SEP, i + len(SEP))
    return out
