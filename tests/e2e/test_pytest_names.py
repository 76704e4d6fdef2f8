"""pytest's name rules from the project's configuration, applied:
`python_files`, `python_classes` and `python_functions`, prefixes and globs
(`tests/fixtures/pytest_names`, `[tool.pytest.ini_options]`).

The expected ids are pytest's for that configuration (pytest 8 collects
exactly these): `check_*.py` files only; classes named `Check*` or matching
`*Suite` (the whole name), and any `unittest.TestCase` whatever its name,
with its `test*` methods only; functions and methods matching `check_*` or
`test_*` (globs: `tests_plural`, `check` and `testmul` do not), static
methods included, fixtures not.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_dbtest
from tests.e2e.test_list import all_ids, list_json
from tests.e2e.test_runner import project, run_json

THINGS = "checks/check_things.py"
PYTEST_IDS = sorted(
    f"{THINGS}::{name}"
    for name in [
        "check_plain",
        "test_plain",
        "check_marked",
        "check_uses_fixture",
        "check_async",
        "CheckMath::check_add",
        "CheckMath::test_sub",
        "CheckMath::check_static",
        "AdditionSuite::check_one",
        "Suite::check_bare_suite",
        "CheckBase::check_inherited",
        "CheckDerived::check_inherited",
        "CheckDerived::check_own",
        "Case::test_a",
        "Case::testb",
    ]
)


def test_list_collects_what_pytest_collects(tmp_path: Path) -> None:
    root = project(tmp_path, "pytest_names")
    doc = list_json(root)  # no warning: every rule is applied
    assert sorted(all_ids(doc)) == PYTEST_IDS
    # A file python_files names that yields no test is said, not dropped.
    text = run_dbtest(["list"], root)
    assert "checks/check_only_helpers.py" in text.stdout + text.stderr
    assert "test_default_named" not in text.stdout + text.stderr


def test_run_runs_exactly_those(tmp_path: Path) -> None:
    root = project(tmp_path, "pytest_names")
    proc, report = run_json(root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    outcomes = {t["id"]: t["outcome"] for t in report["tests"]}
    assert sorted(outcomes) == PYTEST_IDS
    assert set(outcomes.values()) == {"passed"}, outcomes
    assert "not applied" not in proc.stderr


def test_in_process_worker_collects_by_the_same_rules(tmp_path: Path) -> None:
    root = project(tmp_path, "pytest_names")
    proc, report = run_json(root, "--in-process", "-k", "CheckMath")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(t["id"] for t in report["tests"]) == [
        f"{THINGS}::CheckMath::{m}" for m in ("check_add", "check_static", "test_sub")
    ]


def test_ini_forms_and_the_defaults_unchanged(tmp_path: Path) -> None:
    root = project(tmp_path, "pytest_names")
    (root / "pyproject.toml").unlink()
    # pytest.ini, values split on whitespace; python_files left at its default.
    (root / "pytest.ini").write_text("[pytest]\npython_classes = *Math\npython_functions = test\n")
    (root / "checks" / "test_extra.py").write_text(
        "class NumberMath:\n    def test_x(self):\n        pass\n\n\n"
        "class TestNot:\n    def test_y(self):\n        pass\n\n\n"
        "def tests_plural():\n    pass\n"
    )
    extra = "checks/test_extra.py"
    assert sorted(all_ids(list_json(root))) == [
        "checks/test_default_named.py::test_never",
        f"{extra}::NumberMath::test_x",
        f"{extra}::tests_plural",
    ]
    # An empty section: pytest's defaults.
    (root / "pytest.ini").write_text("[pytest]\n")
    assert sorted(all_ids(list_json(root))) == [
        "checks/test_default_named.py::test_never",
        f"{extra}::TestNot::test_y",
        f"{extra}::tests_plural",
    ]
