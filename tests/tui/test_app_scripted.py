"""App behaviour that needs no real run: big trees open collapsed and `n`
reaches into them, a run's events stream into the tree, stop cancels."""

from __future__ import annotations

from dbtest.tui.app import DbtestApp

from .helpers import FIXTURES, ScriptedRun, ScriptedSource, async_test, item, record, wait_for

ITEMS = [item(f"tests/test_m{f:02d}.py::test_{t}", line=t + 1) for f in range(20) for t in range(5)]
FAILING = "tests/test_m17.py::test_3"


def app_with(*runs: ScriptedRun) -> tuple[DbtestApp, ScriptedSource]:
    source = ScriptedSource({"root": "/p", "items": ITEMS, "collection_errors": []}, list(runs))
    app = DbtestApp(FIXTURES / "tui_basic", source=source, restore_session=False, persist=False)
    return app, source


def full_run() -> ScriptedRun:
    evs = [{"type": "run_started", "selected": ITEMS, "collection_errors": [], "workers": 2}]
    for it in ITEMS:
        out = "failed" if it["id"] == FAILING else "passed"
        evs.append({"type": "test_finished", "record": record(it["id"], out, message="boom")})
    evs.append({"type": "run_finished", "summary": {}, "duration": 1.0, "interrupted": False})
    return ScriptedRun([evs[i : i + 7] for i in range(0, len(evs), 7)])


@async_test
async def test_big_tree_opens_collapsed_and_n_reveals_the_failure():
    app, source = app_with(full_run())
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: app.tree_ready)
        # 100 tests: files only, children added on demand.
        assert set(app.tree.by_key) == {f"tests/test_m{f:02d}.py" for f in range(20)}
        await pilot.press("a")
        await wait_for(pilot, lambda: app.active_run is None and app.run_serial == 1)
        assert source.started[0].get("ids") is None  # `a`: everything the filter shows
        assert app.state.progress.counts == {"passed": 99, "failed": 1}
        assert app.state.counts(app.state.nodes["tests/test_m17.py"]) == {"passed": 4, "failed": 1}
        await pilot.press("n")
        await wait_for(pilot, lambda: app.tree.cursor_key == FAILING)
        assert app.tree.by_key["tests/test_m17.py"].is_expanded
        assert app.details.key == FAILING


@async_test
async def test_stop_cancels_a_held_run_and_second_press_kills():
    run = ScriptedRun(
        [[{"type": "run_started", "selected": ITEMS[:3], "collection_errors": [], "workers": 1}]],
        hold=True,
    )
    app, _ = app_with(run)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: app.tree_ready)
        app.tree.move_cursor(app.tree.by_key["tests/test_m00.py"])
        await pilot.press("r")
        await wait_for(pilot, lambda: app.state.progress.running)
        await pilot.press("r")  # a second run is refused while one is in progress
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.active_run is None)
        assert run.cancelled and not run.killed
        assert {app.state.results[i["id"]]["outcome"] for i in ITEMS[:3]} == {"cancelled"}
