"""pytest's `__test__` and the static and class methods of a test class.

`tests/fixtures/pytest_test_attr`: `__test__ = True` on a class not named
`Test*`, `__test__ = False` on a class (inherited by a subclass, overridden
by another) and on a function (`f.__test__ = False`), `@staticmethod` and
`@classmethod` test methods, inherited too. pytest is the oracle: the same
ids, the same outcomes, and `dbtest list` shows what the run runs.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_dbtest
from tests.e2e.test_pytest_suite import pytest_outcomes
from tests.e2e.test_runner import project, run_json


def test_dunder_test_and_method_kinds_as_pytest_collects_them(tmp_path: Path) -> None:
    root = project(tmp_path, "pytest_test_attr")
    oracle = pytest_outcomes(root)
    proc, report = run_json(root)
    got = {t["id"]: t["outcome"] for t in report["tests"]}
    assert got == oracle, proc.stdout + proc.stderr
    assert report["run_errors"] == []
    # The cases that say something: pytest's choices, each way.
    assert oracle["tests/test_attr.py::Helper::test_in_helper"] == "passed"
    assert oracle["tests/test_attr.py::TestOn::test_never"] == "failed"
    assert oracle["tests/test_kinds.py::TestKinds::test_class_fixture"] == "passed"
    assert oracle["tests/test_kinds.py::TestInheritsKinds::test_class_fixture"] == "failed"
    assert not any("Off" in i or i.endswith("::test_off") for i in oracle)


def test_list_shows_what_runs(tmp_path: Path) -> None:
    root = project(tmp_path, "pytest_test_attr")
    oracle = pytest_outcomes(root)
    proc = run_dbtest(["list", "--format", "json"], root)
    assert proc.returncode == 0, proc.stderr
    listed = {
        item["id"]
        for f in json.loads(proc.stdout)["files"]
        for item in [*f["items"], *(i for s in f["suites"] for i in s["items"])]
    }
    assert listed == set(oracle), proc.stdout
