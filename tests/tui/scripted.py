"""Deterministic runs for snapshot tests: the same pixels every time.

The tree is the engine's real discovery of `tests/fixtures/tui_scripted`
(so it has exactly the shape the engine sends); only the runs are scripted,
with fixed durations. (The Pilot tests run the real runner.)"""

from __future__ import annotations

from typing import Any

from .helpers import FIXTURES, ScriptedRun, ScriptedSource, discover, items_of, record

ROOT = FIXTURES / "tui_scripted"
TREE = discover(ROOT).tree
ITEMS = items_of(TREE)
TESTS = [i for i in ITEMS if i["kind"] == "test"]
FAILURE_MESSAGE = (
    "expect(order.total).to_equal(1200)\n"
    "Expected: 1200\n"
    "Actual:   1199\n"
    "Difference:\n"
    "- 1200\n"
    "+ 1199"
)
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "tests/test_orders.py", line 24, in test_totals\n'
    "    expect(order.total).to_equal(1200)\n"
    "dbtest.api.expect.ExpectationFailed: expect(order.total).to_equal(1200)"
)


def started() -> dict[str, Any]:
    return {
        "type": "run_started",
        "selected": TESTS,
        "collection_errors": TREE["errors"],
        "workers": 2,
    }


def finished(rid: str, outcome: str, duration: float, **kw: Any) -> dict[str, Any]:
    return {"type": "test_finished", "record": record(rid, outcome, duration=duration, **kw)}


def in_progress_run() -> ScriptedRun:
    """Half done: one test running with live output, the rest queued."""
    ids = [i["id"] for i in TESTS]
    return ScriptedRun(
        [
            [started(), {"type": "worker_started", "worker": 0, "pid": 1}],
            [
                {"type": "test_started", "id": ids[0], "worker": 0, "attempt": 1},
                finished(ids[0], "passed", 0.004),
                {"type": "test_started", "id": ids[1], "worker": 1, "attempt": 1},
                finished(ids[1], "passed", 0.012),
                {"type": "test_started", "id": ids[6], "worker": 0, "attempt": 1},
                {
                    "type": "output",
                    "id": ids[6],
                    "stream": "stdout",
                    "data": "connecting to db...\n",
                },
                {
                    "type": "output",
                    "id": ids[6],
                    "stream": "stdout",
                    "data": "\x1b[31mretrying\x1b[0m 1/3\n",
                },
            ],
        ],
        hold=True,
    )


def finished_run() -> ScriptedRun:
    ids = [i["id"] for i in TESTS]
    outcomes = ["passed", "passed", "failed", "passed", "passed", "passed", "skipped"]
    evs: list[dict[str, Any]] = [started()]
    for n, (rid, out) in enumerate(zip(ids, outcomes, strict=True)):
        kw: dict[str, Any] = {"line": 21, "worker": 0}
        if out == "failed":
            kw.update(message=FAILURE_MESSAGE, traceback=TRACEBACK, stdout="order 17 created\n")
        if out == "skipped":
            kw.update(message="needs a real database")
        evs.append(finished(rid, out, 0.003 * (n + 1), **kw))
    evs.append(
        {"type": "run_finished", "summary": {"total": 7}, "duration": 0.2, "interrupted": False}
    )
    return ScriptedRun([evs])


def bench_run() -> ScriptedRun:
    def result(name: str, mean: float, baseline: bool, speedup: float | None) -> dict[str, Any]:
        res: dict[str, Any] = {
            "id": f"benchmarks/bench_json.py::encode::{name}",
            "path": "benchmarks/bench_json.py",
            "group": "encode",
            "name": name,
            "is_baseline": baseline,
            "stats": {
                "mean": mean,
                "median": mean * 0.98,
                "min": mean * 0.9,
                "max": mean * 1.4,
                "stddev": mean * 0.05,
                "iqr": mean * 0.04,
                "ops_per_sec": 1 / mean,
                "samples": 120,
                "calls_per_sample": 1000,
                "outliers_mild": 1,
                "outliers_severe": 0,
                "ci_low": mean * 0.97,
                "ci_high": mean * 1.03,
            },
            "samples": [mean] * 10,
        }
        if speedup is not None:
            res["comparison"] = {
                "against": "json",
                "speedup": speedup,
                "ci_low": speedup * 0.95,
                "ci_high": speedup * 1.05,
                "p_value": 0.001,
                "significant": True,
                "paired": True,
                "pairs": 120,
                "equivalent": False,
                "margin": 0.02,
                "verdict": "faster",
            }
        return {"type": "bench_finished", "result": res}

    benches = [i for i in ITEMS if i["kind"] == "bench"]
    return ScriptedRun(
        [
            [
                {"type": "run_started", "selected": benches, "collection_errors": [], "workers": 1},
                result("json", 8.1e-6, True, None),
                result("pickle", 2.9e-6, False, 2.79),
                result("marshal", 1.6e-6, False, 5.06),
                {
                    "type": "run_finished",
                    "summary": {"total": 3},
                    "duration": 3.0,
                    "interrupted": False,
                },
            ]
        ]
    )


def source(*runs: ScriptedRun) -> ScriptedSource:
    return ScriptedSource(list(runs))
