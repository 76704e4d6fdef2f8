"""Sync tests, fixtures, hooks and imports that run their own event loop
(`asyncio.run`, `run_until_complete`), as they may under pytest, pass in a
worker, in every way a worker can run (dbtest/execution/outside_loop.py)."""

from __future__ import annotations

import pytest

from tests.e2e.test_runner import outcomes, project, run_json


@pytest.mark.parametrize(
    "how", [[], ["-j", "1"], ["--in-process"]], ids=["default", "j1", "in-process"]
)
def test_sync_code_can_run_its_own_event_loop(tmp_path, how):
    root = project(tmp_path, "sync_asyncio")
    proc, report = run_json(root, *how)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    got = outcomes(report)
    assert len(got) == 12 and set(got.values()) == {"passed"}, got
