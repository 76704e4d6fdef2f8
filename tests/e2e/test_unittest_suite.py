"""A unittest suite as `python -m unittest` runs it (`tests/fixtures/unittest_suite`):
the cases `load_tests` adds run under `path::load_tests` with unittest's ids,
tests inherited from a mixin in another module run, and so does `runTest`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import run_dbtest
from tests.e2e.test_runner import project, run_json

# The oracle: the case ids `python -m unittest` discovery runs, load_tests included.
UNITTEST_IDS = """
import unittest
def flat(s):
    for t in s:
        yield from (flat(t) if isinstance(t, unittest.TestSuite) else [t])
for t in flat(unittest.TestLoader().discover("tests", top_level_dir=".")):
    print(t.id())
"""


def test_load_tests_cases_run_with_unittests_ids(tmp_path: Path) -> None:
    root = project(tmp_path, "unittest_suite")
    proc, report = run_json(root)
    got = {t["id"]: t["outcome"] for t in report["tests"]}
    assert got == {
        "tests/test_loader.py::Own::test_one": "passed",
        "tests/test_loader.py::Own::test_two": "passed",
        "tests/test_loader.py::load_tests::calc.add": "passed",
        "tests/test_loader.py::load_tests::calc.half": "failed",
        "tests/test_loader.py::load_tests::tests.other_cases.Borrowed.test_borrowed": "passed",
        "tests/test_noop_loader.py::Kept::test_kept": "passed",
        "tests/test_noop_loader.py::load_tests": "skipped",
        "tests/test_broken_loader.py::StillRuns::test_still_runs": "passed",
        "tests/test_broken_loader.py::load_tests": "error",
        "tests/test_inherit.py::TestWithMixin::test_from_mixin": "passed",
        "tests/test_inherit.py::TestWithMixin::test_own": "passed",
        "tests/test_inherit.py::RunsOnlyRunTest::runTest": "passed",
    }
    assert proc.returncode == 1
    failed = next(t for t in report["tests"] if t["id"].endswith("calc.half"))
    # The doctest's own report, not a traceback through doctest.py.
    assert "Expected:\n    3\nGot:\n    2" in (failed.get("traceback") or "")
    assert "doctest.py" not in (failed.get("traceback") or "")
    broken = next(
        t for t in report["tests"] if t["id"] == "tests/test_broken_loader.py::load_tests"
    )
    assert "RuntimeError: the loader broke" in broken["message"]

    oracle = subprocess.run(
        [sys.executable, "-c", UNITTEST_IDS], cwd=root, capture_output=True, text=True, check=True
    ).stdout.split()
    added = {i.split("::load_tests::")[1] for i in got if "::load_tests::" in i}
    # Every case unittest runs from test_loader.py, dbtest runs too.
    # (unittest fails the whole module whose load_tests raises; dbtest runs its own tests.)
    assert added == {i for i in oracle if not i.startswith(("tests.test_", "unittest.loader"))}


def test_list_says_the_cases_are_known_at_import(tmp_path: Path) -> None:
    root = project(tmp_path, "unittest_suite")
    proc = run_dbtest(["list"], root)
    assert proc.returncode == 0, proc.stderr
    assert "load_tests (resolved at import: load_tests)" in proc.stdout
    # The mixin's tests are known at import; runTest statically.
    assert "TestWithMixin (resolved at import: inherited)" in proc.stdout
    assert "runTest" in proc.stdout


def test_one_added_case_runs_alone(tmp_path: Path) -> None:
    root = project(tmp_path, "unittest_suite")
    proc, report = run_json(root, "tests/test_loader.py::load_tests::calc.add")
    assert [(t["id"], t["outcome"]) for t in report["tests"]] == [
        ("tests/test_loader.py::load_tests::calc.add", "passed")
    ]
    assert proc.returncode == 0, proc.stdout + proc.stderr
