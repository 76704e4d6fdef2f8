"""Snapshot tests (pytest-textual-snapshot) of the main states: the engine's
tree of `tests/fixtures/tui_scripted` and scripted events, so that every
pixel is the same on every run. Update with
`pytest tests/tui/test_snapshots.py --snapshot-update` after a deliberate change."""

from __future__ import annotations

from dbtest.tui.app import DbtestApp

from . import scripted
from .helpers import FakeClock, wait_for

SIZE = (130, 34)


def make_app(*runs) -> DbtestApp:
    return DbtestApp(
        scripted.ROOT,
        source=scripted.source(*runs),
        restore_session=False,
        persist=False,
        clock=FakeClock(),
    )


async def ready(pilot) -> None:
    await wait_for(pilot, lambda: pilot.app.tree_ready)
    await pilot.pause()


def test_tree_before_a_run(snap_compare):
    async def before(pilot):
        await ready(pilot)
        await pilot.press("down", "down", "space", "down", "down")

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=before)


def test_run_in_progress(snap_compare):
    run = scripted.in_progress_run()

    async def before(pilot):
        await ready(pilot)
        await pilot.press("a")
        await wait_for(pilot, lambda: "running" in pilot.app.state.status.values())
        pilot.app.tree.reveal("tests/test_users.py::Users::test_login_is_slow")
        await pilot.pause()
        pilot.app.details.show("tests/test_users.py::Users::test_login_is_slow")
        await pilot.pause()

    assert snap_compare(make_app(run), terminal_size=SIZE, run_before=before)
    run.release()


def test_failure_details(snap_compare):
    async def before(pilot):
        await ready(pilot)
        await pilot.press("a")
        await wait_for(pilot, lambda: pilot.app.active_run is None and pilot.app.run_serial == 1)
        await pilot.press("n")
        await wait_for(pilot, lambda: pilot.app.tree.cursor_key.endswith("test_totals"))
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(make_app(scripted.finished_run()), terminal_size=SIZE, run_before=before)


def test_benchmark_group(snap_compare):
    async def before(pilot):
        await ready(pilot)
        await pilot.press("a")
        await wait_for(pilot, lambda: pilot.app.active_run is None and pilot.app.run_serial == 1)
        pilot.app.tree.reveal("benchmarks/bench_json.py::encode")
        await pilot.pause()
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(make_app(scripted.bench_run()), terminal_size=SIZE, run_before=before)
