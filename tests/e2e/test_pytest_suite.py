"""A suite written for pytest runs unchanged under dbtest, with pytest itself
as the oracle.

`tests/fixtures/pytest_suite` uses pytest's vocabulary only: plain `Test*`
classes, xunit setups, `pytest.mark.*` (through `import pytest` and `from
pytest import mark`), `pytestmark`, `@pytest.fixture` with params and
autouse, conftest.py fixtures overriding each other, the built-in fixtures,
`pytest.skip()`/`xfail()`/`fail()`/`importorskip()`. Both runners run it;
every test must get pytest's id and pytest's outcome, except the few
differences dbtest makes on purpose (listed, each with its reason, and in
docs/compat.md).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_dbtest
from tests.e2e.test_runner import project, run_json

PYTEST_WORDS = {
    "PASSED": "passed",
    "FAILED": "failed",
    "ERROR": "error",
    "SKIPPED": "skipped",
    "XFAIL": "xfailed",
    "XPASS": "xpassed",
}

# Where dbtest differs from pytest on purpose: id -> (pytest, dbtest).
ON_PURPOSE = {
    # dbtest runs async tests natively; pytest needs a plugin and fails them.
    "tests/test_classes.py::TestPlain::test_async": ("failed", "passed"),
    "tests/test_classes.py::TestInherits::test_async": ("failed", "passed"),
    # An exception other than a failed assertion is an error, as in
    # unittest; pytest calls it a failure. Both fail the run.
    "tests/test_marks.py::test_filterwarnings_errors": ("failed", "error"),
    "tests/test_marks.py::test_xfail_wrong_exception": ("failed", "error"),
    # A strict xfail that passes is `xpassed` (strict), failing the run as
    # pytest's `FAILED [XPASS(strict)]` does.
    "tests/test_marks.py::test_xfail_strict_passes": ("failed", "xpassed"),
    # pytest reports a module that skips itself once, as the module; dbtest
    # gives each of its tests the outcome.
    "tests/test_importorskip.py::test_never_runs": (None, "skipped"),
}


def pytest_outcomes(root: Path) -> dict[str, str]:
    """Each test's outcome as pytest itself reports it (`-v` lines)."""
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-v", "--tb=no"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out: dict[str, str] = {}
    for line in proc.stdout.splitlines():
        m = re.match(r"^(\S+::\S+) (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b", line)
        if m and m[1] not in out:  # a teardown error repeats the id
            out[m[1]] = PYTEST_WORDS[m[2]]
    assert out, proc.stdout + proc.stderr
    return out


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict[str, str]]:
    root = project(tmp_path_factory.mktemp("pytest_suite"), "pytest_suite")
    oracle = pytest_outcomes(root)
    shutil.rmtree(root / ".pytest_cache", ignore_errors=True)
    (root / "teardown_module.mark").unlink(missing_ok=True)
    _, report = run_json(root)
    return root, report, oracle


def test_every_test_gets_pytests_id_and_outcome(suite: tuple[Path, dict, dict[str, str]]) -> None:
    _, report, oracle = suite
    got = {t["id"]: t["outcome"] for t in report["tests"]}
    differ = {
        i: (oracle.get(i), got.get(i))
        for i in sorted(set(oracle) | set(got))
        if oracle.get(i) != got.get(i)
    }
    assert differ == ON_PURPOSE
    # The suite really exercises both sides: most tests pass, some fail.
    assert len(oracle) > 80
    assert {"passed", "failed", "skipped", "xfailed", "xpassed", "error"} <= set(got.values())


def test_messages_say_what_pytest_says(suite: tuple[Path, dict, dict[str, str]]) -> None:
    _, report, _ = suite
    by_id = {t["id"]: t for t in report["tests"]}
    assert by_id["tests/test_marks.py::test_skip_call"]["message"] == "decided at run time"
    assert by_id["tests/test_marks.py::test_skip"]["message"] == "not today"
    assert "explicit failure" in by_id["tests/test_marks.py::test_fail_call"]["message"]
    missing = by_id["tests/unit/test_fixtures.py::test_missing_fixture"]["message"]
    assert "fixture 'no_such_fixture' not found" in missing
    assert "tests/conftest.py" in missing and "tests/unit/conftest.py" in missing
    assert by_id["tests/test_marks.py::test_xfail_not_run"]["message"].startswith("[NOTRUN]")


def test_teardown_module_runs_after_the_modules_tests(
    suite: tuple[Path, dict, dict[str, str]],
) -> None:
    root, _, _ = suite
    assert (root / "teardown_module.mark").read_text() == "setup_module,teardown_module"


def test_custom_marks_are_tags(tmp_path: Path) -> None:
    root = project(tmp_path, "pytest_suite")
    _, report = run_json(root, "--tags", "slow")
    assert sorted(t["id"] for t in report["tests"]) == [
        "tests/test_marks.py::test_custom_mark",
        "tests/test_module_marks.py::TestInside::test_class_skip",
        "tests/test_module_marks.py::test_module_xfail",
    ]


def test_list_names_the_class_it_does_not_collect(tmp_path: Path) -> None:
    root = project(tmp_path, "pytest_suite")
    proc = run_dbtest(["list"], root)
    assert proc.returncode == 0, proc.stderr
    assert "TestHasInit (line 62): not collected: has an __init__ constructor" in proc.stdout
    assert "TestOptedOut" not in proc.stdout  # `__test__ = False`: the author's choice
    assert "1 class not collected" in proc.stdout.splitlines()[-1]


def test_conftest_hooks_are_named_not_run(tmp_path: Path) -> None:
    root = project(tmp_path, "pytest_suite")
    proc = run_dbtest(["--headless", "-q"], root)
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("dbtest: warning")]
    assert warnings == [
        "dbtest: warning: tests/conftest.py: pytest hooks not run: pytest_collection_modifyitems"
    ]
