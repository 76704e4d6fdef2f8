"""The bench unit runner on the fixture project: async entries, params,
failing entries, hooks outside the timed region, import errors."""

import asyncio
import os
import sys

import pytest

from dbtest.benchmark.runner import run_bench_unit

ROOT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "bench_project")
# In the worker itself (processes=1): these tests look at the module it
# imported. The multi-process path is tested in test_processes.py.
FAST = {"time": 0.003, "min_samples": 3, "warmup": 0.0, "processes": 1}


def run(ids, path="bench_cases.py", **options):
    out = []
    request = {"op": "run", "kind": "bench", "unit": 1, "path": path, "ids": ids}
    request["bench"] = {**FAST, **options}
    asyncio.run(run_bench_unit(os.path.abspath(ROOT), request, out.append))
    return out


def results(out):
    return {m["id"]: m for m in out if m["ev"] == "bench_result"}


@pytest.fixture(scope="module")
def cases():
    # The worker imports a file once; start from a clean log if an earlier
    # test imported it already.
    if "bench_cases" in sys.modules:
        sys.modules["bench_cases"].LOG.clear()
    out = run(["bench_cases.py"])
    return out, sys.modules["bench_cases"]


def test_every_entry_reports_and_a_failure_does_not_stop_the_others(cases):
    out, _ = cases
    res = results(out)
    p = "bench_cases.py::"
    assert list(res) == [
        p + "ops::sum",
        p + "ops::async sum",
        p + "ops::broken",
        p + "ops::sized[n=10]",
        p + "ops::sized[n=100]",
        p + "bad setup::never runs",
        p + "bad teardown::fine",
        p + "typo::json",
        p + "made in a function::noop",
    ]
    broken = res[p + "ops::broken"]
    assert broken["error"] == "ValueError: this entry is broken"
    assert broken["samples"] == [] and "Traceback" in broken["traceback"]
    for rid in (p + "ops::sum", p + "ops::sized[n=100]", p + "made in a function::noop"):
        r = res[rid]
        assert r["error"] is None and len(r["samples"]) >= 3 and r["calls_per_sample"] >= 1
        assert all(s > 0 for s in r["samples"])
    sized = res[p + "ops::sized[n=10]"]
    assert (sized["group"], sized["name"], sized["params"]) == ("ops", "sized", "n=10")
    assert res[p + "ops::sum"]["is_baseline"] and not sized["is_baseline"]
    assert res[p + "ops::sum"]["memory_peak"] is None


def test_progress_phases_are_emitted_per_entry(cases):
    out, _ = cases
    rid = "bench_cases.py::ops::sum"
    phases = [m["phase"] for m in out if m["ev"] == "bench_progress" and m["id"] == rid]
    assert phases[:3] == ["calibrating", "warmup", "sampling"] and phases[-1] == "done"
    # Progress of an entry comes before its result.
    idx = [i for i, m in enumerate(out) if m.get("id") == rid]
    assert out[idx[-1]]["ev"] == "bench_result"


def test_hooks_run_once_outside_the_timed_entries(cases):
    out, module = cases
    log = [x for x in module.LOG if not isinstance(x, tuple)]
    # setup before any call of an entry, teardown after the last one.
    assert log[0] == "setup" and log[-1] == "teardown"
    assert log.count("setup") == 1 and log.count("teardown") == 1
    assert "never" not in log


def test_async_entry_is_awaited_on_the_one_running_loop(cases):
    out, module = cases
    loops = {x[1] for x in module.LOG if isinstance(x, tuple)}
    assert len(loops) == 1
    r = results(out)["bench_cases.py::ops::async sum"]
    assert r["error"] is None and len(r["samples"]) >= 3


def test_failing_setup_and_teardown(cases):
    out, _ = cases
    r = results(out)["bench_cases.py::bad setup::never runs"]
    assert r["error"] == "group setup failed: RuntimeError: setup exploded"
    errors = [m for m in out if m["ev"] == "run_error"]
    assert [(e["scope"], e["message"]) for e in errors] == [
        ("bench_cases.py::bad teardown", "group teardown failed: OSError: teardown exploded"),
        (
            "bench_cases.py::typo",
            "baseline 'jsn' is not an entry of group 'typo' (entries: json); nothing is compared",
        ),
    ]
    assert results(out)["bench_cases.py::bad teardown::fine"]["error"] is None


def test_prefix_and_exact_ids_and_unknown_ids():
    out = run(["bench_cases.py::ops::sized", "bench_cases.py::ops::nope"])
    res = results(out)
    # The group's baseline ("sum") comes along so the entries can be compared.
    assert sorted(res) == [
        "bench_cases.py::ops::nope",
        "bench_cases.py::ops::sized[n=100]",
        "bench_cases.py::ops::sized[n=10]",
        "bench_cases.py::ops::sum",
    ]
    assert (
        res["bench_cases.py::ops::nope"]["error"]
        == "no benchmark entry matches bench_cases.py::ops::nope"
    )


def test_memory_pass_reports_a_peak_per_call():
    out = run(["bench_cases.py::ops::sized[n=100]"], memory=True)
    r = results(out)["bench_cases.py::ops::sized[n=100]"]
    assert isinstance(r["memory_peak"], int) and r["memory_peak"] >= 0
    assert any(m.get("phase") == "memory" for m in out)


def test_import_error_is_recorded_for_each_requested_id():
    out = run(["bench_syntax_error.py"], path="bench_syntax_error.py")
    r = results(out)["bench_syntax_error.py"]
    assert r["error"].startswith("SyntaxError in bench_syntax_error.py")
    assert r["samples"] == []


def test_concurrent_units_in_one_worker_run_one_after_the_other():
    order = []

    def emit(message):
        if message["ev"] == "bench_result":
            order.append(message["id"])
        elif message["ev"] == "bench_progress" and message["phase"] == "calibrating":
            order.append("start " + message["id"])

    async def main():
        root = os.path.abspath(ROOT)
        reqs = [
            {"path": "bench_cases.py", "ids": [f"bench_cases.py::ops::sized[n={n}]"], "bench": FAST}
            for n in (10, 100)
        ]
        await asyncio.gather(*(run_bench_unit(root, r, emit) for r in reqs))

    asyncio.run(main())
    a, b = "bench_cases.py::ops::sized[n=10]", "bench_cases.py::ops::sized[n=100]"
    base = "bench_cases.py::ops::sum"  # each unit measures the group's baseline too
    # A unit's entries are sampled interleaved: both start before either ends;
    # the second unit starts only once the first one's results are out.
    first = ["start " + base, "start " + a, base, a]
    assert order == first + ["start " + base, "start " + b, base, b]


def test_a_running_entry_can_be_cancelled_between_samples():
    async def main():
        out = []
        request = {
            "path": "bench_cases.py",
            "ids": ["bench_cases.py::ops::sum"],
            "bench": {"time": 60.0, "min_samples": 3, "warmup": 0.0},
        }
        task = asyncio.ensure_future(run_bench_unit(os.path.abspath(ROOT), request, out.append))
        while not any(m.get("phase") == "sampling" for m in out):
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return out

    out = asyncio.run(main())
    assert not any(m["ev"] == "bench_result" for m in out)
