"""The project's pytest configuration, read where `[tool.dbtest]` is silent:
`setup.cfg [tool:pytest]` with `testpaths`, `python_files`, `norecursedirs`, `addopts`
(`-m` applied, the rest named in one warning), `xfail_strict` and
`filterwarnings` (`tests/fixtures/pytest_config`); pytest 9's `pytest.toml` and
`[tool.pytest]` with native TOML types, and which config file wins."""

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


def _toml_project(tmp_path: Path, files: dict[str, str]) -> Path:
    """tests/test_m.py (one plain test, one `slow`, one strict-xfail that
    passes) and the config files given."""
    root = tmp_path / "p"
    (root / "tests").mkdir(parents=True)
    (root / "other").mkdir()
    (root / "tests" / "test_m.py").write_text(
        "import pytest\n\n"
        "def test_plain():\n    pass\n\n"
        "@pytest.mark.slow\ndef test_slow():\n    pass\n\n"
        "@pytest.mark.xfail\ndef test_xpass():\n    pass\n"
    )
    (root / "other" / "test_o.py").write_text("def test_other():\n    pass\n")
    for name, text in files.items():
        (root / name).write_text(text)
    return root


NATIVE = (
    'addopts = ["-m", "not slow", "--durations=3"]\n'
    'testpaths = ["tests"]\n'
    "xfail_strict = true\n"
    'minversion = "9.0"\n'
)


def _ran(root: Path) -> tuple[dict[str, tuple[str, bool]], list[str], int]:
    proc, report = run_json(root)
    got = {t["id"].split("::")[-1]: (t["outcome"], t.get("strict", False)) for t in report["tests"]}
    warnings = [line for line in proc.stderr.splitlines() if "warning" in line]
    return got, warnings, proc.returncode


def test_pytest_toml_native_types(tmp_path: Path) -> None:
    root = _toml_project(tmp_path, {"pytest.toml": f"[pytest]\n{NATIVE}"})
    got, warnings, code = _ran(root)
    # testpaths leaves other/ out, `-m "not slow"` deselects, xfail_strict
    # (a TOML boolean) makes the xpass strict and fail the run.
    assert got == {"test_plain": ("passed", False), "test_xpass": ("xpassed", True)}
    assert code == 1
    assert warnings == [
        "dbtest: warning: not applied from the pytest configuration in pytest.toml: --durations=3"
    ]


def test_tool_pytest_in_pyproject_is_native_toml(tmp_path: Path) -> None:
    root = _toml_project(tmp_path, {"pyproject.toml": f"[tool.pytest]\n{NATIVE}"})
    got, _, _ = _ran(root)
    assert got == {"test_plain": ("passed", False), "test_xpass": ("xpassed", True)}
    # An ini-style string where pytest 9 takes a list is named, not applied.
    root = _toml_project(
        tmp_path / "strings",
        {"pyproject.toml": '[tool.pytest]\naddopts = "-m slow"\ntestpaths = ["tests"]\n'},
    )
    got, warnings, _ = _ran(root)
    assert set(got) == {"test_plain", "test_slow", "test_xpass"}
    assert warnings == [
        "dbtest: warning: not applied from the pytest configuration in pyproject.toml: "
        'addopts = "-m slow" (native TOML: a list of strings)'
    ]


def test_config_files_in_pytest_9s_precedence(tmp_path: Path) -> None:
    # Each file selects another test than the next one; the first in
    # pytest's order wins, an empty pytest.toml included.
    ini = "[pytest]\naddopts = -k {}\n"
    candidates = [
        ("pytest.toml", '[pytest]\naddopts = ["-k", "test_plain"]\n', "test_plain"),
        (".pytest.toml", '[pytest]\naddopts = ["-k", "test_slow"]\n', "test_slow"),
        ("pytest.ini", ini.format("test_xpass"), "test_xpass"),
        (".pytest.ini", ini.format("test_plain"), "test_plain"),
        ("pyproject.toml", '[tool.pytest]\naddopts = ["-k", "test_slow"]\n', "test_slow"),
        ("tox.ini", ini.format("test_xpass"), "test_xpass"),
        ("setup.cfg", "[tool:pytest]\naddopts = -k test_plain\n", "test_plain"),
    ]
    for i, (name, _, selected) in enumerate(candidates):
        root = _toml_project(tmp_path / str(i), {n: t for n, t, _ in candidates[i:]})
        got, _, _ = _ran(root)
        assert list(got) == [selected], (name, got)
    root = _toml_project(tmp_path / "empty", {"pytest.toml": "", "tox.ini": ini.format("x")})
    got, _, _ = _ran(root)
    assert set(got) == {"test_plain", "test_slow", "test_xpass"}


def test_a_broken_pytest_toml_is_a_config_error(tmp_path: Path) -> None:
    root = _toml_project(tmp_path, {"pytest.toml": "[pytest\ntestpaths = 1\n"})
    proc = run_dbtest(["list"], root)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert proc.stderr.startswith("dbtest: error: "), proc.stderr
    assert "pytest.toml" in proc.stderr and "line 1" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
