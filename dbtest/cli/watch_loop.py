"""`dbtest --watch`: run, then rerun what each change affects, until Ctrl-C.

The engine watches the files (`_core.Watcher`: the operating system's
events, debounced by `--watch-delay`) and selects what a batch of changed
files affects (the rule of `--changed`, with the watcher's paths instead of
git's); this loop only prints a header per rerun and starts the runs.

Exit code: Ctrl-C while waiting ends with the exit code of the last run
that ran a test; Ctrl-C during a run cancels it as usual and ends with 2
(interrupted).
"""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Callable
from typing import Any

from dbtest._core import UsageError
from dbtest.cli import exit_codes

# A header names at most this many changed files.
_NAMED = 3


def header(number: int, changed: list[str], selected: int) -> str:
    """`-- rerun 2: pkg/c.py changed, 3 tests --`: the one line before a rerun."""
    names = ", ".join(changed[:_NAMED])
    if len(changed) > _NAMED:
        names += f" and {len(changed) - _NAMED} more"
    tests = "no test affected" if selected == 0 else f"{selected} test" + "s" * (selected != 1)
    return f"-- rerun {number}: {names} changed, {tests} --"


def outputs(settings: Any, report_paths: Callable[[Any], list[str]]) -> list[str]:
    """What the runs write inside the project (reports, coverage's): left
    out of the watch, or each run's reports would start the next."""
    paths = [os.path.abspath(p) for p in report_paths(settings)]
    if settings.coverage is not None:
        paths += settings.coverage.outputs()
    return paths


def watch(
    options: Any,
    settings: Any,
    execute: Callable[..., int],
    report_paths: Callable[[Any], list[str]],
) -> int:
    """Run `options` (a `RunOptions`), then rerun on every change; the exit
    code. `execute` runs once and `report_paths` names a run's reports
    (dbtest.cli.run_exec's, passed in: that module starts this loop)."""
    from dbtest import _core

    if options.in_process:
        raise UsageError(
            "--watch cannot run --in-process: a rerun must import the changed modules afresh"
        )
    watcher: list[Any] = []

    def first_started(run: Any) -> None:
        # Watching from the first run's start: a save during it is a change.
        watcher.append(
            _core.Watcher(run.root, settings.watch_delay, outputs(settings, report_paths))
        )

    code = execute(options, settings, started=first_started)
    settings.change_note = False  # each rerun's header names the changes
    number = 1
    while code != exit_codes.INTERRUPTED and watcher:
        try:
            # In the try: a Ctrl-C as soon as the line is out is while waiting.
            _say("dbtest: watching for changes (Ctrl-C to stop)")
            changed = None
            while changed is None:
                changed = watcher[0].next_change(0.25)
        except KeyboardInterrupt:
            return code
        number += 1
        rerun = copy.copy(options)
        rerun.changed_paths = changed

        selected: list[int] = []

        def started(
            run: Any, number: int = number, changed: list[str] = changed, seen: list = selected
        ) -> None:
            seen.append(run.selected)
            _say(header(number, changed, run.selected))

        try:
            last = execute(rerun, settings, started=started)
            # A change no test depends on leaves the suite's state (and code) as it was.
            if not (last == exit_codes.NO_TESTS and selected == [0]):
                code = last
        except UsageError as e:
            # The project became unreadable (a broken config): say so, keep watching.
            print(f"dbtest: error: {e}", file=sys.stderr, flush=True)
            code = exit_codes.USAGE_ERROR
    return code


def _say(line: str) -> None:
    print(line, file=sys.stdout, flush=True)
