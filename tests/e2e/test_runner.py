"""The runner end to end: the real `dbtest` on fixture projects, judged by
its JSON report. No wall-clock thresholds: overlap is measured from the
recorded start times and durations."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, interrupt_dbtest, run_dbtest


def project(tmp_path: Path, name: str) -> Path:
    dest = tmp_path / name
    # Leave out what a run by hand inside the fixture would have left behind.
    junk = shutil.ignore_patterns(".dbtest", "__pycache__", "*.log", "*.mark", "report.json")
    shutil.copytree(FIXTURES / name, dest, ignore=junk)
    return dest


def run_json(cwd: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    out = cwd / "report.json"
    proc = run_dbtest(["--headless", "--json", str(out), *args], cwd)
    assert out.exists(), proc.stderr
    return proc, json.loads(out.read_text())


def project_with(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    """A project whose only test file is tests/NAME."""
    root = tmp_path / "p"
    (root / "tests").mkdir(parents=True)
    (root / "tests" / name).write_text(text, encoding=encoding)
    return root


def outcomes(report: dict) -> dict[str, str]:
    return {t["id"].split("::", 1)[1]: t["outcome"] for t in report["tests"]}


def test_faults_each_get_their_outcome_and_nothing_else_is_lost(tmp_path):
    root = project(tmp_path, "runner_faults")
    proc, report = run_json(root, "-j", "2")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    got = outcomes(report)
    assert got.pop("test_segfault") == "crashed"
    assert got.pop("test_os_exit") == "crashed"
    assert got.pop("test_hang_sync") == "timeout"
    assert got.pop("test_hang_async") == "timeout"
    assert set(got.values()) == {"passed"}, got
    assert len(got) == 8

    by_name = {t["id"].split("::")[-1]: t for t in report["tests"]}
    assert "SIGSEGV" in by_name["test_segfault"]["message"]
    assert "about to crash" in by_name["test_segfault"]["stdout"]
    assert "exit code 3" in by_name["test_os_exit"]["message"]
    assert "sleeping forever" in by_name["test_hang_sync"]["stdout"]

    # The invariant: one record per selected test, and the counts add up.
    listed = json.loads(run_dbtest(["list", "--format", "json"], root).stdout)
    ids = sorted(t["id"] for t in report["tests"])
    assert len(ids) == len(set(ids)) == report["summary"]["total"]
    assert report["summary"]["total"] == listed["counts"]["tests"]
    # setup_suite ran once although the suite has three tests.
    assert (root / "setup_suite.log").read_text().splitlines() == ["setup"]


def max_overlap(records: list[dict]) -> int:
    edges = []
    for r in records:
        edges.append((r["start"], 1))
        edges.append((r["start"] + r["duration"], -1))
    edges.sort(key=lambda e: (e[0], e[1]))
    now = best = 0
    for _, d in edges:
        now += d
        best = max(best, now)
    return best


def test_async_tests_of_different_files_overlap_in_one_worker(tmp_path):
    root = project(tmp_path, "runner_concurrency")
    _, report = run_json(root, "-j", "1")
    assert report["summary"]["passed"] == 10
    assert max_overlap(report["tests"]) >= 3

    _, serial = run_json(root, "-j", "1", "--async-concurrency", "1")
    assert serial["summary"]["passed"] == 10
    assert max_overlap(serial["tests"]) == 1


def test_async_concurrency_1_serializes_a_suite_that_allows_more(tmp_path):
    root = project_with(
        tmp_path,
        "test_s.py",
        "import asyncio\nfrom dbtest import TestSuite\n\n\nclass S(TestSuite):\n"
        "    concurrency = 3\n"
        + "".join(
            f"    async def test_{i}(self):\n        await asyncio.sleep(0.2)\n" for i in range(3)
        ),
    )
    _, report = run_json(root, "-j", "1")
    assert max_overlap(report["tests"]) == 3
    _, serial = run_json(root, "-j", "1", "--async-concurrency", "1")
    assert max_overlap(serial["tests"]) == 1


def test_retries_rerun_crashes_and_failures(tmp_path):
    root = project(tmp_path, "runner_flaky")
    proc, report = run_json(root, "-j", "1", "--retries", "1")
    by_name = {t["id"].split("::")[-1]: t for t in report["tests"]}
    crashed_once = by_name["test_crashes_once"]
    assert crashed_once["outcome"] == "passed"
    assert crashed_once["flaky"] is True
    assert crashed_once["attempts"] == 2
    assert by_name["test_fails"]["outcome"] == "failed"
    assert by_name["test_fails"]["attempts"] == 2
    assert report["summary"]["flaky"] == 1
    assert proc.returncode == 1


@pytest.mark.parametrize("flag", [["-x"], ["--max-fail", "1"]])
def test_fail_fast_cancels_the_rest(tmp_path, flag):
    root = project(tmp_path, "runner_faults")
    proc, report = run_json(root, "-j", "1", *flag)
    s = report["summary"]
    assert proc.returncode == 1
    failing = s["failed"] + s["error"] + s["timeout"] + s["crashed"]
    assert failing == 1
    assert s["cancelled"] >= 1
    assert s["total"] == 12 == sum(s[o] for o in ("passed", "cancelled")) + failing


@pytest.mark.parametrize(("flag", "failed"), [(["-x"], 1), (["--max-fail", "2"], 2)])
def test_fail_fast_stops_sync_tests_run_back_to_back(tmp_path, flag, failed):
    # Four failing sync tests in one unit: the worker stops on its own
    # after the allowed failures, without waiting for the scheduler's cancel.
    root = project(tmp_path, "runner_failfast")
    proc, report = run_json(root, "-j", "1", "tests/test_failing.py", *flag)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    got = sorted(outcomes(report).values())
    assert got == ["cancelled"] * (4 - failed) + ["failed"] * failed, got


def test_fail_fast_stops_a_suite_running_in_another_worker(tmp_path):
    # One worker runs a suite of 20 tests of 0.1 s while the other's test
    # fails after 0.3 s: the suite stops at its next test.
    root = project(tmp_path, "runner_failfast")
    args = ["-j", "2", "-x", "tests/test_slow_suite.py", "tests/test_fails_soon.py"]
    proc, report = run_json(root, *args)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    workers = {t["id"].split("::")[0]: t.get("worker") for t in report["tests"] if "worker" in t}
    assert len(set(workers.values())) == 2, workers  # one unit per worker
    suite = [t["outcome"] for t in report["tests"] if "Slow" in t["id"]]
    assert suite.count("cancelled") >= 10, suite
    assert set(suite) <= {"passed", "cancelled"}


def test_ctrl_c_writes_the_summary_and_a_partial_report(tmp_path):
    root = project(tmp_path, "runner_slow")
    out = root / "report.json"
    running = tmp_path / "running"
    proc = interrupt_dbtest(
        ["--headless", "-j", "1", "--async-concurrency", "1", "--json", str(out)], root, running
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert [p.name for p in running.iterdir()] == ["test_slow_0"]
    assert proc.stdout.rstrip().splitlines()[-1].startswith("INTERRUPTED: ")
    report = json.loads(out.read_text())
    assert report["meta"]["interrupted"] is True
    assert report["summary"]["total"] == 4
    assert report["summary"]["cancelled"] >= 3


def test_ctrl_c_cancels_sync_tests_waiting_in_a_worker(tmp_path):
    # Four sync tests of 1.5 s on two workers: at Ctrl-C two run, and the two
    # sent ahead to the workers must not start once the running ones end.
    body = "".join(
        f"def test_{i}():\n    Path(os.environ['DBTEST_FIXTURE_RUNNING'], 'test_{i}').touch()\n"
        "    time.sleep(1.5)\n\n"
        for i in range(4)
    )
    header = "import os\nimport time\nfrom pathlib import Path\n\n"
    root = project_with(tmp_path, "test_sync.py", header + body)
    out = root / "r.json"
    running = tmp_path / "running"
    proc = interrupt_dbtest(["--headless", "-j", "2", "--json", str(out)], root, running, count=2)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert len(list(running.iterdir())) == 2, sorted(p.name for p in running.iterdir())
    got = sorted(t["outcome"] for t in json.loads(out.read_text())["tests"])
    assert got.count("cancelled") >= 2 and got.count("passed") <= 2, got


def test_last_failed_and_failed_first(tmp_path):
    root = project(tmp_path, "runner_flaky")
    (root / "tests" / "crashed_once.mark").write_text("x")  # no crash here
    _, first = run_json(root, "-j", "1")
    assert outcomes(first)["test_fails"] == "failed"

    _, lf = run_json(root, "-j", "1", "--lf")
    assert list(outcomes(lf)) == ["test_fails"]

    proc = run_dbtest(["--headless", "-v", "-j", "1", "--ff"], root)
    lines = [
        ln
        for ln in proc.stdout.splitlines()
        if ln.startswith(("PASSED ", "FAILED ")) and "s  " in ln
    ]
    assert lines[0].startswith("FAILED") and lines[0].endswith("test_fails")
    assert len(lines) == 4

    # Once it passes, nothing failed last: --lf runs everything (as pytest does).
    proc = run_dbtest(["--headless", "-j", "1"], root, env={"DBTEST_FIXTURE_PASS": "1"})
    assert proc.returncode == 0, proc.stdout
    _, after = run_json(root, "-j", "1", "--lf")
    assert len(after["tests"]) == 4


def test_exit_codes(tmp_path):
    root = project(tmp_path, "runner_concurrency")
    assert run_dbtest(["--headless", "-q"], root).returncode == 0
    assert run_dbtest(["--headless", "-q", "-k", "nothing-matches"], root).returncode == 5
    bad = run_dbtest(["--headless", "-E", "tag(~x"], root)
    assert bad.returncode == 4
    assert bad.stderr.startswith("dbtest: error:")
    assert "Traceback" not in bad.stderr
    assert run_dbtest(["--headless", "no/such/dir"], root).returncode == 4
    for zero in (["--timeout", "0"], ["--bench-time", "0"]):
        proc = run_dbtest(["--headless", *zero], root)
        assert proc.returncode == 4 and "above 0" in proc.stderr, proc.stderr


def test_in_process_mode_runs_the_same_tests(tmp_path):
    root = project(tmp_path, "runner_concurrency")
    _, report = run_json(root, "--in-process")
    assert report["summary"]["passed"] == 10


@pytest.mark.parametrize("mode", [[], ["--in-process"]])
def test_tests_run_in_the_project_root_from_a_subdirectory(tmp_path, mode):
    root = tmp_path / "p"
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.dbtest]\n")
    (root / "config.ini").write_text("x")
    (root / "tests" / "test_cwd.py").write_text(
        "import os\n\ndef test_root():\n    assert os.path.exists('config.ini'), os.getcwd()\n"
    )
    # Run from tests/, with a report path relative to there.
    proc = run_dbtest(["--headless", "--json", "r.json", *mode], root / "tests")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (root / "tests" / "r.json").exists()


def test_in_process_mode_gets_every_result_of_serial_sync_tests(tmp_path):
    """Serial sync tests travel two messages to a write; in-process too."""
    tests = tmp_path / "proj" / "tests"
    tests.mkdir(parents=True)
    (tests / "test_sync.py").write_text(
        "from dbtest import TestSuite\n\n"
        "class Serial(TestSuite):\n"
        + "".join(f"    def test_{i}(self):\n        assert {i} < 3\n" for i in range(5))
        + "".join(f"\ndef test_fn_{i}():\n    pass\n" for i in range(4))
    )
    root = tmp_path / "proj"
    _, in_process = run_json(root, "--in-process")
    _, workers = run_json(root)
    assert outcomes(in_process) == outcomes(workers)
    assert in_process["summary"]["passed"] == 7 and in_process["summary"]["failed"] == 2


@pytest.mark.parametrize("mode", [[], ["--in-process"]])
def test_no_capture_lets_output_through(tmp_path, mode):
    tests = tmp_path / "proj" / "tests"
    tests.mkdir(parents=True)
    (tests / "test_p.py").write_text(
        "import os\n\ndef test_print():\n"
        "    print('visible-through')\n    os.write(1, b'raw-fd-write\\n')\n"
    )
    shown = run_dbtest(["--headless", "-s", *mode], tests.parent)
    assert shown.returncode == 0
    assert "visible-through" in shown.stdout and "raw-fd-write" in shown.stdout
    hidden = run_dbtest(["--headless", *mode], tests.parent)
    assert "visible-through" not in hidden.stdout


DYNAMIC_TAGS = """
from dbtest import parametrize, test

DB = ["db", "computed"]
SLOW = ["slow"]


@test(tags=DB)
def test_db_computed():
    assert True


@test(tags=SLOW)
def test_slow_computed():
    assert True


@test(tags=["db"])
def test_db_literal():
    assert True


@parametrize("n", [n * 2 for n in range(3)])
def test_computed_cases(n):
    assert n % 2 == 0
"""


def test_computed_tags_are_filtered_after_import(tmp_path):
    tests = tmp_path / "proj" / "tests"
    tests.mkdir(parents=True)
    (tests / "test_dyn.py").write_text(DYNAMIC_TAGS)
    root = tests.parent

    _, db = run_json(root, "--tags", "db")
    assert sorted(outcomes(db)) == ["test_db_computed", "test_db_literal"]
    assert db["summary"]["total"] == 2

    _, rest = run_json(root, "-E", "not tag(db)")
    assert sorted(outcomes(rest)) == [
        "test_computed_cases[0]",
        "test_computed_cases[2]",
        "test_computed_cases[4]",
        "test_slow_computed",
    ]
    # The console's total follows: what was deselected after import is not counted.
    proc = run_dbtest(["--headless", "-q", "--tags", "slow"], root)
    assert proc.returncode == 0 and "1 passed" in proc.stdout


def test_unit_and_integration_follow_the_config(tmp_path):
    root = tmp_path / "proj"
    (root / "tests" / "it").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[tool.dbtest]\nintegration-dirs = ["it"]\nintegration-tags = []\n'
    )
    (root / "tests" / "test_u.py").write_text(
        "from dbtest import test\n\n@test(tags=['integration'])\ndef test_tagged():\n    pass\n"
    )
    (root / "tests" / "it" / "test_i.py").write_text("def test_in_dir():\n    pass\n")

    def run(command: str) -> dict:
        out = root / f"{command}.json"
        proc = run_dbtest([command, "--headless", "--json", str(out)], root)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return json.loads(out.read_text())

    # With integration-tags = [] the tag means nothing: the test is a unit test.
    assert list(outcomes(run("unit"))) == ["test_tagged"]
    assert list(outcomes(run("integration"))) == ["test_in_dir"]


def test_results_are_sent_before_user_code_that_kills_the_worker(tmp_path):
    """The worker may send a passing test's result together with the next
    test's start; it must never hold one through a suite's hooks."""
    root = project(tmp_path, "runner_held")
    proc, report = run_json(root, "-j", "1")
    assert outcomes(report) == {
        "test_fn_1": "passed",
        "test_fn_2": "passed",
        "DiesInSetup::test_never": "crashed",
        "DiesInTeardown::test_a": "passed",
        "DiesInTeardown::test_b": "passed",
    }, proc.stdout + proc.stderr


def run_errors(report: dict) -> list[str]:
    return [e["message"] for e in report.get("run_errors", [])]


def test_teardown_within_its_timeout_completes(tmp_path):
    root = project(tmp_path, "runner_teardown")
    proc, report = run_json(root, "-k", "quick")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert run_errors(report) == []
    assert (root / "teardown.log").read_text().splitlines() == ["quick done"]


def test_teardown_past_its_timeout_is_killed_and_is_a_run_error(tmp_path):
    root = project(tmp_path, "runner_teardown")
    # The teardown sleeps 60 s; a run that waited for it would log "slow done".
    proc, report = run_json(root, "-k", "slow")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert outcomes(report) == {"test_slow_teardown": "passed"}
    [error] = run_errors(report)
    assert "teardown" in error and "still running 2s" in error, error
    assert "teardown-timeout" in error
    assert (root / "teardown.log").read_text().splitlines() == ["slow started"]
    assert "still running 2s" in proc.stdout


def test_a_thread_outliving_teardown_is_named_and_its_worker_killed(tmp_path):
    root = project(tmp_path, "runner_teardown")
    proc, report = run_json(root, "-k", "lingering")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert outcomes(report) == {"test_lingering_thread": "passed"}
    [error] = run_errors(report)
    assert "non-daemon threads still running (poller-thread)" in error, error


def test_durations_comes_from_the_config_unless_given(tmp_path):
    root = tmp_path / "p"
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.dbtest]\ndurations = 2\n")
    (root / "tests" / "test_d.py").write_text(
        "".join(f"def test_{i}():\n    pass\n\n" for i in range(4))
    )
    proc = run_dbtest(["--headless"], root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "slowest 2 tests" in proc.stdout
    proc = run_dbtest(["--headless", "--durations", "3"], root)
    assert "slowest 3 tests" in proc.stdout


def run_in_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    """`dbtest *args` on a pseudo-terminal, as a person would run it; its output."""
    import os
    import pty

    from tests.conftest import DBTEST

    leader, follower = pty.openpty()
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "CI")}
    proc = subprocess.Popen(
        [str(DBTEST), *args], cwd=cwd, env={**full_env, "TERM": "xterm", **env},
        stdin=follower, stdout=follower, stderr=follower,
    )  # fmt: skip
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 1 << 16)
        except OSError:  # EIO: every writer of the terminal has closed it
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    proc.wait(timeout=60)
    return b"".join(chunks).decode(errors="replace")


def test_no_color_is_honoured_on_a_terminal(tmp_path):
    root = project_with(
        tmp_path, "test_c.py", "def test_ok():\n    pass\n\ndef test_bad():\n    assert 0\n"
    )
    colour = re.compile(r"\x1b\[[0-9;]*3[0-7][0-9;]*m")  # an SGR sequence with a foreground colour
    assert colour.search(run_in_terminal(["--headless"], root, {}))
    for args in (["--headless"], []):
        out = run_in_terminal(args, root, {"NO_COLOR": "1"})
        assert "1 failed" in out, out
        assert not colour.search(out), repr(out[:400])


def test_last_failed_reruns_the_test_of_a_failing_unittest_subtest(tmp_path):
    root = project_with(
        tmp_path,
        "test_s.py",
        "import unittest\n\n\nclass T(unittest.TestCase):\n"
        "    def test_sub(self):\n"
        "        for i in range(2):\n"
        "            with self.subTest(i=i):\n"
        "                self.assertEqual(i, 0)\n\n"
        "    def test_ok(self):\n        pass\n",
    )
    proc, report = run_json(root)
    assert proc.returncode == 1
    assert outcomes(report)["T::test_sub[i=1]"] == "failed"
    proc, report = run_json(root, "--lf")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    # The subtest's test runs again (test_ok, which passed, does not).
    assert outcomes(report) == {"T::test_sub[i=1]": "failed"}, outcomes(report)


def test_report_folders_are_made_and_a_bad_report_path_fails_before_the_run(tmp_path):
    root = project(tmp_path, "runner_failfast")
    nested = root / "out" / "ci" / "r.json"
    proc = run_dbtest(["--headless", "--json", str(nested), "tests/test_failing.py"], root)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the tests' own code
    assert len(json.loads(nested.read_text())["tests"]) == 4
    for bad in (str(root / "out"), "/proc/no/such/r.xml"):
        proc = run_dbtest(["--headless", "--junit", bad], root)
        assert proc.returncode == 4, proc.stdout + proc.stderr
        assert proc.stderr.startswith("dbtest: error: cannot write report to")
        assert proc.stderr.count("\n") == 1 and "passed" not in proc.stdout


def test_module_fixtures_are_torn_down_newest_first(tmp_path):
    root = tmp_path / "p"
    (root / "tests").mkdir(parents=True)
    log = root / "order.log"
    for i in range(3):
        (root / "tests" / f"test_m{i}.py").write_text(
            "from dbtest import fixture\n\n\n"
            "@fixture(scope='module')\nasync def res():\n"
            f"    open({str(log)!r}, 'a').write('up {i}\\n')\n    yield {i}\n"
            f"    open({str(log)!r}, 'a').write('down {i}\\n')\n\n\n"
            f"def test_uses(res):\n    assert res == {i}\n"
        )
    proc, _ = run_json(root, "-j", "1", "--async-concurrency", "1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = log.read_text().split("\n")[:-1]
    ups = [line for line in lines if line.startswith("up")]
    downs = [line for line in lines if line.startswith("down")]
    assert [d.split()[1] for d in downs] == [u.split()[1] for u in reversed(ups)], lines


def test_skiptest_in_setupmodule_skips_the_module_as_unittest_does(tmp_path):
    root = project_with(
        tmp_path,
        "test_u.py",
        "import unittest\n\n\ndef setUpModule():\n    raise unittest.SkipTest('no database')\n\n\n"
        "def tearDownModule():\n    raise RuntimeError('must not run')\n\n\n"
        "class T(unittest.TestCase):\n    def test_a(self):\n        pass\n\n"
        "    def test_b(self):\n        pass\n",
    )
    proc, report = run_json(root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert outcomes(report) == {"T::test_a": "skipped", "T::test_b": "skipped"}
    assert {t["message"] for t in report["tests"]} == {"no database"}
    assert not report.get("run_errors")


def test_retries_rerun_a_failing_unittest_test(tmp_path):
    root = tmp_path / "p"
    (root / "tests").mkdir(parents=True)
    counter = root / "count"
    (root / "tests" / "test_u.py").write_text(
        "import os, unittest\n\n\nclass T(unittest.TestCase):\n"
        "    def test_second_time_lucky(self):\n"
        f"        path = {str(counter)!r}\n"
        "        n = int(open(path).read()) if os.path.exists(path) else 0\n"
        "        open(path, 'w').write(str(n + 1))\n"
        "        self.assertGreater(n, 0)\n\n"
        "    def test_always_fails(self):\n        self.fail('no')\n"
    )
    proc, report = run_json(root, "--retries", "2", "-j", "1")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    got = {t["id"].split("::")[-1]: t for t in report["tests"]}
    lucky, bad = got["test_second_time_lucky"], got["test_always_fails"]
    assert (lucky["outcome"], lucky["attempts"], lucky.get("flaky")) == ("passed", 2, True)
    assert (bad["outcome"], bad["attempts"]) == ("failed", 3)


def test_a_test_name_python_normalizes_still_runs_under_its_listed_id(tmp_path):
    # `µ` (MICRO SIGN) in an identifier is stored by Python as `μ` (GREEK MU).
    root = project_with(
        tmp_path,
        "test_units.py",
        "def test_convert_\u00b5m():\n    pass\n\n\n"
        "class \uff33uite:\n    pass\n\n\n"
        "from dbtest import TestSuite\n\n\nclass Metric\u00b5(TestSuite):\n"
        "    def test_x(self):\n        pass\n",
        encoding="utf-8",
    )
    listed = json.loads(run_dbtest(["list", "--format", "json"], root).stdout)
    proc, report = run_json(root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ran = {t["id"]: t["outcome"] for t in report["tests"]}
    assert ran == {
        "tests/test_units.py::test_convert_\u00b5m": "passed",
        "tests/test_units.py::Metric\u00b5::test_x": "passed",
    }
    assert listed["counts"]["tests"] == 2


def test_one_case_of_a_dynamic_parametrization_can_be_run_by_its_id(tmp_path):
    root = project_with(
        tmp_path,
        "test_d.py",
        "from dbtest import parametrize\n\nN = [1, 2, 3]\n\n\n"
        "@parametrize('n', N)\ndef test_n(n):\n    assert n\n",
    )
    proc, report = run_json(root, "tests/test_d.py::test_n[2]")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert outcomes(report) == {"test_n[2]": "passed"}


def test_a_test_that_breaks_the_json_module_does_not_hang_the_run(tmp_path):
    root = project_with(
        tmp_path,
        "test_j.py",
        "import json\n\n\ndef test_a_patch():\n"
        "    json.loads = lambda *a, **k: {}\n    json.dumps = lambda *a, **k: 'x'\n\n\n"
        "def test_b():\n    pass\n\n\nasync def test_c():\n    pass\n\n\n"
        "def test_d():\n    assert 1 == 2\n",
    )
    proc, report = run_json(root, "-j", "1")  # run_dbtest's timeout catches a hang
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert outcomes(report) == {
        "test_a_patch": "passed", "test_b": "passed", "test_c": "passed", "test_d": "failed"
    }  # fmt: skip


def test_a_test_that_deletes_its_working_directory_harms_nothing_else(tmp_path):
    root = project_with(
        tmp_path,
        "test_c.py",
        "import os, tempfile\n\n\ndef test_chdir_deleted():\n"
        "    d = tempfile.mkdtemp()\n    os.chdir(d)\n    os.rmdir(d)\n\n\n"
        "def test_after():\n    assert os.path.isdir('tests')\n",
    )
    (root / "tests" / "test_other.py").write_text("def test_other():\n    pass\n")
    proc, report = run_json(root, "-j", "1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert set(outcomes(report).values()) == {"passed"} and len(report["tests"]) == 3
    assert not report.get("run_errors")
