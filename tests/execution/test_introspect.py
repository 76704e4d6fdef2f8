"""Assertion introspection: sub-expression values of a failed bare assert."""

from __future__ import annotations

import pytest

from tests.execution.helpers import records, run

P = "test_outcomes.py"


@pytest.fixture(scope="module")
def recs():
    names = [
        "test_fail_compare",
        "test_fail_len",
        "test_fail_call_not_reevaluated",
        "test_fail_side_effect_call",
    ]
    return records(run("api_outcomes", P, [f"{P}::{n}" for n in names]))


def test_compare_shows_both_sides_and_diff(recs):
    msg = recs[f"{P}::test_fail_compare"]["message"]
    assert msg.splitlines()[0] == "assert a == b"
    assert "where a = [1, 2, 3]" in msg
    assert "where b = [1, 2, 4]" in msg
    assert "first difference at index 2: expected 4, got 3" in msg


def test_pure_builtin_calls_are_evaluated(recs):
    msg = recs[f"{P}::test_fail_len"]["message"]
    assert "where len(items) = 1" in msg
    assert "where items = {'x': 1}" in msg


def test_user_calls_are_not_rerun(recs):
    msg = recs[f"{P}::test_fail_call_not_reevaluated"]["message"]
    assert "bump() was not re-evaluated" in msg
    msg = recs[f"{P}::test_fail_side_effect_call"]["message"]
    assert "bump(value) was not re-evaluated" in msg
    assert "where value = 3" in msg


def test_boolop_operands():
    recs = records(
        run("api_outcomes", P, [f"{P}::test_fail_boolop", f"{P}::test_fail_with_message"])
    )
    msg = recs[f"{P}::test_fail_boolop"]["message"]
    assert msg.splitlines()[0] == "assert user.age < limit and (not user.name)"
    assert "where user.age < limit = False" in msg
    assert "where not user.name = False" in msg
    assert recs[f"{P}::test_fail_with_message"]["message"] == "custom message"
