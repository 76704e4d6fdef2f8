"""Tests under `if`/`try`/`with` blocks, which the static parse cannot
evaluate (`tests/fixtures/under_blocks`): each is listed where it is, runs
when the import defined it, and is `skipped`, saying why, when it did not.
pytest is the oracle for the ones that exist; none is dropped in silence.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_dbtest
from tests.e2e.test_pytest_suite import pytest_outcomes
from tests.e2e.test_runner import project, run_json

# Under a block whose branch does not run on this interpreter.
NEVER_DEFINED = {
    "tests/test_blocks.py::test_only_py2",
    "tests/test_blocks.py::TestPlain::test_never",
}


def test_tests_under_blocks_run_as_under_pytest(tmp_path: Path) -> None:
    root = project(tmp_path, "under_blocks")
    oracle = pytest_outcomes(root)
    proc, report = run_json(root)
    got = {t["id"]: t for t in report["tests"]}
    assert {i: got[i]["outcome"] for i in oracle if i in got} == oracle, proc.stdout + proc.stderr
    assert set(got) == set(oracle) | NEVER_DEFINED
    for i in NEVER_DEFINED:
        assert got[i]["outcome"] == "skipped"
        assert "under an if/try/with block" in got[i]["message"]
    # What the blocks hold, each kind once: a method under `if` and under
    # `try`, a class under `if`, a file whose every test is under a block.
    for i in (
        "tests/test_blocks.py::TestPlain::test_b",
        "tests/test_blocks.py::CaseTests::test_z",
        "tests/test_blocks.py::TestUnder::test_c",
        "tests/test_only_blocks.py::test_in_with",
    ):
        assert i in oracle
    assert report["run_errors"] == []


def test_list_names_tests_under_blocks(tmp_path: Path) -> None:
    root = project(tmp_path, "under_blocks")
    proc = run_dbtest(["list", "--format", "json"], root)
    assert proc.returncode == 0, proc.stderr
    files = json.loads(proc.stdout)["files"]
    listed = {
        item["id"]: item.get("dynamic", [])
        for f in files
        for item in [*f["items"], *(i for s in f["suites"] for i in s["items"])]
    }
    assert all(not f.get("uncollected") for f in files), files
    for i in [*NEVER_DEFINED, "tests/test_only_blocks.py::test_platform"]:
        assert listed[i] == ["conditional"], listed
    assert listed["tests/test_blocks.py::TestUnder"] == ["inherited", "conditional"]
    assert listed["tests/test_blocks.py::TestPlain::test_a"] == []
    # A def inside a method is not a test; a helper under a block is not either.
    assert not any(i.endswith(("test_inner", "helper")) for i in listed)
    text = run_dbtest(["list"], root).stdout
    assert "test_only_py2 (resolved at import: defined under if/try)" in text
