"""A run always ends: every kind of hung user code, next to innocent tests,
through the real `dbtest`. Each hang ends with its tests' outcomes, the
file and line it hung on, and the innocent tests passing; the run ends
within a bound computed from the timeouts (the subprocess's timeout)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, run_dbtest

TIMEOUT = 2.0  # --timeout; --setup-timeout defaults to it
KILL_GRACE = 2.0  # an async hang's worker is killed this long after its budget
HANG_FILES = 9  # tests/fixtures/runner_hangs/tests/test_hang_*.py


def bound(hangs: int, workers: int = 1) -> float:
    """Seconds the run may take at most: every hang cut in turn on each
    worker (budget, grace, the stack dump), plus start-up and the rest."""
    return hangs * (TIMEOUT + KILL_GRACE + 1.0) / workers + 30.0


def project(tmp_path: Path) -> Path:
    dest = tmp_path / "hangs"
    shutil.copytree(FIXTURES / "runner_hangs", dest)
    return dest


def run(
    root: Path, *args: str, hangs: int = HANG_FILES
) -> tuple[subprocess.CompletedProcess, dict]:
    out = root / "report.json"
    command = ["bench", *args[1:]] if args[:1] == ("bench",) else ["run", *args]
    proc = run_dbtest(
        [command[0], "--headless", "--json", str(out), *command[1:]], root, timeout=bound(hangs)
    )
    assert out.exists(), proc.stdout + proc.stderr
    return proc, json.loads(out.read_text())


def records(report: dict, path: str) -> dict[str, dict]:
    return {t["id"][len(path) + 2 :]: t for t in report["tests"] if t["id"].startswith(path + "::")}


def listed(root: Path) -> list[str]:
    """The ids `dbtest list` shows (a static parse: nothing is imported)."""
    tree = json.loads(run_dbtest(["list", "--format", "json", "--tests"], root).stdout)
    ids = []
    for f in tree["files"]:
        ids += [i["id"] for i in f["items"]]
        ids += [i["id"] for s in f["suites"] for i in s["items"]]
    return ids


def hung_at(record: dict, file: str, line: int) -> bool:
    return f'{file}", line {line}, in' in (record.get("traceback") or "")


@pytest.fixture(scope="module")
def everything(tmp_path_factory):
    """One run of every hang kind at once, on two workers."""
    root = project(tmp_path_factory.mktemp("hangs"))
    proc, report = run(root, "-j", "2", "--timeout", str(TIMEOUT), "tests/")
    return root, proc, report


def test_every_test_ends_with_exactly_one_outcome(everything):
    root, proc, report = everything
    ids = [t["id"] for t in report["tests"]]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(listed(root))
    assert proc.returncode == 1, proc.stdout + proc.stderr


def test_innocent_tests_pass(everything):
    _, _, report = everything
    innocent = records(report, "tests/test_innocent.py")
    assert {k: v["outcome"] for k, v in innocent.items()} == {
        "test_one": "passed",
        "test_two": "passed",
        "test_three": "passed",
    }
    assert (
        records(report, "tests/test_hang_setup_suite.py")["test_beside_the_suite"]["outcome"]
        == "passed"
    )
    assert records(report, "tests/test_hang_module_fixture.py")["test_no_db"]["outcome"] == "passed"


@pytest.mark.parametrize(
    "path, test, outcome, line, says",
    [
        ("test_hang_import.py", "test_never_reached", "error", 3, "import tests/test_hang_import.py timed out after 2s"),
        ("test_hang_setup_suite.py", "Users::test_a", "error", 8, "setup_suite tests/test_hang_setup_suite.py::Users timed out"),
        ("test_hang_setup_suite.py", "Users::test_b", "error", 8, "setup_suite tests/test_hang_setup_suite.py::Users timed out"),
        ("test_hang_async_setup_suite.py", "Carts::test_a", "error", 8, "setup_suite tests/test_hang_async_setup_suite.py::Carts timed out"),
        ("test_hang_module_fixture.py", "test_uses_db", "error", 8, "fixture db (module) timed out after 2s"),
        ("test_hang_unittest.py", "Slow::test_x", "error", 8, "setUpClass tests/test_hang_unittest.py::Slow timed out"),
        ("test_hang_unittest.py", "Slow::test_y", "error", 8, "setUpClass tests/test_hang_unittest.py::Slow timed out"),
        ("test_hang_test.py", "test_sync_forever", "timeout", 6, "timed out after 2"),
        ("test_hang_test.py", "test_async_forever", "timeout", 10, "timed out after 2"),
    ],
)  # fmt: skip
def test_what_hung_says_so_with_its_line(everything, path, test, outcome, line, says):
    _, _, report = everything
    rec = records(report, f"tests/{path}")[test]
    assert rec["outcome"] == outcome, rec
    assert says in rec["message"], rec["message"]
    assert hung_at(rec, path, line), rec.get("traceback")
    # dbtest's own frames are hidden.
    assert "dbtest/execution" not in rec["traceback"], rec["traceback"]


@pytest.mark.parametrize(
    "scope, says, file, line",
    [
        ("tests/test_hang_async_teardown_suite.py::Orders", "teardown_suite tests/test_hang_async_teardown_suite.py::Orders timed out", "test_hang_async_teardown_suite.py", 8),
        ("session", "teardown fixture server (module) timed out", "test_hang_fixture_teardown.py", 9),
    ],
)  # fmt: skip
def test_a_hung_teardown_is_a_run_error_naming_it(tmp_path, scope, says, file, line):
    # Alone with the innocent tests: a module fixture's teardown runs when its
    # worker shuts down, which a worker killed for another hang never does.
    root = project(tmp_path)
    _, report = run(
        root,
        "-j",
        "1",
        "--timeout",
        str(TIMEOUT),
        f"tests/{file}",
        "tests/test_innocent.py",
        hangs=1,
    )
    errors = [e for e in report["run_errors"] if says in e["message"]]
    assert len(errors) == 1, report["run_errors"]
    assert errors[0]["scope"] == scope
    assert hung_at(errors[0], file, line), errors[0]
    # The tests it served kept their outcomes.
    served = records(report, f"tests/{file}")
    assert served and all(t["outcome"] == "passed" for t in served.values()), served


def test_the_console_shows_where_it_hung(everything):
    _, proc, _ = everything
    assert 'test_hang_setup_suite.py", line 8, in setup_suite' in proc.stdout
    assert "time.sleep(1000)  # HANG: setup_suite" in proc.stdout


def test_setup_timeout_alone_bounds_hooks_and_not_tests(tmp_path):
    root = project(tmp_path)
    proc, report = run(
        root, "-j", "1", "--setup-timeout", "1", "tests/test_hang_setup_suite.py", hangs=1
    )
    got = records(report, "tests/test_hang_setup_suite.py")
    assert got["Users::test_a"]["outcome"] == "error"
    assert "timed out after 1s (setup-timeout)" in got["Users::test_a"]["message"]
    assert got["test_beside_the_suite"]["outcome"] == "passed"


def test_a_fixture_that_hung_is_not_waited_for_again_in_the_fresh_worker(tmp_path):
    """The tests after the one whose module fixture hung run in a fresh
    worker, where the fixture fails at once: one hang, not one per test."""
    root = project(tmp_path)
    (root / "tests" / "test_hang_module_fixture.py").write_text(
        "import time\n\nfrom dbtest import fixture\n\n\n"
        "@fixture(scope='module')\ndef db():\n    time.sleep(1000)\n    yield 1\n\n\n"
        + "".join(f"def test_{i}(db):\n    pass\n\n\n" for i in range(4))
    )
    proc, report = run(
        root, "-j", "1", "--timeout", str(TIMEOUT), "tests/test_hang_module_fixture.py", hangs=1
    )
    got = records(report, "tests/test_hang_module_fixture.py")
    assert [t["outcome"] for t in got.values()] == ["error"] * 4
    first = got["test_0"]
    assert hung_at(first, "test_hang_module_fixture.py", 8)
    for rest in ("test_1", "test_2", "test_3"):
        assert "hung earlier in this run" in got[rest]["message"], got[rest]
    crashes = proc.stdout.count("killed: fixture db (module) timed out")
    assert crashes == 1, proc.stdout


def test_a_benchmark_group_setup_that_hangs(tmp_path):
    root = project(tmp_path)
    proc, report = run(root, "bench", "--timeout", str(TIMEOUT), "tests/bench_hang.py", hangs=1)
    (entry,) = report["benchmarks"]
    assert "setup of benchmark group tests/bench_hang.py::slow_setup timed out" in entry["error"]
    # The stack is the measuring process's, where the hook runs.
    assert 'bench_hang.py", line 10, in prepare' in entry["error"], entry["error"]
    assert proc.returncode == 1


def test_in_process_a_sync_hang_is_abandoned_and_an_async_one_cancelled(tmp_path):
    root = project(tmp_path)
    files = ["tests/test_hang_setup_suite.py", "tests/test_hang_async_setup_suite.py"]
    proc, report = run(
        root, "--in-process", "--timeout", str(TIMEOUT), *files, "tests/test_innocent.py", hangs=2
    )
    sync = records(report, files[0])
    assert sync["Users::test_a"]["outcome"] == "error"
    assert sync["test_beside_the_suite"]["outcome"] == "passed"
    carts = records(report, files[1])["Carts::test_a"]
    assert carts["outcome"] == "error" and hung_at(carts, "test_hang_async_setup_suite.py", 8)
    assert all(t["outcome"] == "passed" for t in records(report, "tests/test_innocent.py").values())


def test_run_timeout_cuts_a_test_that_sleeps_forever_without_a_test_timeout(tmp_path):
    root = tmp_path / "p"
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_forever.py").write_text(
        "import time\n\n\ndef test_forever():\n    time.sleep(1000)\n"
    )
    (root / "tests" / "test_quick.py").write_text("def test_quick():\n    pass\n")
    out = root / "r.json"
    junit = root / "j.xml"
    proc = run_dbtest(
        ["--headless", "-j", "2", "--run-timeout", "3", "--json", str(out), "--junit", str(junit)],
        root,
        timeout=bound(1),
    )
    assert proc.returncode == 1
    report = json.loads(out.read_text())
    got = {t["id"].rsplit("::", 1)[1]: t for t in report["tests"]}
    assert got["test_quick"]["outcome"] == "passed"
    assert got["test_forever"]["outcome"] == "timeout"
    assert "run's deadline" in got["test_forever"]["message"]
    assert hung_at(got["test_forever"], "test_forever.py", 5)
    assert any(
        "deadline (run-timeout 3s) was reached" in e["message"] for e in report["run_errors"]
    )
    assert junit.exists()
    assert "deadline" in proc.stdout


def test_slow_is_announced_counted_and_kills_nothing(tmp_path):
    root = tmp_path / "p"
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_slow.py").write_text(
        "import time\n\n\ndef test_slow():\n    time.sleep(2.5)\n"
    )
    out = root / "r.json"
    proc = run_dbtest(["--headless", "--slow-timeout", "1", "--json", str(out)], root)
    assert proc.returncode == 0, proc.stdout
    assert "SLOW    1s tests/test_slow.py::test_slow" in proc.stdout
    assert "SLOW    2s tests/test_slow.py::test_slow" in proc.stdout
    report = json.loads(out.read_text())
    assert report["tests"][0]["outcome"] == "passed"
    assert report["slow"] == [{"what": "tests/test_slow.py::test_slow", "seconds": 2.0}]
    assert report["summary"]["slow"] == 1
    assert "1 slow" in proc.stdout


def test_leaks_are_noted_never_a_hang(tmp_path):
    root = tmp_path / "leaks"
    shutil.copytree(FIXTURES / "runner_leaks", root)
    out = root / "r.json"
    junit = root / "j.xml"
    proc = run_dbtest(
        ["--headless", "-j", "1", "--json", str(out), "--junit", str(junit)], root, timeout=60
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    got = {t["id"].rsplit("::", 1)[1]: t for t in json.loads(out.read_text())["tests"]}
    assert got["test_leaves_a_thread"]["leak"] == "thread 'poller' (non-daemon) still running"
    assert got["test_leaves_a_process"]["leak"].startswith("child process ")
    assert got["test_leaves_a_process"]["leak"].endswith(" (sleep) still running")
    assert "leak" not in got["test_cleans_up"]
    assert "LEAK tests/test_leaks.py::test_leaves_a_thread" in proc.stdout
    assert "2 leaked" in proc.stdout
    assert '<property name="leak" value="thread' in junit.read_text()
    # The process it left was killed with its worker's process group.
    pid = got["test_leaves_a_process"]["leak"].split()[2]
    assert (
        not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
    )
