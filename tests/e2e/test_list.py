"""End to end: the real `dbtest list` executable on fixture projects."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, run_dbtest

BASIC = FIXTURES / "list_basic"


def list_json(cwd: Path, *args: str) -> dict:
    proc = run_dbtest(["list", "--format", "json", *args], cwd)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return json.loads(proc.stdout)


def all_ids(doc: dict) -> list[str]:
    out = []
    for f in doc["files"]:
        for s in f["suites"]:
            out.extend(i["id"] for i in s["items"])
        out.extend(i["id"] for i in f["items"])
    return out


def test_json_tree_matches_expected() -> None:
    doc = list_json(BASIC)
    assert doc["version"] == 1
    assert Path(doc["root"]) == BASIC
    timing = doc.pop("timing")
    assert timing["discovery_ms"] > 0 and timing["filter_ms"] >= 0
    doc.pop("root")
    expected = json.loads((BASIC / "expected.json").read_text())
    assert doc == expected


def test_json_tree_facts() -> None:
    doc = list_json(BASIC)
    by_path = {f["path"]: f for f in doc["files"]}
    assert list(by_path) == sorted(by_path)
    users = by_path["tests/test_users.py"]
    suite = users["suites"][0]
    assert (suite["name"], suite["kind"], suite["tags"]) == ("Users", "suite", ["db"])
    inserts = suite["items"][0]
    assert inserts["id"] == "tests/test_users.py::Users::inserts"
    assert inserts["is_async"] is True
    assert inserts["tags"] == ["db", "slow"]
    assert inserts["timeout"] == 2.0
    assert [i["params"] for i in suite["items"][2:]] == ["1", "two"]
    legacy = users["suites"][1]
    assert (legacy["kind"], legacy["items"][0]["style"]) == ("unittest", "unittest")
    module = {i["name"]: i for i in users["items"]}
    assert module["test_skipped"]["skip"] == "not yet"
    assert module["test_known_bug"]["xfail"] is True
    broken = by_path["tests/test_broken.py"]
    assert broken["error"]["line"] == 1
    assert doc["errors"] == [broken["error"]]
    bench = by_path["benches/bench_json.py"]
    assert bench["kind"] == "bench"
    assert bench["suites"][0]["items"][0]["id"] == "benches/bench_json.py::json::dumps"
    assert doc["counts"] == {
        "tests": 8,
        "benches": 1,
        "files": 4,
        "errors": 1,
        "discovered": 9,
        "uncollected": 0,
        "empty_files": 0,
    }


def test_text_output_and_count_line() -> None:
    proc = run_dbtest(["list"], BASIC)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "benches/bench_json.py"
    assert "  Users [db]" in lines
    assert "    inserts [slow] (async; timeout 2s)" in lines
    assert "  collection error: line 1: syntax error: '(' was never closed" in lines
    assert "\x1b[" not in proc.stdout  # no colour when not a terminal
    assert lines[-1].startswith(
        "8 tests, 1 benchmark in 4 files, 1 collection error [discovered in "
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-k", "count"], ["Users::test_count[1]", "Users::test_count[two]"]),
        (["-k", "test_count[?]"], ["Users::test_count[1]"]),
        (["--tags", "slow,io"], ["json::dumps", "Users::inserts"]),
        (["-E", "tag(db) - test(~count)"], ["Users::inserts", "Users::test_delete"]),
        (["-E", "kind(bench) or file(#*/integration/*)"], ["json::dumps", "test_call"]),
        (["--bench"], ["json::dumps"]),
        (["--tests", "-E", "suite(=Legacy)"], ["Legacy::test_old"]),
        (
            ["tests/test_users.py::Users::test_count"],
            ["Users::test_count[1]", "Users::test_count[two]"],
        ),
        (["tests/integration"], ["test_call"]),
    ],
)
def test_filters(args: list[str], expected: list[str]) -> None:
    doc = list_json(BASIC, *args)
    got = [i.split("::", 1)[1] for i in all_ids(doc)]
    assert sorted(got) == sorted(expected)
    assert doc["counts"]["discovered"] == (9 if not args[0].startswith("tests/") else len(got))


def test_nothing_selected_is_not_an_error() -> None:
    proc = run_dbtest(["list", "-k", "no-such-test"], BASIC)
    assert proc.returncode == 0
    assert proc.stdout.splitlines()[-1].startswith("0 tests in 1 file (selected from 9)")


def test_bad_filter_exit_4_with_caret() -> None:
    proc = run_dbtest(["list", "-E", "tag(db) & (kind(test)"], BASIC)
    assert proc.returncode == 4
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert (
        lines[0]
        == "dbtest: error: invalid filter at column 22: expected ')' to close the '(' at column 11"
    )
    assert lines[1].strip() == "tag(db) & (kind(test)"
    # the caret sits under column 22 of the expression
    assert lines[2].index("^") - lines[1].index("t") == 21
    assert "Traceback" not in proc.stderr


def test_bad_config_exit_4_names_key_and_file() -> None:
    proc = run_dbtest(["list"], FIXTURES / "list_badconfig")
    assert proc.returncode == 4
    assert "Traceback" not in proc.stderr
    [line] = proc.stderr.splitlines()
    assert "'workerz'" in line and "list_badconfig/pyproject.toml" in line


@pytest.mark.parametrize(
    "args",
    [["--format", "xml"], ["--bench", "--tests"], ["no/such/dir"]],
)
def test_usage_errors(args: list[str]) -> None:
    proc = run_dbtest(["list", *args], BASIC)
    assert proc.returncode == 4
    assert len(proc.stderr.splitlines()) == 1
    assert proc.stderr.startswith("dbtest: error: ")


def test_list_does_not_import_tests_or_rich(tmp_path: Path) -> None:
    """The static parse never runs user code, and the list path stays lean."""
    project = tmp_path / "proj"
    shutil.copytree(BASIC, project)
    (project / "tests" / "test_boom.py").write_text(
        "open('IMPORTED', 'w').write('x')\nraise SystemExit(3)\n\ndef test_a():\n    pass\n"
    )
    proc = run_dbtest(["list", "--format", "json"], project, env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert proc.returncode == 0, proc.stderr
    assert not (project / "IMPORTED").exists()
    assert "tests/test_boom.py::test_a" in all_ids(json.loads(proc.stdout))
    imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert {"rich", "asyncio", "typer", "pydantic"}.isdisjoint(imported)


def test_list_help_goes_through_typer() -> None:
    proc = run_dbtest(["list", "--help"], BASIC)
    assert proc.returncode == 0, proc.stderr
    assert "--filter" in proc.stdout and "--tags" in proc.stdout


LITERALS = r"""
from dbtest import parametrize


@parametrize("v", [1e-5, 1.5e-7, 1e16, 1.5e16, 123456789012345678.0, 1e15, 0.0001,
                   -0.0, 0.1, 2.5, 1e22, 5e-324, 1_000.5, -3e-10])
def test_floats(v):
    pass


@parametrize("v", ["\x41", "caf\u00e9", "\101", "\U0001F600", "a\tb", "\d", "\0", "\012",
                   "x\
y", r"\x41"])
def test_strings(v):
    pass


@parametrize("v", [2j])
def test_complex(v):
    pass


@parametrize("v", [100000000000000000000])
def test_big_int(v):
    pass


@parametrize("v", ["\N{BULLET}"])
def test_named_escape(v):
    pass
"""


def test_static_case_ids_are_the_ids_the_import_gives(tmp_path):
    # Where the parse cannot compute a value's id exactly, it lists the
    # function alone and the import decides; a case is never lost.
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_lit.py").write_text(LITERALS)
    listed = set(all_ids(list_json(tmp_path)))
    out = tmp_path / "r.json"
    proc = run_dbtest(["--headless", "--json", str(out)], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ran = {t["id"]: t["outcome"] for t in json.loads(out.read_text())["tests"]}
    assert set(ran.values()) == {"passed"}, ran
    exact = {i for i in ran if "test_floats" in i or "test_strings" in i}
    assert len(exact) == 24
    assert exact <= listed, sorted(exact - listed)
    for name in ("test_complex", "test_big_int", "test_named_escape"):
        assert f"tests/test_lit.py::{name}" in listed
        assert [i for i in ran if f"::{name}[" in i], name


def test_an_id_that_names_nothing_is_a_usage_error(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("def test_real():\n    pass\n")
    (tmp_path / "tests" / "test_broken.py").write_text("def test_x(:\n")
    for cmd in (["list"], ["--headless"]):
        proc = run_dbtest([*cmd, "tests/test_a.py::test_typo"], tmp_path)
        assert proc.returncode == 4, proc.stdout + proc.stderr
        assert proc.stderr == "dbtest: error: no test or suite named tests/test_a.py::test_typo\n"
    assert run_dbtest(["--headless", "tests/test_a.py::test_real"], tmp_path).returncode == 0
    # A file that does not parse cannot say what it holds: its error is shown instead.
    proc = run_dbtest(["--headless", "tests/test_broken.py::test_x"], tmp_path)
    assert proc.returncode == 1 and "no test or suite named" not in proc.stderr, proc.stderr


def test_two_test_packages_of_one_name_are_an_error_whatever_the_workers(tmp_path):
    # A monorepo: libs/bar/tests and libs/foo/tests are both the package `tests`.
    (tmp_path / "pyproject.toml").write_text('[tool.dbtest]\npaths = ["libs"]\n')
    for lib in ("bar", "foo"):
        pkg = tmp_path / "libs" / lib / "tests"
        pkg.mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "helpers.py").write_text(f"LIB = {lib!r}\n")
        (pkg / f"test_{lib}.py").write_text(
            f"from .helpers import LIB\n\n\ndef test_{lib}_helpers():\n    assert LIB == {lib!r}\n"
        )
    doc = list_json(tmp_path)
    errors = {e["path"]: e["message"] for e in doc["errors"]}
    assert list(errors) == ["libs/foo/tests/test_foo.py"], errors
    assert (
        "package 'tests' in libs/foo/tests has the same name as"
        in errors["libs/foo/tests/test_foo.py"]
    )
    for workers in ("1", "2"):
        out = tmp_path / f"r{workers}.json"
        proc = run_dbtest(["--headless", "-j", workers, "--json", str(out)], tmp_path)
        report = json.loads(out.read_text())
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert {t["id"]: t["outcome"] for t in report["tests"]} == {
            "libs/bar/tests/test_bar.py::test_bar_helpers": "passed"
        }
        assert [e["path"] for e in report["collection_errors"]] == ["libs/foo/tests/test_foo.py"]


def test_a_test_file_that_yields_no_test_is_said(tmp_path: Path) -> None:
    root = tmp_path / "p"
    (root / "tests").mkdir(parents=True)
    # A test made by a function at import: no def of a test's name in sight.
    (root / "tests" / "test_hidden.py").write_text(
        "def make():\n    def check():\n        pass\n    return check\n\ntest_hidden = make()\n"
    )
    (root / "tests" / "test_ok.py").write_text("def test_ok():\n    pass\n")
    listed = run_dbtest(["list"], root)
    assert "  not collected: no test found (tests made at import" in listed.stdout
    assert listed.stdout.splitlines()[-1].startswith("1 test in 2 files, 1 file with no test")
    ran = run_dbtest(["--headless"], root)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "NOT COLLECTED tests/test_hidden.py: no test found" in ran.stdout
    assert "1 passed, 1 file with no test" in ran.stdout.splitlines()[-1]
