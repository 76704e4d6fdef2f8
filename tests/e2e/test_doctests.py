"""Doctests: `--doctest-modules` from the project's pytest addopts, and
pytest's default `test*.txt` glob, with pytest itself as the oracle
(`tests/fixtures/doctest_project`)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_dbtest
from tests.e2e.test_pytest_suite import pytest_outcomes
from tests.e2e.test_runner import project, run_json


def test_same_doctests_and_outcomes_as_pytest(tmp_path: Path) -> None:
    root = project(tmp_path, "doctest_project")
    oracle = pytest_outcomes(root)
    proc, report = run_json(root)
    got = {t["id"]: t["outcome"] for t in report["tests"]}
    assert got == oracle
    # Every kind the fixture has, so the comparison cannot pass on nothing.
    assert got["src/shapes/__init__.py::shapes"] == "passed"
    assert got["src/shapes/area.py::shapes.area.Circle.double"] == "passed"
    assert got["src/shapes/area.py::shapes.area.skipped_all"] == "skipped"
    assert got["src/shapes/area.py::shapes.area.wrong"] == "failed"
    assert got["tests/test_guide.txt::test_guide.txt"] == "passed"
    assert proc.returncode == 1
    wrong = next(t for t in report["tests"] if t["id"].endswith("shapes.area.wrong"))
    assert wrong["message"] == "Failed doctest test for shapes.area.wrong"
    assert "Expected:\n    5\nGot:\n    4" in wrong["traceback"]


def test_list_names_doctests_statically(tmp_path: Path) -> None:
    root = project(tmp_path, "doctest_project")
    proc = run_dbtest(["list"], root)
    assert proc.returncode == 0, proc.stderr
    assert "shapes.area.Circle.diameter" in proc.stdout
    # A source module's test-looking function is no test; a text file off the glob neither.
    assert "test_looking_helper" not in proc.stdout
    assert "notes.txt" not in proc.stdout
    assert proc.stdout.splitlines()[-1].startswith("15 tests in 4 files")


def test_without_the_option_no_docstring_is_a_test(tmp_path: Path) -> None:
    root = project(tmp_path, "doctest_project")
    (root / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\ntestpaths = ["src", "tests"]\n'
    )
    proc, report = run_json(root)
    # The default glob still reads test*.txt, as pytest's does.
    assert sorted(t["id"] for t in report["tests"]) == [
        "tests/test_guide.txt::test_guide.txt",
        "tests/test_plain.py::test_plain",
    ]
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_doctest_modules_on_the_command_line(tmp_path: Path) -> None:
    root = project(tmp_path, "doctest_project")
    (root / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\ntestpaths = ["src", "tests"]\n'
    )
    listed = run_dbtest(["list", "--doctest-modules"], root)
    assert listed.returncode == 0, listed.stderr
    assert "shapes.area.Circle.diameter" in listed.stdout
    proc, report = run_json(root, "--doctest-modules")
    got = {t["id"]: t["outcome"] for t in report["tests"]}
    assert got["src/shapes/area.py::shapes.area.Circle.double"] == "passed"
    assert got["src/shapes/area.py::shapes.area.wrong"] == "failed"
    assert len(got) == 15


def test_dbtest_config_flags_and_one_doctest_alone(tmp_path: Path) -> None:
    root = project(tmp_path, "doctest_project")
    # Without ELLIPSIS the `[0, 1, ..., 19]` example fails.
    (root / "pyproject.toml").write_text(
        '[tool.dbtest]\npaths = ["src"]\ndoctest-modules = true\n'
        'doctest-optionflags = ["NORMALIZE_WHITESPACE"]\n'
    )
    proc, report = run_json(root, "src/shapes/area.py::shapes.area.needs_ellipsis")
    assert [(t["id"], t["outcome"]) for t in report["tests"]] == [
        ("src/shapes/area.py::shapes.area.needs_ellipsis", "failed")
    ]
    (root / "pyproject.toml").write_text(
        '[tool.dbtest]\npaths = ["src"]\ndoctest-optionflags = ["ELIPSIS"]\n'
    )
    proc = run_dbtest(["list"], root)
    assert proc.returncode == 4
    assert "unknown value 'ELIPSIS'" in proc.stderr
    assert "Traceback" not in proc.stderr
