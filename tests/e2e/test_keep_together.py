"""`keep-together`: a module whose classes share state runs as one unit, in
`python -m unittest`'s order (`tests/fixtures/unittest_order`)."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_runner import project, run_json

STATEFUL = "tests/test_stateful.py"


def _units(report: dict) -> dict[str, set[int]]:
    """The workers each file's tests ran on."""
    out: dict[str, set[int]] = {}
    for t in report["tests"]:
        out.setdefault(t["id"].split("::")[0], set()).add(t["worker"])
    return out


def test_a_kept_module_runs_whole_and_in_unittests_order(tmp_path: Path) -> None:
    root = project(tmp_path, "unittest_order")
    for _ in range(3):  # a lucky schedule must not be what passes
        proc, report = run_json(root, "-j", "2")
        got = {t["id"].split("::", 1)[1]: t["outcome"] for t in report["tests"]}
        assert got == {
            "TestA_Create::test_create": "passed",
            "TestB_Use::test_use": "passed",
            "TestOne::test_one": "passed",
            "TestTwo::test_two": "passed",
        }, proc.stdout
        assert len(_units(report)[STATEFUL]) == 1
    assert proc.returncode == 0


def test_without_it_the_dependent_class_fails_alone(tmp_path: Path) -> None:
    root = project(tmp_path, "unittest_order")
    (root / "pyproject.toml").write_text("[tool.dbtest]\n")
    proc, report = run_json(root, f"{STATEFUL}::TestB_Use")
    assert [t["outcome"] for t in report["tests"]] == ["failed"]
    # Kept together, selecting one class still runs it in its module's unit.
    (root / "pyproject.toml").write_text('[tool.dbtest]\nkeep-together = "module"\n')
    proc, report = run_json(root, STATEFUL)
    assert {t["outcome"] for t in report["tests"]} == {"passed"}


def test_a_shard_never_splits_a_kept_module(tmp_path: Path) -> None:
    root = project(tmp_path, "unittest_order")
    shards = []
    for m in (1, 2):
        _, report = run_json(root, "--partition", f"hash:{m}/2")
        shards.append({t["id"] for t in report["tests"] if t["id"].startswith(STATEFUL)})
    assert sorted(len(s) for s in shards) == [0, 2]


def test_a_bad_value_is_one_line(tmp_path: Path) -> None:
    from tests.conftest import run_dbtest

    root = project(tmp_path, "unittest_order")
    (root / "pyproject.toml").write_text('[tool.dbtest]\nkeep-together = "file"\n')
    proc = run_dbtest(["list"], root)
    assert proc.returncode == 4
    assert "keep-together" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
