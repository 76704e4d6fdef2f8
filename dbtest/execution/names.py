"""Which classes and functions of an imported module are tests: pytest's
``python_classes`` and ``python_functions``.

The engine reads them from the project's pytest configuration and hands them
to the worker in each ``run`` request (``names``, absent when they are
pytest's defaults); the matching is the engine's own
(``rust_core/engine/src/config/names.rs``, through ``_core.NameRule``), so
what runs after import is what the static parse listed.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol


class Rule(Protocol):
    """A name rule: whether a name is a test's name."""

    def __call__(self, name: str) -> bool: ...


class Names(NamedTuple):
    """The two rules of one run."""

    is_class: Rule
    is_function: Rule


_cache: dict[tuple[tuple[str, ...], tuple[str, ...]] | None, Names] = {}


def of(spec: dict[str, Any] | None) -> Names:
    """The rules a request's ``names`` gives (None: pytest's defaults)."""
    key = None if spec is None else (tuple(spec["classes"]), tuple(spec["functions"]))
    found = _cache.get(key)
    if found is None:
        from dbtest._core import NameRule

        if key is None:
            found = Names(NameRule.default("classes"), NameRule.default("functions"))
        else:
            found = Names(NameRule(list(key[0])), NameRule(list(key[1])))
        _cache[key] = found
    return found
