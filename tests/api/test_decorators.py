"""Decorators record marks; parametrize ids follow the documented rule."""

from __future__ import annotations

import pytest

from dbtest import TestSuite, fixture, parametrize, skip, skip_if, xfail
from dbtest import test as mark_test
from dbtest.api.marks import get_marks
from dbtest.api.parametrize import expand


def test_test_bare_and_called():
    @mark_test
    def a():
        pass

    @mark_test(tags=["db", "slow"], timeout=2, retries=1, skip="later", name="A title")
    def b():
        pass

    assert get_marks(a).is_test
    m = get_marks(b)
    assert (m.tags, m.timeout, m.retries, m.skip, m.title) == (
        ["db", "slow"],
        2.0,
        1,
        "later",
        "A title",
    )


@pytest.mark.parametrize(
    "kwargs, error",
    [({"tags": "db"}, TypeError), ({"timeout": -1}, ValueError), ({"retries": -1}, ValueError)],
)
def test_test_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        mark_test(**kwargs)


def test_skip_variants():
    @skip
    def a():
        pass

    @skip("why")
    def b():
        pass

    @skip_if(True, "cond")
    def c():
        pass

    assert get_marks(a).skip == "skipped" and get_marks(b).skip == "why"
    assert get_marks(c).skip_ifs == [(True, "cond")]


def test_xfail_variants():
    @xfail
    def a():
        pass

    @xfail("r", raises=KeyError, strict=True)
    def b():
        pass

    assert get_marks(a).xfail.reason == ""
    x = get_marks(b).xfail
    assert (x.reason, x.raises, x.strict) == ("r", KeyError, True)


def ids_of(fn):
    return [pid for pid, _ in expand(get_marks(fn))]


def test_parametrize_ids():
    @parametrize("a, b", [(1, "x"), (2.5, None), (True, object())])
    def f(a, b):
        pass

    assert ids_of(f) == ["1-x", "2.5-None", "True-b2"]

    @parametrize("n", [1, 2])
    @parametrize(["s"], ["u", "v"])
    def g(n, s):
        pass

    assert ids_of(g) == ["u-1", "u-2", "v-1", "v-2"]
    assert expand(get_marks(g))[1][1] == {"s": "u", "n": 2}

    @parametrize("v", [1, 2, 3], ids=["a", None, "c"])
    def h(v):
        pass

    assert ids_of(h) == ["a", "2", "c"]

    @parametrize("v", [{"k": 1}, {"k": 2}], ids=lambda v: f"k{v['k']}")
    def i(v):
        pass

    assert ids_of(i) == ["k1", "k2"]

    @parametrize("v", ["a", "a", "b"])
    def j(v):
        pass

    assert ids_of(j) == ["a0", "a1", "b"]


@pytest.mark.parametrize(
    "args, message",
    [
        (("a, b", [(1,)]), "case 0 must be a tuple of 2 values"),
        (("", [1]), "no argument names"),
        (("a-b", [1]), "not a valid argument name"),
        (("a", [1, 2], ["x"]), "1 ids for 2 cases"),
    ],
)
def test_parametrize_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        parametrize(*args)


def test_fixture_decorator():
    from dbtest.api.fixtures import get_fixture

    @fixture
    def a():
        return 1

    @fixture(scope="module", name="b_name")
    def b(a):
        return a

    assert get_fixture(a).scope == "test"
    assert (get_fixture(b).scope, get_fixture(b).name, get_fixture(b).needs) == (
        "module",
        "b_name",
        ["a"],
    )
    with pytest.raises(ValueError, match="scope must be one of"):
        fixture(scope="global")


def test_suite_defaults():
    class S(TestSuite):
        pass

    s = S()
    assert s.setup_suite() is None and s.teardown() is None
    assert S.tags == [] and S.concurrency == 1
