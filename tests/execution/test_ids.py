"""``dbtest/ids.py`` against the engine's ``ids.rs``: the same answers for
the same ids, tricky ones written out and random strings made of the
grammar's own characters."""

from __future__ import annotations

import itertools
import random

import pytest

from dbtest import ids as id_grammar
from dbtest._core import _testing

TRICKY = [
    "",
    "a.py",
    "a.py::",
    "a.py::t",
    "tests/sub/test_x.py::Suite::test_y[1]",
    "a.py::Outer::Inner::t",
    "a.py::Outer::Inner::t[x-y]",
    # A case id may hold the grammar's own separators.
    "a.py::S::t[x::y]",
    "a.py::t[a[0]]",
    "a.py::t[a]b]",
    "a.py::t[]",
    "a.py::t[[]",
    "a.py::t[]]",
    "a.py::t[1",
    "a.py::t]",
    "a.py:::t",
    "a.py::S::::t",
    # Doctests, text-file doctests, load_tests cases, unittest subtests.
    "pkg/m.py::pkg.m.C.f",
    "docs/d.txt::d.txt",
    "t.py::load_tests::t.C.test_x",
    "t.py::C::test_x[i=1]",
    # Benchmark entries; a bracket or `::` in the path is the path's.
    "b.py::group::entry[n=10]",
    "a[1].py",
    "a[1].py::t[2]",
    "dir::x/a.py::t",
    "a.py::tést[µ]",
]

ALPHABET = ["a", "b", ".", "/", ":", "::", "[", "]", "-", " "]


def _random_ids(n: int) -> list[str]:
    rng = random.Random(14)
    return ["".join(rng.choices(ALPHABET, k=rng.randint(0, 12))) for _ in range(n)]


IDS = TRICKY + _random_ids(1500)


@pytest.mark.parametrize("test_id", [i for i in TRICKY if not i.endswith("::")])
def test_split_joins_back(test_id: str) -> None:
    assert id_grammar.join(*id_grammar.split(test_id)) == test_id


def test_one_id_at_a_time_the_same_as_the_engine() -> None:
    for i in IDS:
        got = (
            tuple(id_grammar.split(i)),
            id_grammar.parent(i),
            id_grammar.leaf(i),
            id_grammar.local(i),
            id_grammar.tails(i),
        )
        want = (
            _testing.id_split(i),
            _testing.id_parent(i),
            _testing.id_leaf(i),
            _testing.id_local(i),
            _testing.id_tails(i),
        )
        assert got == want, i
        path, names, params = id_grammar.split(i)
        assert id_grammar.join(path, names, params) == _testing.id_join(path, names, params)


def test_pairs_of_ids_the_same_as_the_engine() -> None:
    pool = TRICKY + _random_ids(120)
    for a, b in itertools.product(pool, repeat=2):
        got = (
            id_grammar.is_under(a, b),
            id_grammar.extends_case(a, b),
            id_grammar.relative(a, b),
            id_grammar.case_of(a, b),
        )
        want = (
            _testing.id_is_under(a, b),
            _testing.id_extends_case(a, b),
            _testing.id_relative(a, b),
            _testing.id_case_of(a, b),
        )
        assert got == want, (a, b)


def test_the_grammar_on_what_callers_rely_on() -> None:
    tid = "a.py::Outer::Inner::t[x::y]"
    assert id_grammar.split(tid) == ("a.py", ["Outer", "Inner", "t"], "x::y")
    chain = [tid]
    while (up := id_grammar.parent(chain[-1])) is not None:
        chain.append(up)
    assert chain == [tid, "a.py::Outer::Inner::t", "a.py::Outer::Inner", "a.py::Outer", "a.py"]
    assert id_grammar.leaf(tid) == "t[x::y]"
    assert id_grammar.is_under(tid, "a.py::Outer")
    assert not id_grammar.is_under("a.py::Outer2::t", "a.py::Outer")
    assert id_grammar.extends_case("t.py::t[sqlite-1]", "t.py::t[1]")
    assert not id_grammar.extends_case("t.py::t[11]", "t.py::t[1]")
    assert id_grammar.tails(tid) == [tid, "Outer::Inner::t[x::y]", "Inner::t[x::y]", "t[x::y]"]
