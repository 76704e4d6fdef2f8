"""End to end: `dbtest --changed` and `dbtest list --changed` in a temporary
git repository made from `tests/fixtures/changed_project`.

The project: tests/test_a.py imports pkg.b, which imports pkg.c (a
two-level chain); tests/test_direct.py imports pkg.c; tests/test_other.py
imports only pkg.d (and the standard library).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, run_dbtest

if shutil.which("git") is None:
    pytest.skip("git is not installed", allow_module_level=True)


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    shutil.copytree(FIXTURES / "changed_project", root)
    git(root, "init", "-q")
    git(root, "-c", "user.email=t@t", "-c", "user.name=t", "add", "-A")
    git(root, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "init")
    return root


def listed(root: Path, *args: str) -> dict:
    proc = run_dbtest(["list", "--format", "json", "--changed", *args], root)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def ids(doc: dict) -> list[str]:
    return sorted(i["id"] for f in doc["files"] for i in f["items"])


def test_a_change_selects_its_importers_through_a_two_level_chain(repo: Path) -> None:
    (repo / "pkg/c.py").write_text("def c():\n    return 1\n\n\nVERSION = 2\n")
    proc = run_dbtest(["list", "--changed"], repo)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "changed since HEAD: pkg/c.py"
    assert "tests/test_a.py -> pkg/b.py -> pkg/c.py (changed)" in lines
    assert "tests/test_direct.py -> pkg/c.py (changed)" in lines
    assert "test_other" not in proc.stdout

    doc = listed(repo)
    assert ids(doc) == ["tests/test_a.py::test_a", "tests/test_direct.py::test_direct"]
    assert doc["changed"]["chains"]["tests/test_a.py"] == [
        "tests/test_a.py",
        "pkg/b.py",
        "pkg/c.py",
    ]

    run = run_dbtest(["--changed", "--headless", "-v"], repo)
    assert run.returncode == 0, run.stderr
    assert "test_a" in run.stdout and "test_direct" in run.stdout
    assert "test_other" not in run.stdout
    assert "dbtest: changed since HEAD: pkg/c.py" in run.stderr


def test_untracked_and_committed_changes_count(repo: Path) -> None:
    (repo / "tests/test_new.py").write_text("def test_new():\n    pass\n")
    assert ids(listed(repo)) == ["tests/test_new.py::test_new"]
    git(repo, "-c", "user.email=t@t", "-c", "user.name=t", "add", "-A")
    git(repo, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "new")
    (repo / "pkg/d.py").write_text("def d():\n    return 2\n\n\nX = 1\n")
    # Since the first commit: the new test file and the changed pkg/d.py.
    assert ids(listed(repo, "HEAD~1")) == [
        "tests/test_new.py::test_new",
        "tests/test_other.py::test_other",
    ]
    # Without REF: only what is not committed.
    assert ids(listed(repo)) == ["tests/test_other.py::test_other"]


def test_a_change_the_graph_cannot_see_selects_everything_and_says_why(repo: Path) -> None:
    (repo / "pkg/data.json").write_text("{}\n")
    proc = run_dbtest(["list", "--changed"], repo)
    assert proc.returncode == 0, proc.stderr
    assert (
        "everything selected: pkg/data.json changed, and the import graph cannot see "
        "what reads a file that is not Python"
    ) in proc.stdout
    assert "3 tests in 3 files" in proc.stdout
    run = run_dbtest(["--changed", "--headless"], repo)
    assert run.returncode == 0, run.stderr
    assert "dbtest: everything selected: pkg/data.json changed" in run.stderr
    assert "3 passed" in run.stdout


def test_nothing_changed_selects_nothing(repo: Path) -> None:
    proc = run_dbtest(["list", "--changed"], repo)
    assert proc.returncode == 0
    assert proc.stdout.startswith("nothing changed since HEAD\n")
    run = run_dbtest(["--changed", "--headless"], repo)
    assert run.returncode == 5, run.stdout + run.stderr


def test_a_path_after_changed_is_a_path_not_a_ref(repo: Path) -> None:
    (repo / "pkg/c.py").write_text("def c():\n    return 1\n\n\nX = 3\n")
    proc = run_dbtest(["list", "--changed", "tests/test_direct.py"], repo)
    assert proc.returncode == 0, proc.stderr
    assert "test_direct" in proc.stdout and "test_a" not in proc.stdout


def test_the_graph_is_cached_in_dot_dbtest(repo: Path) -> None:
    (repo / "pkg/c.py").write_text("def c():\n    return 1\n\n\nX = 4\n")
    listed(repo)
    cache = json.loads((repo / ".dbtest/imports.json").read_text())
    assert cache["files"]["pkg/b.py"]["imports"] == [{"level": 1, "module": "c", "names": ["c"]}]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--changed=no-such-ref"], "dbtest: error: --changed: unknown git ref 'no-such-ref'\n"),
        (["--changed", "no-such-ref"], "dbtest: error: --changed: unknown git ref 'no-such-ref'\n"),
    ],
)
def test_a_bad_ref_is_one_line_and_exit_4(repo: Path, args: list[str], message: str) -> None:
    for command in (["list"], ["run"]):
        proc = run_dbtest([*command, *args], repo)
        assert proc.returncode == 4
        assert proc.stderr == message
        assert "Traceback" not in proc.stdout


def test_outside_a_git_repository_is_one_line_and_exit_4(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    shutil.copytree(FIXTURES / "changed_project", root)
    proc = run_dbtest(["--changed"], root, env={"GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert proc.returncode == 4
    assert proc.stderr.startswith("dbtest: error: --changed needs a git repository")
    assert proc.stderr.count("\n") == 1
