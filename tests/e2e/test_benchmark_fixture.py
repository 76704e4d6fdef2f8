"""pytest-benchmark's and pytest-codspeed's `benchmark` fixture, provided by
dbtest itself (`tests/fixtures/plugin_benchmark`): the function is called
once, its result returned, its exception the test's."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_runner import project, run_json


def test_benchmark_fixture_calls_the_function_once(tmp_path: Path) -> None:
    root = project(tmp_path, "plugin_benchmark")
    proc, report = run_json(root)
    got = {t["id"].rpartition("::")[2]: t for t in report["tests"]}
    failing = "test_the_functions_exception_is_the_tests"
    assert {n: t["outcome"] for n, t in got.items() if n != failing} == {
        "test_call_returns_the_result": "passed",
        "test_called_once": "passed",
        "test_as_a_decorator": "passed",
        "test_pedantic_with_setup_and_teardown": "passed",
        "test_pedantic_refuses_iterations_with_setup": "passed",
    }, proc.stdout + proc.stderr
    # An exception other than an assertion: dbtest's `error`, as in any test.
    assert got[failing]["outcome"] == "error"
    assert "ZeroDivisionError" in got[failing]["message"]
    assert proc.returncode == 1
