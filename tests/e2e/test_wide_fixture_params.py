"""Wider-scoped fixtures with `params`, as pytest runs them
(`tests/fixtures/wide_fixture_params`): one param live at a time (the
previous one torn down first), a wider fixture made from a parametrized one
is one value per param, and a param that switches global state is in force
for its tests. pytest is the oracle."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_pytest_suite import pytest_outcomes
from tests.e2e.test_runner import project, run_json


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_wide_params_as_under_pytest(tmp_path: Path, jobs: str) -> None:
    root = project(tmp_path, "wide_fixture_params")
    oracle = pytest_outcomes(root)
    assert set(oracle.values()) == {"passed"} and len(oracle) == 18
    proc, report = run_json(root, "-j", jobs)
    got = {t["id"]: t["outcome"] for t in report["tests"]}
    assert got == oracle, proc.stdout + proc.stderr
