"""The fast parameter reader agrees with inspect.signature on every kind."""

from __future__ import annotations

import functools
import inspect

import pytest

from dbtest.execution.fixtures import _required_params, fixture_names


def reference(f):
    return tuple(
        p.name
        for p in inspect.signature(f).parameters.values()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.default is p.empty
    )


def deco(f):
    @functools.wraps(f)
    def wrapper(*a, **k):
        return f(*a, **k)

    return wrapper


@deco
def wrapped(db, cache=None):
    pass


async def coroutine(x, y=2, *, z):
    pass


class Suite:
    def method(self, a, b=3):
        pass


CASES = [
    lambda: 0,
    lambda a: 0,
    lambda a, b=1: 0,
    lambda a, /, b, *, c, d=2: 0,
    lambda *args, x, **kw: 0,
    lambda a=1, *, b: 0,
    wrapped,
    coroutine,
    Suite.method,
    functools.partial(lambda a, b: 0, 1),
]


@pytest.mark.parametrize("func", CASES)
def test_same_as_inspect(func):
    _required_params.cache_clear()
    assert _required_params(func) == reference(func)


def test_bound_methods_drop_self():
    assert fixture_names(Suite().method, set()) == ["a"]
    assert fixture_names(coroutine, {"x"}) == ["z"]
