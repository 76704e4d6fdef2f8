"""The run API shared by the CLI and the TUI: options in, events out.

The engine does the work (discovery, selection, scheduling, reports); this
module only turns options into a request and JSON batches into dicts.
Event shapes: docs/events.md.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any


class UsageError(Exception):
    """Bad options, configuration or filter; the message is for the user."""


@dataclass
class RunOptions:
    """What to run and how. `None` means: the config's value, else the default."""

    paths: list[str] = field(default_factory=list)
    root: str | None = None
    pattern: str | None = None
    tags: list[str] = field(default_factory=list)
    expr: str | None = None
    mode: str = "all"
    ids: list[str] | None = None
    workers: int | None = None
    async_concurrency: int | None = None
    timeout: float | None = None
    retries: int | None = None
    max_fail: int | None = None
    fail_fast: bool = False
    in_process: bool = False
    capture: bool = True
    last_failed: bool = False
    failed_first: bool = False
    partition: str | None = None
    bench: dict[str, Any] | None = None
    command: list[str] = field(default_factory=lambda: list(sys.argv))

    def to_request(self) -> dict[str, Any]:
        """The JSON request the engine's `start_run` takes."""
        from dbtest import _core

        data = asdict(self)
        data.pop("command")
        data.pop("in_process")
        data["cwd"] = os.path.abspath(data.pop("root") or os.getcwd())
        data["python"] = sys.executable
        data["meta"] = {
            "dbtest_version": _core.__version__,
            "python": platform.python_version(),
            "platform": f"{platform.system()}-{platform.machine()}".lower(),
            "start": 0.0,
            "duration": 0.0,
            "workers": 0,
            "command": self.command,
        }
        return {k: v for k, v in data.items() if v is not None}


class Run:
    """A run in progress. Iterate its events; ask for the report at the end."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle

    @property
    def selected(self) -> int:
        """Number of tests and benchmark entries selected."""
        return int(self._handle.selected)

    @property
    def root(self) -> str:
        """The project root the engine resolved (where `.dbtest/` lives)."""
        return str(self._handle.root)

    @property
    def selected_unsharded(self) -> int:
        """Tests and entries selected before `--partition` took this shard's share."""
        return int(self._handle.selected_unsharded)

    @property
    def config_durations(self) -> int | None:
        """The config's `durations` (slowest tests to show), if it sets one."""
        value = self._handle.durations
        return None if value is None else int(value)

    def next_batch(
        self, timeout: float = 0.1, progress: bool = False
    ) -> list[dict[str, Any]] | None:
        """The next events (possibly none within `timeout` s); None once the run is over.

        Unlike `events()`, a caller can catch KeyboardInterrupt around this and
        keep reading: a generator would be finished by the exception.
        `progress=True` gives the lean form a progress display needs (see
        docs/events.md): records cut to id, outcome, duration, flaky, attempts.
        """
        data = self._handle.next_batch(timeout, progress)
        return None if data is None else json.loads(data)

    def events(self, batch: bool = False, poll: float = 0.1) -> Iterator[Any]:
        """Events as dicts (or lists of them with `batch=True`) until the run ends.

        Waiting happens in Rust with the GIL released; it wakes every `poll`
        seconds so that Ctrl-C reaches the caller promptly.
        """
        while True:
            data = self._handle.next_batch(poll)
            if data is None:
                return
            events = json.loads(data)
            if not events:
                continue
            if batch:
                yield events
            else:
                yield from events

    async def aevents(self, poll: float = 0.25) -> AsyncIterator[list[dict[str, Any]]]:
        """Batches of events, awaited without blocking the event loop."""
        while True:
            data = await self._handle.next_batch_async(poll)
            if data is None:
                return
            events = json.loads(data)
            if events:
                yield events

    def cancel(self) -> None:
        """Stop gracefully: queued tests become `cancelled`, running ones are stopped."""
        self._handle.cancel()

    def kill(self) -> None:
        """Stop now: kill the workers."""
        self._handle.kill()

    def report_json(self) -> str | None:
        """The run report as JSON once `run_finished` was seen."""
        return self._handle.report_json()

    def highlights(self, slowest: int = 0) -> dict[str, Any] | None:
        """The report with only the failing tests and the `slowest` longest
        ones among its records (summary, errors and benchmarks complete)."""
        data = self._handle.highlights_json(slowest)
        return json.loads(data) if data else None

    def render(self, fmt: str) -> str | None:
        """The finished run's report as `fmt` (json, markdown, junit, console)."""
        return self._handle.render(fmt)

    def report(self) -> dict[str, Any] | None:
        """The run report (docs/report-schema.json) once `run_finished` was seen."""
        data = self._handle.report_json()
        return json.loads(data) if data else None


def start_run(options: RunOptions) -> Run:
    """Prepare and start a run. Raises `UsageError` for bad input."""
    from dbtest import _core

    request = json.dumps(options.to_request())
    try:
        handle = _core.start_run(request, in_process=options.in_process)
    except _core.UsageError as e:
        raise UsageError(str(e)) from None
    return Run(handle)
