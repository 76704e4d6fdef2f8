"""The project's pytest configuration, read where `[tool.dbtest]` is silent:
`setup.cfg [tool:pytest]` with `testpaths`, `python_files`, `norecursedirs`, `addopts`
(`-m` applied, the rest named in one warning), `xfail_strict` and
`filterwarnings` (`tests/fixtures/pytest_config`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_dbtest
from tests.e2e.test_pytest_suite import pytest_outcomes
from tests.e2e.test_runner import project, run_json


def test_selection_follows_testpaths_python_files_and_addopts(tmp_path: Path) -> None:
    root = project(tmp_path, "pytest_config")
    proc = run_dbtest(["list"], root)
    assert proc.returncode == 0, proc.stderr
    # `other/` is outside testpaths; `-m "not property"` deselects one.
    assert "checks/check_things.py" in proc.stdout
    assert "test_outside_testpaths" not in proc.stdout
    assert "test_property_deselected" not in proc.stdout
    assert "test_in_norecursedirs" not in proc.stdout
    assert proc.stdout.splitlines()[-1].startswith("5 tests in 1 file (selected from 6)")


# A worker in dbtest's own process gets the same settings as a process worker.
@pytest.mark.parametrize("mode", [[], ["--in-process"]], ids=["workers", "in-process"])
def test_xfail_strict_filterwarnings_and_the_one_warning(tmp_path: Path, mode: list[str]) -> None:
    root = project(tmp_path, "pytest_config")
    proc, report = run_json(root, *mode)
    outcomes = {
        t["id"].split("::")[-1]: (t["outcome"], t.get("strict", False)) for t in report["tests"]
    }
    assert outcomes == {
        "test_plain": ("passed", False),
        "test_xfail_passes": ("xpassed", True),
        "test_xfail_lenient": ("xpassed", False),
        "test_warning_is_an_error": ("passed", False),
        "test_mark_overrides_config": ("passed", False),
    }
    # The strict xpass fails the run, as under pytest.
    assert proc.returncode == 1
    warnings = [line for line in proc.stderr.splitlines() if "warning" in line]
    assert warnings == [
        "dbtest: warning: not applied from the pytest configuration in setup.cfg: --durations=5"
    ]


def test_dbtest_config_wins_over_pytest_config(tmp_path: Path) -> None:
    root = project(tmp_path, "pytest_config")
    (root / "pyproject.toml").write_text(
        '[tool.dbtest]\npaths = ["other"]\ntest-files = ["test_*.py"]\n'
    )
    proc = run_dbtest(["list"], root)
    assert "test_not_collected" in proc.stdout, proc.stdout + proc.stderr


def test_marks_option_replaces_the_addopts_expression(tmp_path: Path) -> None:
    root = project(tmp_path, "pytest_config")
    proc = run_dbtest(["list", "-m", "property"], root)
    assert proc.returncode == 0, proc.stderr
    # `-m property` replaces addopts' `-m "not property"`: only that test.
    assert "test_property_deselected" in proc.stdout
    assert proc.stdout.splitlines()[-1].startswith("1 test in 1 file (selected from 6)")
    proc, report = run_json(root, "-m", "property or not property", "-k", "plain")
    assert [t["id"].split("::")[-1] for t in report["tests"]] == ["test_plain"]
    proc = run_dbtest(["list", "-m", "not (property"], root)
    assert proc.returncode == 4
    # The filter's own error: one line and the expression with a caret.
    assert proc.stderr.startswith("dbtest: error: invalid filter"), proc.stderr
    assert "Traceback" not in proc.stderr


def test_conftest_collect_ignore_as_pytest_reads_it(tmp_path: Path) -> None:
    root = project(tmp_path, "collect_ignore_project")
    oracle = pytest_outcomes(root)
    proc, report = run_json(root)
    assert {t["id"]: t["outcome"] for t in report["tests"]} == oracle
    assert sorted(oracle) == ["tests/test_new.py::test_new", "tests/test_ok.py::test_ok"]
    # The append under `if` is not applied (it could drop tests), and said so.
    assert (
        "tests/conftest.py: collect_ignore changed where dbtest cannot read it (line 6): "
        "not applied" in proc.stderr
    )
    # A path given explicitly is collected, as pytest does.
    listed = run_dbtest(["list", "tests/legacy"], root)
    assert "tests/legacy/test_old.py" in listed.stdout, listed.stdout + listed.stderr
