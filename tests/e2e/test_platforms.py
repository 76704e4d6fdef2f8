"""The paths other platforms take, forced on Linux with
DBTEST_PLATFORM=generic (dbtest/portability.py, docs/platforms.md):
workers spawned rather than forked, requests read by a thread rather than
the event loop, and kills for a time limit without a stack dump. A run
there still gives every test its one outcome."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import run_dbtest
from tests.e2e.test_runner import project

pytestmark = pytest.mark.skipif(
    sys.platform != "linux", reason="compares with the Linux paths (prefork, stack signal)"
)

GENERIC = {"DBTEST_PLATFORM": "generic"}


def facts(tmp_path: Path, env: dict[str, str]) -> list[dict]:
    """What test_facts saw in its worker, on two workers."""
    root = project(tmp_path, "platform_generic")
    dump = tmp_path / "facts"
    dump.mkdir()
    proc = run_dbtest(
        ["--headless", "-j", "2", "-k", "test_facts"],
        root,
        env={**env, "DBTEST_FACTS_DUMP": str(dump)},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return [json.loads(p.read_text()) for p in dump.glob("*.json")]


def test_generic_spawns_its_workers_and_reads_requests_on_a_thread(tmp_path):
    assert facts(tmp_path / "generic", GENERIC) == [{"forked": False, "request_thread": True}]
    # The switch is what changes it: by default, forked and read by the loop.
    assert facts(tmp_path / "linux", {}) == [{"forked": True, "request_thread": False}]


def run(root: Path, env: dict[str, str]) -> tuple[int, dict[str, dict]]:
    out = root / "report.json"
    proc = run_dbtest(
        ["--headless", "-j", "2", "--timeout", "1", "--json", str(out)], root, env=env
    )
    assert out.exists(), proc.stdout + proc.stderr
    report = json.loads(out.read_text())
    return proc.returncode, {t["id"].split("::", 1)[1]: t for t in report["tests"]}


def test_generic_run_gives_every_test_its_outcome(tmp_path):
    code, records = run(project(tmp_path, "platform_generic"), GENERIC)
    assert code == 1
    assert {k: r["outcome"] for k, r in records.items()} == {
        "test_facts": "passed",
        "test_passes": "passed",
        "test_fails": "failed",
        "test_async_passes": "passed",
        "test_crashes": "crashed",
        "test_after_the_crash": "passed",
        "test_sync_forever": "timeout",
    }
    assert "hello from a worker" in records["test_passes"]["stdout"]
    assert "exit code 3" in records["test_crashes"]["message"]


def test_generic_kills_a_hang_without_a_stack_dump(tmp_path):
    where = 'test_hang.py", line 5, in'
    _, generic = run(project(tmp_path / "generic", "platform_generic"), GENERIC)
    assert where not in (generic["test_sync_forever"].get("traceback") or "")
    _, linux = run(project(tmp_path / "linux", "platform_generic"), {})
    assert where in (linux["test_sync_forever"].get("traceback") or "")
