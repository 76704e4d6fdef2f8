"""pytest-mock's `mocker` fixtures, provided by dbtest itself.

`tests/fixtures/mocker_suite` is written as a pytest-mock user writes it
(`mocker.patch`, `.object`, `.multiple`, `.dict`, `spy`, `stub`, `resetall`,
`stop`, the scoped `class_mocker`/`module_mocker`/...; fixtures torn down
after `mocker` check that its patches are gone). pytest with pytest-mock is
the oracle: dbtest must give every test pytest's id and outcome.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_dbtest
from tests.e2e.test_pytest_suite import pytest_outcomes
from tests.e2e.test_runner import project, project_with, run_json


def test_mocker_suite_gets_pytest_mocks_outcomes(tmp_path: Path) -> None:
    root = project(tmp_path, "mocker_suite")
    oracle = pytest_outcomes(root)
    proc, report = run_json(root)
    got = {t["id"]: t["outcome"] for t in report["tests"]}
    assert got == oracle, proc.stdout + proc.stderr
    assert len(got) > 40
    # The one failing assertion fails as it does under pytest.
    assert [i for i, o in got.items() if o != "passed"] == [
        "tests/test_patch.py::test_failing_assertion_fails"
    ]
    assert report["run_errors"] == [], report["run_errors"]
    assert proc.returncode == 1


def test_dbtest_tests_use_mocker_by_name(tmp_path: Path) -> None:
    root = project_with(
        tmp_path,
        "test_native.py",
        "import json\n"
        "from dbtest import TestSuite, test\n\n"
        "@test\n"
        "def patched(mocker):\n"
        "    mocker.patch('json.dumps', return_value='x')\n"
        "    assert json.dumps(1) == 'x'\n\n"
        "class Uses(TestSuite):\n"
        "    def test_spy(self, mocker):\n"
        "        spy = mocker.spy(json, 'loads')\n"
        "        assert json.loads('[1]') == [1]\n"
        "        assert spy.spy_return == [1]\n",
    )
    proc, report = run_json(root, "-j", "1")
    assert {t["id"]: t["outcome"] for t in report["tests"]} == {
        "tests/test_native.py::patched": "passed",
        "tests/test_native.py::Uses::test_spy": "passed",
    }, proc.stdout + proc.stderr


def test_a_patch_left_by_mocker_is_undone_for_the_next_test(tmp_path: Path) -> None:
    # One worker, file order: the second test sees the real function again.
    root = project_with(
        tmp_path,
        "test_order.py",
        "import os.path\n\n"
        "def test_patches(mocker):\n"
        "    mocker.patch('os.path.exists', return_value=True)\n"
        "    assert os.path.exists('/no/such/path')\n\n"
        "def test_real_again():\n"
        "    assert not os.path.exists('/no/such/path')\n",
    )
    proc = run_dbtest(["--headless", "-j", "1"], root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout
