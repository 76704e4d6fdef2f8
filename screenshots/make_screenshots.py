"""Generate the SVG screenshots of `dbtest tui` shown in the README (`make screenshots`).

Each state is driven from the keyboard against the real runner:
  tui-tree.svg         the tree of examples/ before a run
  tui-running.svg      a run in progress (tests/fixtures/tui_basic)
  tui-failure.svg      a failure's details after `n`
  tui-benchmark.svg    a benchmark group: statistics and the bar chart
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from dbtest.tui.app import DbtestApp  # noqa: E402

SIZE = (132, 36)


async def wait_for(pilot, predicate, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"make_screenshots: timed out waiting for {predicate.__name__}")
        await pilot.pause(0.05)


def new_app(root: Path) -> DbtestApp:
    return DbtestApp(root, restore_session=False, persist=False, workers=2)


async def save(pilot, name: str) -> None:
    app = pilot.app
    app.clear_notifications()
    await pilot.pause(0.2)
    app.save_screenshot(filename=name, path=str(HERE))
    print(f"screenshots/{name}")


async def tree_before_run() -> None:
    app = new_app(REPO / "examples")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.tree_ready)
        await pilot.press("down", "down", "down", "space")
        await save(pilot, "tui-tree.svg")


async def run_in_progress_and_failure() -> None:
    app = new_app(REPO / "tests" / "fixtures" / "tui_basic")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.tree_ready)
        await pilot.press("a")

        def some_done_and_slow_running() -> bool:
            p = app.state.progress
            return p.done >= 3 and any(
                v == "running" and app.state.live.get(k) for k, v in app.state.status.items()
            )

        await wait_for(pilot, some_done_and_slow_running)
        running = next(
            k for k, v in app.state.status.items() if v == "running" and app.state.live.get(k)
        )
        app.tree.reveal(running)
        await pilot.pause(0.3)
        app.details.show(running)
        await pilot.pause(1.0)  # a little more live output
        await save(pilot, "tui-running.svg")
        await pilot.press("s")
        await wait_for(pilot, lambda: app.active_run is None)
        await pilot.press("n")
        await wait_for(pilot, lambda: (app.tree.cursor_key or "").endswith("test_compare_rows"))
        await save(pilot, "tui-failure.svg")


async def benchmark_group(app: DbtestApp | None = None) -> None:
    root = REPO / "tests" / "fixtures" / "tui_bench"
    app = app or new_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.tree_ready)
        await pilot.press("a")
        await wait_for(pilot, lambda: app.run_serial == 1 and app.active_run is None)
        if not app.state.bench:
            print(
                "make_screenshots: the engine returned no benchmark results; "
                "tui-benchmark.svg shows the scripted results of tests/tui/scripted.py"
            )
            from tests.tui import scripted

            scripted_app = DbtestApp(
                scripted.ROOT,
                source=scripted.source(scripted.bench_run()),
                restore_session=False,
                persist=False,
            )
            await pilot.press("q")
            return await benchmark_group(scripted_app)
        group = next(n.key for n in app.state.nodes.values() if n.kind == "group")
        app.tree.reveal(group)
        await pilot.pause(0.3)
        await save(pilot, "tui-benchmark.svg")


async def main(which: list[str]) -> None:
    steps = {
        "tree": tree_before_run,
        "running": run_in_progress_and_failure,
        "bench": benchmark_group,
    }
    for name in which or list(steps):
        await steps[name]()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
