"""Every matcher: passes, fails with a readable message, and negates."""

from __future__ import annotations

import re

import pytest

from dbtest import expect
from dbtest.api.expect import ExpectationFailed


def fails(fn, *fragments):
    with pytest.raises(ExpectationFailed) as info:
        fn()
    msg = str(info.value)
    for f in fragments:
        assert f in msg, msg
    return msg


CASES = [
    # (passing call, failing call, fragments of the failure message)
    (lambda: expect(1).to_equal(1), lambda: expect(1).to_equal(2), ["Expected: 2", "Actual:   1"]),
    (lambda: expect(None).to_be(None), lambda: expect([1]).to_be([1]), ["not the same object"]),
    (lambda: expect(True).to_be_true(), lambda: expect(1).to_be_true(), ["Expected: True", "Actual:   1"]),
    (lambda: expect(False).to_be_false(), lambda: expect(0).to_be_false(), ["Expected: False"]),
    (lambda: expect(None).to_be_none(), lambda: expect(0).to_be_none(), ["Expected: None"]),
    (lambda: expect(1).to_be_instance_of(int), lambda: expect("x").to_be_instance_of(int), ["an instance of int", "Type:     str"]),
    (lambda: expect(2).to_be_greater_than(1), lambda: expect(1).to_be_greater_than(1), ["Expected: > 1"]),
    (lambda: expect(1).to_be_greater_than_or_equal(1), lambda: expect(0).to_be_greater_than_or_equal(1), [">= 1"]),
    (lambda: expect(0).to_be_less_than(1), lambda: expect(1).to_be_less_than(1), ["Expected: < 1"]),
    (lambda: expect(1).to_be_less_than_or_equal(1), lambda: expect(2).to_be_less_than_or_equal(1), ["<= 1"]),
    (lambda: expect(5).to_be_between(1, 5), lambda: expect(6).to_be_between(1, 5), ["between 1 and 5 (inclusive)"]),
    (lambda: expect(0.1 + 0.2).to_be_close_to(0.3), lambda: expect(0.31).to_be_close_to(0.3, abs=0.001), ["Off by:   0.01"]),
    (lambda: expect([1, 2]).to_contain(2), lambda: expect([1, 2]).to_contain(3), ["to contain 3"]),
    (lambda: expect(2).to_be_in([1, 2]), lambda: expect(3).to_be_in([1, 2]), ["one of [1, 2]"]),
    (lambda: expect({"a": 1}).to_have_key("a"), lambda: expect({"a": 1}).to_have_key("b"), ["with key 'b'", "Keys:     ['a']"]),
    (lambda: expect({"a": 1, "b": 2}).to_have_keys("a", "b"), lambda: expect({"a": 1}).to_have_keys("a", "c"), ["Missing:  ['c']"]),
    (lambda: expect([1]).to_have_length(1), lambda: expect([1]).to_have_length(2), ["length 2", "Length:   1"]),
    (lambda: expect("").to_be_empty(), lambda: expect("ab").to_be_empty(), ["Length:   2"]),
    (lambda: expect("abc").to_start_with("ab"), lambda: expect("abc").to_start_with("b"), ["to start with 'b'"]),
    (lambda: expect([1, 2, 3]).to_end_with([2, 3]), lambda: expect([1, 2]).to_end_with([1]), ["to end with [1]"]),
    (lambda: expect("id-42").to_match(r"\d+"), lambda: expect("id").to_match(r"\d+"), ["to match /\\d+/"]),
]  # fmt: skip


@pytest.mark.parametrize("ok, bad, fragments", CASES)
def test_matcher(ok, bad, fragments):
    ok()
    fails(bad, *fragments)


def test_negation():
    expect(1).not_.to_equal(2)
    msg = fails(lambda: expect(1).not_.to_equal(1), "not_.to_equal(1)", "Expected: not 1")
    assert "Actual:   1" in msg
    fails(lambda: expect([1]).not_.to_contain(1), "Expected: not to contain 1")
    fails(lambda: expect(3).not_.to_be_between(1, 5), "not between 1 and 5")
    expect("abc").not_.to_match("x")


def test_long_string_diff():
    a = "line one\nline two\nline three\n"
    b = "line one\nline 2\nline three\n"
    msg = fails(
        lambda: expect(a).to_equal(b), "Diff (- expected, + actual):", "-line 2", "+line two"
    )
    assert "--- expected" in msg


def test_long_single_line_string_marks_position():
    msg = fails(
        lambda: expect("a" * 50 + "b").to_equal("a" * 50 + "c"), "strings differ at index 50"
    )
    lines = msg.splitlines()
    caret = lines[-1].index("^")
    assert lines[-3][caret] == "c" and lines[-2][caret] == "b"


def test_list_dict_set_diffs():
    fails(lambda: expect(list(range(30))).to_equal(list(range(29)) + [99]),
          "first difference at index 29: expected 99, got 29", "--- expected")  # fmt: skip
    fails(lambda: expect([1, 2]).to_equal([1, 2, 3]), "lengths differ: expected 3, got 2")
    fails(lambda: expect({"a": 1, "b": 2}).to_equal({"a": 1, "b": 3, "c": 4}),
          "missing keys: ['c']", "key 'b': expected 3, got 2")  # fmt: skip
    fails(lambda: expect({1, 2, 5}).to_equal({1, 2, 3}),
          "missing from actual: [3]", "unexpected in actual: [5]")  # fmt: skip


def test_to_raise_on_callable():
    def boom():
        raise ValueError("bad id 7")

    info = expect(boom).to_raise(ValueError, match=r"id \d")
    assert isinstance(info.value, ValueError)
    fails(
        lambda: expect(lambda: None).to_raise(ValueError),
        "to raise ValueError, it returned normally",
    )
    fails(
        lambda: expect(boom).to_raise(ValueError, match="^nope"),
        "does not match",
        "Pattern: '^nope'",
    )
    fails(lambda: expect(boom).not_.to_raise(ValueError), "not to raise ValueError")
    expect(lambda: None).not_.to_raise(ValueError)
    with pytest.raises(ValueError):  # other exceptions propagate untouched
        expect(boom).to_raise(KeyError)


def test_raises_context_manager():
    with expect.raises(KeyError, match="k") as info:
        {}["k"]
    assert isinstance(info.value, KeyError)
    with pytest.raises(ExpectationFailed, match="nothing was raised"):
        with expect.raises(KeyError):
            pass
    with pytest.raises(TypeError):
        with expect.raises(KeyError):
            raise TypeError("other")
    with pytest.raises(TypeError, match="exception type"):
        expect.raises(42)


async def _araise():
    raise ValueError("x")


def test_raises_async_context_manager():
    import asyncio

    async def main():
        async with expect.raises(ValueError) as info:
            await _araise()
        return info

    assert isinstance(asyncio.run(main()).value, ValueError)


def test_failure_is_an_assertion_error():
    assert issubclass(ExpectationFailed, AssertionError)
    assert re.search("to_equal", fails(lambda: expect(1).to_equal(2)))
