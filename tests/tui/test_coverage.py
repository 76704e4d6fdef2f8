"""`dbtest tui --cov`: a run from the TUI is measured by the real workers and
its total shows in the status bar."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from dbtest.cli.coverage_setup import CovSettings
from dbtest.options import Values
from dbtest.tui.app import DbtestApp

from .helpers import async_test, copy_fixture, wait_for

pytest.importorskip("coverage")


@async_test
async def test_the_status_bar_shows_the_total_after_a_covered_run(tmp_path: Path):
    root = copy_fixture("coverage_project", tmp_path)
    xml = tmp_path / "cov.xml"
    options = Values("tui", cov=["app"], cov_report=[f"xml:{xml}"])
    app = DbtestApp(
        root,
        ["tests/test_sub.py"],
        workers=1,
        restore_session=False,
        persist=False,
        coverage=CovSettings(options, cwd=str(root)),
    )
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: app.tree_ready)
        await pilot.pause()
        await pilot.press("r")
        await wait_for(pilot, lambda: app.run_serial >= 1 and app.active_run is None)
        await pilot.pause()
        total = app.state.progress.coverage
        assert total is not None and total.endswith("%"), total
        assert f"cov {total}" in str(app.query_one("#run-summary", Static).visual)
    # The file reports of the command line are written too.
    assert xml.exists()
