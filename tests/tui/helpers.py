"""Shared helpers of the TUI tests: fixture paths, the engine's discovery of
a fixture, a source with scripted runs (deterministic, for snapshots and
model tests) and waiting helpers."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

from dbtest.runner import RunOptions
from dbtest.tui.source import Discovered, RunnerSource

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def copy_fixture(name: str, dest: Path) -> Path:
    """A private copy of a fixture project (tests write `.dbtest/` and edit files)."""
    target = dest / name
    shutil.copytree(FIXTURES / name, target)
    return target


def discover(root: str | Path) -> Discovered:
    """The engine's discovery of a project, as the TUI gets it."""
    source = RunnerSource()
    return source.discover(source.options(root=str(root)))


def items_of(tree: dict[str, Any]) -> list[dict[str, Any]]:
    """The TestItems of an engine tree, in tree order (what `run_started`
    lists as `selected`)."""
    return [item for f in tree["files"] for node in (*f["suites"], f) for item in node["items"]]


def record(test_id: str, outcome: str, **kw: Any) -> dict[str, Any]:
    rec = {
        "id": test_id,
        "outcome": outcome,
        "duration": kw.pop("duration", 0.012),
        "start": 0.0,
        "attempts": 1,
        "stdout": "",
        "stderr": "",
        "logs": [],
        "path": test_id.split("::")[0],
        "line": 1,
        "tags": [],
    }
    rec.update(kw)
    return rec


class ScriptedRun:
    """A run that replays batches of events; `hold` keeps it open (in progress)
    until `release()` or `cancel()`."""

    def __init__(self, batches: list[list[dict[str, Any]]], hold: bool = False) -> None:
        self.batches = batches
        self.cancelled = False
        self.killed = False
        self._release = asyncio.Event()
        if not hold:
            self._release.set()

    def release(self) -> None:
        self._release.set()

    async def aevents(self):
        for b in self.batches:
            yield b
            await asyncio.sleep(0)
        await self._release.wait()
        if self.cancelled:
            yield [{"type": "run_finished", "summary": {}, "duration": 1.0, "interrupted": True}]

    def cancel(self) -> None:
        self.cancelled = True
        self._release.set()

    def kill(self) -> None:
        self.killed = True
        self.cancel()


class ScriptedSource(RunnerSource):
    """The real source (the engine discovers, filters and builds options)
    whose runs are scripted: each `start_run` records its options and pops
    the next scripted run."""

    def __init__(self, runs: list[ScriptedRun] | None = None) -> None:
        self.runs = list(runs or [])
        self.started: list[RunOptions] = []

    def start_run(self, options: RunOptions) -> ScriptedRun:
        self.started.append(options)
        return self.runs.pop(0)


class FakeClock:
    """A frozen clock: elapsed times in snapshots do not depend on how often
    (or when) the app read the clock."""

    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


async def wait_for(pilot: Any, predicate: Any, timeout: float = 60.0, step: float = 0.05) -> None:
    """Pause the pilot until `predicate()` holds (the app keeps running meanwhile)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {predicate}")
        await pilot.pause(step)


def async_test(fn: Any) -> Any:
    """Run an async test in a fresh event loop (no pytest async plugin needed;
    pytest still sees the original signature for fixtures)."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(fn(*args, **kwargs))

    return wrapper
