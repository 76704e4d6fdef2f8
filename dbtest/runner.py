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
from typing import Any


class RunOptions:
    """What to run and how: every run option of `dbtest.cli.options` that the
    engine takes (`request=True`; `None` means the config's value, else the
    default), plus where (`root`, `paths`), which (`mode`, `ids`, and
    `changed_paths`: watch mode's changed files, selected as `--changed`
    selects) and how the workers run (`in_process`, and `worker_env`: what
    they add to their environment, such as `--cov`'s settings).

    `RunOptions(root=".", expr="tag(db)", workers=2)`; an unknown name is a
    TypeError.
    """

    def __init__(
        self,
        *,
        paths: list[str] | None = None,
        root: str | None = None,
        mode: str = "all",
        ids: list[str] | None = None,
        changed_paths: list[str] | None = None,
        in_process: bool = False,
        worker_env: list[tuple[str, str]] | None = None,
        command: list[str] | None = None,
        **options: Any,
    ) -> None:
        from dbtest.options import request_options

        self.paths = list(paths or [])
        self.root = root
        self.mode = mode
        self.ids = ids
        self.changed_paths = changed_paths
        self.in_process = in_process
        self.worker_env = list(worker_env or [])
        self.command = list(sys.argv) if command is None else command
        for o in request_options():
            setattr(self, o.name, options.pop(o.name, o.default))
        if options:
            raise TypeError(f"RunOptions has no option {', '.join(sorted(options))}")

    def __repr__(self) -> str:
        return f"RunOptions({vars(self)!r})"

    def to_request(self) -> dict[str, Any]:
        """The JSON request the engine's `start_run` takes (`RunRequest`)."""
        from dbtest import _core
        from dbtest.options import request_options

        data: dict[str, Any] = {o.name: getattr(self, o.name) for o in request_options()}
        data.update(
            paths=self.paths,
            mode=self.mode,
            ids=self.ids,
            changed_paths=self.changed_paths,
            worker_env=[list(kv) for kv in self.worker_env] or None,
            cwd=os.path.abspath(self.root or os.getcwd()),
            python=sys.executable,
            meta={
                "dbtest_version": _core.__version__,
                "python": platform.python_version(),
                "platform": f"{platform.system()}-{platform.machine()}".lower(),
                "start": 0.0,
                "duration": 0.0,
                "workers": 0,
                "command": self.command,
            },
        )
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
    def warnings(self) -> list[str]:
        """What the user should know before the run (one line each)."""
        return list(self._handle.warnings)

    @property
    def notes(self) -> list[str]:
        """With `--changed` or in watch mode: what changed, and why everything
        is selected when it is (one line each)."""
        return list(self._handle.notes)

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

    def conclusion(
        self, regressions: int = 0, coverage_under: tuple[str, float] | None = None
    ) -> dict[str, Any] | None:
        """How the finished run ended, as the engine says it: `verdict`,
        `exit_code` and `summary_line` (`(text, role)` pieces), counting
        `regressions` entries past `--fail-on-regression` and a coverage
        total under `--cov-fail-under` (`("71%", 90.0)`: as shown, required)."""
        data = self._handle.conclusion_json(regressions, coverage_under)
        return json.loads(data) if data else None

    def render(self, fmt: str) -> str | None:
        """The finished run's report as `fmt` (json, markdown, junit, console)."""
        return self._handle.render(fmt)

    def save_baseline(self, name: str, machine_json: str) -> str | None:
        """Save the finished run's benchmark results as baseline `name`
        (`.dbtest/benchmarks/NAME.json`); its path. Raises `UsageError`."""
        return self._handle.save_baseline(name, machine_json)

    def compare_baseline(self, name: str, threshold: float) -> str | None:
        """The finished run's benchmark results against the saved baseline
        `name` (JSON of the comparison). Raises `UsageError`."""
        return self._handle.compare_baseline(name, threshold)

    def report(self) -> dict[str, Any] | None:
        """The run report (docs/report-schema.json) once `run_finished` was seen."""
        data = self._handle.report_json()
        return json.loads(data) if data else None


def start_run(options: RunOptions) -> Run:
    """Prepare and start a run. Raises `dbtest._core.UsageError` for bad input."""
    from dbtest import _core

    request = json.dumps(options.to_request())
    return Run(_core.start_run(request, in_process=options.in_process))
