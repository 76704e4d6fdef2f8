"""App behaviour that needs no real run: big trees open collapsed and `n`
reaches into them, a run's events stream into the tree, stop cancels."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbtest.tui.app import DbtestApp

from .helpers import ScriptedRun, ScriptedSource, async_test, discover, items_of, record, wait_for

FAILING = "tests/test_m17.py::test_3"


@pytest.fixture
def big(tmp_path: Path) -> Path:
    """20 files of 5 tests: enough for the tree to open collapsed."""
    (tmp_path / "tests").mkdir()
    for f in range(20):
        body = "".join(f"def test_{t}():\n    pass\n\n\n" for t in range(5))
        (tmp_path / "tests" / f"test_m{f:02d}.py").write_text(body)
    return tmp_path


def app_with(root: Path, *runs: ScriptedRun) -> tuple[DbtestApp, ScriptedSource]:
    source = ScriptedSource(list(runs))
    app = DbtestApp(root, source=source, restore_session=False, persist=False)
    return app, source


def full_run(items: list[dict]) -> ScriptedRun:
    evs = [{"type": "run_started", "selected": items, "collection_errors": [], "workers": 2}]
    for it in items:
        out = "failed" if it["id"] == FAILING else "passed"
        evs.append({"type": "test_finished", "record": record(it["id"], out, message="boom")})
    evs.append({"type": "run_finished", "summary": {}, "duration": 1.0, "interrupted": False})
    return ScriptedRun([evs[i : i + 7] for i in range(0, len(evs), 7)])


@async_test
async def test_big_tree_opens_collapsed_and_n_reveals_the_failure(big):
    app, source = app_with(big, full_run(items_of(discover(big).tree)))
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: app.tree_ready)
        # 100 tests: files only, children added on demand.
        assert set(app.tree.by_key) == {f"tests/test_m{f:02d}.py" for f in range(20)}
        await pilot.press("a")
        await wait_for(pilot, lambda: app.active_run is None and app.run_serial == 1)
        assert source.started[0].ids is None  # `a`: everything the filter shows
        assert app.state.progress.counts == {"passed": 99, "failed": 1}
        assert app.state.counts(app.state.nodes["tests/test_m17.py"]) == {"passed": 4, "failed": 1}
        await pilot.press("n")
        await wait_for(pilot, lambda: app.tree.cursor_key == FAILING)
        assert app.tree.by_key["tests/test_m17.py"].is_expanded
        assert app.details.key == FAILING


@async_test
async def test_stop_cancels_a_held_run_and_second_press_kills(big):
    items = items_of(discover(big).tree)[:3]
    run = ScriptedRun(
        [[{"type": "run_started", "selected": items, "collection_errors": [], "workers": 1}]],
        hold=True,
    )
    app, _ = app_with(big, run)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: app.tree_ready)
        app.tree.move_cursor(app.tree.by_key["tests/test_m00.py"])
        await pilot.press("r")
        await wait_for(pilot, lambda: app.state.progress.running)
        await pilot.press("r")  # a second run is refused while one is in progress
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.active_run is None)
        assert run.cancelled and not run.killed
        assert {app.state.results[i["id"]]["outcome"] for i in items} == {"cancelled"}
