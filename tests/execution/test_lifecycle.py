"""Hook order, fixture scopes and teardown order, capture under concurrency, collect_file."""

from __future__ import annotations

import os

from dbtest.execution import collect_file, run_in_process
from tests.execution.helpers import FIXTURES, records, run


def test_hook_and_fixture_order():
    recs = records(run("api_basic", "test_hooks.py"))
    assert all(r["outcome"] == "passed" for r in recs.values()), recs
    order = (
        recs["test_hooks.py::test_order_snapshot"]["stdout"]
        .strip()
        .removeprefix("ORDER=")
        .split(",")
    )
    # The setup hook, then fixtures on first use; teardown is the exact reverse.
    assert order == [
        "setup_suite",
        "setup", "client:setup", "session_res:setup", "module_res:setup", "per_test:setup", "test_one",
        "per_test:teardown", "teardown",
        "setup", "second", "teardown",
        "teardown_suite", "client:teardown",
    ]  # fmt: skip


def test_module_and_session_fixtures_torn_down_at_close():
    import sys

    evs = run("api_basic", "test_hooks.py")
    assert not [e for e in evs if e["ev"] == "run_error"]
    mod = next(m for n, m in sys.modules.items() if n == "test_hooks" or n.endswith(".test_hooks"))
    tail = mod.ORDER[-2:]
    assert tail == ["module_res:teardown", "session_res:teardown"]


def test_capture_and_logs_per_test():
    recs = records(run("api_basic", "test_hooks.py", ["test_hooks.py::Hooks::second"]))
    r = recs["test_hooks.py::Hooks::second"]
    assert r["stdout"] == "hello from second\n"
    assert r["logs"][0]["level"] == "WARNING" and r["logs"][0]["message"] == "careful 3"
    assert r["logs"][0]["logger"] == "inv"
    assert r["tags"] == ["db", "unit"]


def test_concurrent_async_tests_keep_their_own_output():
    recs = records(run("api_outcomes", "test_concurrency.py"))
    for name in "abcd":
        r = recs[f"test_concurrency.py::Concurrent::test_{name}"]
        assert r["stdout"] == "".join(f"{name} line {i}\n" for i in range(5))
        assert [lg["message"] for lg in r["logs"]] == [f"{name} log {i}" for i in range(5)]
    assert recs["test_concurrency.py::Concurrent::test_zz_peak"]["stdout"] == "peak=4\n"
    assert recs["test_concurrency.py::Sequential::test_zz_peak"]["stdout"] == "peak=1\n"


def test_concurrent_units_on_one_loop():
    root = os.path.join(FIXTURES, "api_outcomes")
    reqs = [
        {"path": "test_concurrency.py", "ids": [f"test_concurrency.py::Concurrent::test_{n}"]}
        for n in "abcd"
    ]
    evs = run_in_process(root, reqs, concurrent=True)
    recs = records(evs)
    for n in "abcd":
        assert recs[f"test_concurrency.py::Concurrent::test_{n}"]["stdout"].count(f"{n} line") == 5
    assert {e["unit"] for e in evs if e["ev"] == "finished"} == {0, 1, 2, 3}


def test_output_outside_tests_goes_to_real_stream(capsys):
    import asyncio

    from dbtest.execution import Executor

    async def main():
        ex = Executor(os.path.join(FIXTURES, "api_basic"))
        print("outside")
        await ex.close()

    asyncio.run(main())
    assert "outside" in capsys.readouterr().out


def test_cancel_marks_remaining_tests_cancelled():
    import asyncio

    from dbtest.execution import Executor

    events: list[dict] = []

    async def main():
        ex = Executor(os.path.join(FIXTURES, "api_outcomes"))
        req = {"op": "run", "unit": 1, "path": "test_concurrency.py",
               "ids": ["test_concurrency.py::Sequential"]}  # fmt: skip

        def emit(e):
            events.append(e)
            if e["ev"] == "started":
                asyncio.get_running_loop().create_task(ex.cancel())

        await ex.run_unit(req, emit)
        await ex.close()

    asyncio.run(main())
    outcomes = [e["record"]["outcome"] for e in events if e["ev"] == "finished"]
    assert outcomes == ["cancelled", "cancelled", "cancelled"]


def test_collect_file_refines_the_tree():
    items = collect_file(os.path.join(FIXTURES, "api_outcomes"), "test_outcomes.py")
    by_id = {i["id"]: i for i in items}
    assert "test_outcomes.py::test_computed[2]" in by_id
    child = by_id["test_outcomes.py::Child::test_inherited"]
    assert child["suite"] == "Child" and child["style"] == "suite" and child["tags"] == ["child"]
    assert by_id["test_outcomes.py::test_timeout"]["is_async"] is True
    assert by_id["test_outcomes.py::test_timeout"]["timeout"] == 0.05
    assert by_id["test_outcomes.py::test_skipped"]["skip"] == "not today"
    assert by_id["test_outcomes.py::test_xfailed"]["xfail"] is True
    assert by_id["test_outcomes.py::test_params[1-2]"]["params"] == "1-2"
    assert all(i["kind"] == "test" for i in items)


def test_collect_file_import_error():
    import pytest

    from dbtest.execution import ImportFailure

    with pytest.raises(ImportFailure) as info:
        collect_file(os.path.join(FIXTURES, "api_outcomes"), "test_import_error.py")
    assert "cannot import this" in info.value.message


def test_concurrent_suite_waits_for_one_setup_suite():
    recs = records(
        run("api_outcomes", "test_concurrency.py", ["test_concurrency.py::ConcurrentSetup"])
    )
    assert [r["outcome"] for r in recs.values()] == ["passed"] * 3


def test_examples_all_pass():
    """The demo project runs green (the demo runs it)."""
    import collections

    root = os.path.join(os.path.dirname(FIXTURES), "..", "examples")
    files = [
        "tests/test_inventory.py",
        "tests/test_pricing.py",
        "tests/test_legacy_unittest.py",
        "tests/integration/test_orders_flow.py",
    ]
    evs = run_in_process(root, [{"path": f, "ids": [f]} for f in files])
    counts = collections.Counter(e["record"]["outcome"] for e in evs if e["ev"] == "finished")
    assert set(counts) <= {"passed", "skipped", "xfailed"}, counts
    assert counts["passed"] >= 20
    assert not [e for e in evs if e["ev"] == "run_error"]


def test_cancel_reaches_a_sync_test_waiting_on_its_async_fixture(tmp_path):
    # A sync test's attempt runs in the unit's own task (no task of its
    # own): a cancel must still interrupt the async fixture it waits on.
    import asyncio

    from dbtest.execution import Executor
    from dbtest.execution import capture as cap_mod

    (tmp_path / "test_wait.py").write_text(
        "import asyncio\n"
        "from dbtest import fixture\n"
        "LOG = []\n\n"
        "@fixture\n"
        "async def slow():\n"
        "    LOG.append('setup')\n"
        "    try:\n"
        "        await asyncio.sleep(20)\n"
        "    finally:\n"
        "        LOG.append('interrupted')\n"
        "    yield 1\n\n"
        "def test_waits(slow):\n"
        "    LOG.append('ran')\n\n"
        "def test_after():\n"
        "    LOG.append('after')\n"
    )
    events: list[dict] = []
    seen: dict = {}

    async def main():
        ex = Executor(str(tmp_path), capture=False)

        def emit(e):
            events.append(e)
            if e["ev"] == "started" and e.get("id", "").endswith("test_waits"):
                asyncio.get_running_loop().call_later(
                    0.2, lambda: asyncio.ensure_future(ex.cancel())
                )

        await ex.run_unit({"op": "run", "unit": 1, "path": "test_wait.py"}, emit)
        seen["capture"] = cap_mod.current.get()
        await ex.close()

    asyncio.run(main())
    import sys

    log = sys.modules["test_wait"].LOG
    outcomes = {e["record"]["id"]: e["record"]["outcome"] for e in events if e["ev"] == "finished"}
    assert outcomes == {
        "test_wait.py::test_waits": "cancelled",
        "test_wait.py::test_after": "cancelled",
    }
    # Interrupted in its sleep: a cancel that missed would let it run on.
    assert log == ["setup", "interrupted"]
    assert seen["capture"] is None  # the attempt's capture did not outlive it
