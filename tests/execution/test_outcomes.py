"""Every outcome, bad input, retries, timeouts and the record format, through the executor."""

from __future__ import annotations

import json
import os

import pytest

from tests.execution.helpers import records, run

P = "test_outcomes.py"
# On the wire, fields at their default (no output, one attempt...) are left
# out; the Rust side fills them in.
REQUIRED_KEYS = {"id", "outcome", "duration", "start", "path", "line"}
RECORD_KEYS = REQUIRED_KEYS | {
    "flaky", "strict", "attempts", "stdout", "stderr", "logs", "tags", "message",
    "traceback", "extra",
}  # fmt: skip


@pytest.fixture(scope="module")
def events():
    cwd = os.getcwd()
    evs = run("api_outcomes", P)
    assert os.getcwd() == cwd
    return evs


@pytest.fixture(scope="module")
def recs(events):
    return records(events)


def rec(recs, name):
    return recs[f"{P}::{name}"]


@pytest.mark.parametrize(
    "name, outcome",
    [
        ("test_pass", "passed"),
        ("test_fail_compare", "failed"),
        ("test_error", "error"),
        ("test_skipped", "skipped"),
        ("test_skip_if_true", "skipped"),
        ("test_skip_if_callable_false", "passed"),
        ("test_skip_at_runtime", "skipped"),
        ("test_xfailed", "xfailed"),
        ("test_xpassed", "xpassed"),
        ("test_xpassed_strict", "xpassed"),
        ("test_xfail_wrong_exception", "error"),
        ("test_timeout", "timeout"),
        ("test_flaky", "passed"),
        ("test_always_fails_with_retries", "failed"),
        ("test_sys_exit", "error"),
        ("test_keyboard_interrupt", "error"),
        ("test_system_exit", "error"),
        ("test_missing_fixture", "error"),
        ("test_fixture_cycle", "error"),
        ("test_broken_fixture", "error"),
        ("test_fixture_teardown_fails", "error"),
        ("test_expect_failure", "failed"),
        ("BrokenSetup::test_a", "error"),
        ("BrokenSetup::test_b", "error"),
        ("BrokenTeardown::test_ok", "passed"),
        ("BrokenTeardown::test_fails", "failed"),
        ("BrokenHook::test_x", "error"),
        ("SkippedSuite::test_x", "skipped"),
        ("Child::test_inherited", "passed"),
        ("Base::test_inherited", "passed"),
        ("test_async_exit_with_timeout", "error"),
        ("test_async_keyboard_interrupt", "error"),
        ("test_fixture_without_yield", "error"),
        ("test_replaces_stdout", "passed"),
    ],
)
def test_outcome(recs, name, outcome):
    assert rec(recs, name)["outcome"] == outcome, rec(recs, name).get("message")


def test_record_shape(events, recs):
    wire = [e["record"] for e in events if e["ev"] == "finished"]
    assert len(wire) == len(recs)
    for r in wire:
        assert REQUIRED_KEYS <= set(r) <= RECORD_KEYS
        assert r["outcome"] in {
            "passed",
            "failed",
            "error",
            "skipped",
            "xfailed",
            "xpassed",
            "timeout",
            "cancelled",
        }
        assert isinstance(r["duration"], float) and r["duration"] >= 0
        json.dumps(r)  # serializable, valid text
    assert "worker" not in rec(recs, "test_pass")
    assert rec(recs, "test_pass")["line"] == 11
    assert not any(e["ev"] == "unit_done" for e in events)


def test_strict_and_xfail_messages(recs):
    assert rec(recs, "test_xpassed_strict")["strict"] is True
    assert rec(recs, "test_xpassed")["strict"] is False
    assert "known bug" in rec(recs, "test_xfailed")["message"]
    assert "not a KeyError" in rec(recs, "test_xfail_wrong_exception")["message"]


def test_skip_reasons(recs):
    assert rec(recs, "test_skipped")["message"] == "not today"
    assert rec(recs, "test_skip_if_true")["message"] == "always"
    assert rec(recs, "test_skip_at_runtime")["message"] == "decided at runtime"
    assert rec(recs, "SkippedSuite::test_x")["message"] == "whole suite"


def test_timeout_keeps_output(recs):
    r = rec(recs, "test_timeout")
    assert "timed out after 0.05 s" in r["message"]
    assert r["stdout"] == "before sleep\n"


def test_started_carries_timeout_and_sync(events):
    started = {e["id"]: e for e in events if e["ev"] == "started"}
    assert started[f"{P}::test_timeout"]["timeout"] == 0.05
    assert started[f"{P}::test_timeout"]["sync"] is False
    assert started[f"{P}::test_pass"]["sync"] is True
    assert f"{P}::test_skipped" not in started


def test_retries(events, recs):
    flaky = rec(recs, "test_flaky")
    assert flaky["attempts"] == 2 and flaky["flaky"] is True
    always = rec(recs, "test_always_fails_with_retries")
    assert always["attempts"] == 2 and always["flaky"] is False
    retrying = [e for e in events if e["ev"] == "retrying"]
    assert {
        "ev": "retrying",
        "id": f"{P}::test_flaky",
        "attempt": 1,
        "outcome": "failed",
    } in retrying
    assert sum(1 for e in retrying if e["id"].endswith("test_always_fails_with_retries")) == 1


def test_request_retries_apply_when_test_has_none():
    recs = records(run("api_outcomes", P, [f"{P}::test_error"], retries=2))
    assert recs[f"{P}::test_error"]["attempts"] == 3


def test_request_timeout_applies():
    evs = run("api_outcomes", P, [f"{P}::test_pass"], timeout=7.5)
    assert [e["timeout"] for e in evs if e["ev"] == "started"] == [7.5]


def test_exit_and_interrupt_messages(recs):
    assert "sys.exit(3)" in rec(recs, "test_sys_exit")["message"]
    assert "KeyboardInterrupt" in rec(recs, "test_keyboard_interrupt")["message"]
    assert "SystemExit" in rec(recs, "test_system_exit")["message"]


def test_chdir_restored(recs):
    assert rec(recs, "test_chdir")["outcome"] == "passed"
    assert rec(recs, "test_cwd_restored")["stdout"].strip() != "/"


def test_bad_bytes_and_ansi_are_text(recs):
    out = rec(recs, "test_bad_bytes")["stdout"]
    assert "\x1b[31mred" in out and "\x1b[32mgreen" in out
    assert "\ufffd" in out
    out.encode("utf-8")


def test_output_is_bounded():
    evs = run("api_outcomes", P, [f"{P}::test_big_output"])
    out = records(evs)[f"{P}::test_big_output"]["stdout"]
    assert len(out) < 1 << 20  # 202 KB written, default limit 1 MiB: all kept
    assert out.count("x" * 100) == 2000
    from dbtest.execution import run_in_process
    from tests.execution.helpers import FIXTURES

    evs = run_in_process(
        os.path.join(FIXTURES, "api_outcomes"),
        [{"path": P, "ids": [f"{P}::test_big_output"]}],
        max_output_bytes=1000,
    )
    out = records(evs)[f"{P}::test_big_output"]["stdout"]
    assert "bytes omitted" in out
    assert out.startswith("x" * 100 + "\n")
    assert out.endswith("x" * 100 + "\n")
    assert len(out) < 1200


def test_live_output_bounded():
    from dbtest.execution import run_in_process
    from tests.execution.helpers import FIXTURES

    seen = []
    run_in_process(
        os.path.join(FIXTURES, "api_outcomes"),
        [{"path": P, "ids": [f"{P}::test_big_output"]}],
        max_output_bytes=500,
        live_output=lambda i, s, t: seen.append((i, s, t)),
    )
    assert seen and all(i == f"{P}::test_big_output" and s == "stdout" for i, s, _ in seen)
    assert sum(len(t) for _, _, t in seen) == 500


def test_fixture_errors_are_clear(recs):
    assert "fixture 'nonexistent' not found" in rec(recs, "test_missing_fixture")["message"]
    assert "fixture cycle: cyc_a -> cyc_b -> cyc_a" in rec(recs, "test_fixture_cycle")["message"]
    assert "fixture exploded" in rec(recs, "test_broken_fixture")["message"]
    assert "teardown exploded" in rec(recs, "test_fixture_teardown_fails")["message"]


def test_setup_suite_failure(recs):
    for name in ("BrokenSetup::test_a", "BrokenSetup::test_b"):
        r = rec(recs, name)
        assert "setup_suite" in r["message"] and "no database" in r["message"]
        assert "raise RuntimeError" in r["traceback"]


def test_teardown_suite_failure_is_run_error(events, recs):
    errs = [e for e in events if e["ev"] == "run_error"]
    assert len(errs) == 1
    assert errs[0]["scope"] == f"{P}::BrokenTeardown"
    assert "cleanup failed" in errs[0]["message"] and "raise RuntimeError" in errs[0]["traceback"]


def test_traceback_hides_dbtest_frames(recs):
    tb = rec(recs, "test_error")["traceback"]
    assert 'raise ValueError("boom")' in tb and "ValueError: boom" in tb
    assert "dbtest/execution" not in tb and "dbtest/api" not in tb
    tb = rec(recs, "test_expect_failure")["traceback"]
    assert 'expect({"a": 1}).to_equal({"a": 2})' in tb and "dbtest/api" not in tb


def test_inherited_and_suite_tags(recs):
    # `tags` is a class attribute: a subclass that sets it replaces the base's.
    assert rec(recs, "Child::test_inherited")["tags"] == ["child"]
    assert rec(recs, "Base::test_inherited")["tags"] == ["base"]


def test_parametrize_ids(recs):
    ids = [i.split("::", 1)[1] for i in recs if "[" in i]
    assert "test_params[1-2]" in ids and "test_params[3-4]" in ids
    stacked = [i for i in ids if i.startswith("test_stacked")]
    assert stacked == [
        "test_stacked[p-0]",
        "test_stacked[p-1]",
        "test_stacked[q-0]",
        "test_stacked[q-1]",
    ]
    assert [i for i in ids if i.startswith("test_obj_ids")] == [
        "test_obj_ids[obj0]", "test_obj_ids[None]", "test_obj_ids[1.5]", "test_obj_ids[True]",
    ]  # fmt: skip
    assert [i for i in ids if i.startswith("test_given_ids")] == [
        "test_given_ids[one]",
        "test_given_ids[two]",
    ]
    assert [i for i in ids if i.startswith("test_dup_ids")] == [
        "test_dup_ids[10]",
        "test_dup_ids[11]",
    ]
    assert rec(recs, "test_params[3-4]")["outcome"] == "passed"


def test_prefix_ids():
    recs = records(run("api_outcomes", P, [f"{P}::test_stacked", f"{P}::Child"]))
    assert sorted(recs) == sorted(
        [f"{P}::test_stacked[{y}-{x}]" for y in "pq" for x in "01"]
        + [f"{P}::Child::test_inherited", f"{P}::Child::test_own"]
    )


def test_unknown_id_is_one_error():
    recs = records(run("api_outcomes", P, [f"{P}::nope", f"{P}::test_pass"]))
    assert recs[f"{P}::nope"]["outcome"] == "error"
    assert "no test with id" in recs[f"{P}::nope"]["message"]
    assert recs[f"{P}::test_pass"]["outcome"] == "passed"


def test_import_error_marks_every_requested_id():
    path = "test_import_error.py"
    recs = records(run("api_outcomes", path, [path, f"{path}::test_x"]))
    assert set(recs) == {path, f"{path}::test_x"}
    for r in recs.values():
        assert r["outcome"] == "error"
        assert "cannot import this" in r["message"]
        assert 'raise RuntimeError("cannot import this "' in r["traceback"]
        assert "importlib" not in r["traceback"]


def test_async_exit_and_interrupt_do_not_stop_the_loop(recs):
    assert "sys.exit(4)" in rec(recs, "test_async_exit_with_timeout")["message"]
    assert "KeyboardInterrupt" in rec(recs, "test_async_keyboard_interrupt")["message"]
    # The tests after them still ran.
    assert rec(recs, "test_after_replaced_stdout")["outcome"] == "passed"


def test_fixture_without_yield_message(recs):
    assert (
        rec(recs, "test_fixture_without_yield")["message"]
        == "fixture 'no_yield' did not yield a value"
    )


def test_replaced_stdout_is_put_back(recs):
    assert rec(recs, "test_after_replaced_stdout")["stdout"] == "still captured\n"
