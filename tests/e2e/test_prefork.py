"""Workers forked from the CLI's zygote (dbtest/cli/prefork.py) against
workers spawned with `python -m dbtest.worker` (DBTEST_PREFORK=0): a test
sees the same process either way, and a forked worker's crash is read
like a spawned one's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DBTEST
from tests.e2e.test_runner import project, run_json

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="forking workers is Linux-only")


def env_of_worker(root: Path, dump: Path, prefork: str) -> tuple[dict, int]:
    """What test_env saw in its worker, and the CLI's pid."""
    dump.mkdir()
    env = {**os.environ, "DBTEST_PREFORK": prefork, "DBTEST_ENV_DUMP": str(dump)}
    proc = subprocess.Popen(
        [str(DBTEST), "--headless", "-j", "1", "-k", "test_env"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, out + err
    (info,) = [json.loads(p.read_text()) for p in dump.glob("*.json")]
    return info, proc.pid


def test_a_forked_worker_looks_like_a_spawned_one(tmp_path):
    root = project(tmp_path, "runner_prefork")
    forked, cli_forked = env_of_worker(root, tmp_path / "forked", "1")
    spawned, cli_spawned = env_of_worker(root, tmp_path / "spawned", "0")
    assert forked.pop("forked") is True
    assert spawned.pop("forked") is False
    # Both are the CLI's children: the forked one once its zygote has left.
    assert forked.pop("ppid") == cli_forked
    assert spawned.pop("ppid") == cli_spawned
    assert forked == spawned
    assert forked["own_process_group"] and forked["stdin_at_eof"]
    assert forked["main_spec"] == "dbtest.worker"
    assert Path(forked["cwd"]) == root.resolve()


def test_how_a_forked_worker_ended_is_reported(tmp_path):
    root = project(tmp_path, "runner_prefork")
    # -j 1 and nothing else selected: the forked worker runs the first one.
    for name, how in (("test_os_exit", "exit code 3"), ("test_segfault", "SIGSEGV")):
        proc, report = run_json(root, "-j", "1", "-k", name)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        (record,) = report["tests"]
        assert record["outcome"] == "crashed" and how in record["message"], record


def test_with_stdin_closed_the_workers_are_spawned_and_nothing_dies(tmp_path):
    # A pipe could take fd 0's number; forking is declined rather than risked.
    root = project(tmp_path, "runner_prefork")
    dump = tmp_path / "dump"
    dump.mkdir()
    proc = subprocess.run(
        [str(DBTEST), "--headless", "-v", "-j", "1", "-k", "test_env"],
        cwd=root,
        env={**os.environ, "DBTEST_ENV_DUMP": str(dump)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: os.close(0),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "exit code" not in proc.stdout + proc.stderr
    (info,) = [json.loads(p.read_text()) for p in dump.glob("*.json")]
    assert info["forked"] is False


def test_a_forked_worker_says_nothing_of_its_own_with_no_capture(tmp_path):
    # With -s the workers' start-up output reaches the terminal: a forked
    # worker must print nothing a spawned one would not (runpy warned once).
    root = tmp_path / "p"
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_q.py").write_text("def test_quiet():\n    pass\n")
    out = {}
    for prefork in ("1", "0"):
        proc = subprocess.run(
            [str(DBTEST), "--headless", "-s", "-j", "2"], cwd=root, capture_output=True,
            text=True, timeout=120, env={**os.environ, "DBTEST_PREFORK": prefork},
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr
        out[prefork] = proc.stdout + proc.stderr
    assert "Warning" not in out["1"], out["1"]
    assert out["1"].splitlines()[0] == out["0"].splitlines()[0] == "."
