"""Coverage in a worker (`--cov`): measured by coverage.py from before the
first test module is imported, into a data file of this worker's own.

The CLI puts the run's settings in the environment (`DBTEST_COV`, made by
`dbtest/cli/coverage_setup.py`); every worker reads them when it starts,
whether spawned, forked from the zygote or a replacement for a crashed one.
Each worker writes `.coverage.<host>.<pid>.<random>` (coverage.py's parallel
mode) in the run's own directory, and flushes what it measured after every
test: a worker that crashes or is killed loses at most the lines of the test
it was running. The CLI combines the files when the run ends
(`dbtest/cli/coverage_report.py`).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

ENV = "DBTEST_COV"

# Said by the CLI once for the run, not by each worker: a worker that ran
# no test of the measured code, or never imported one of its packages.
_QUIET = ["no-data-collected", "module-not-imported"]


class Measure:
    """One process's coverage measurement, told about tests as they start
    and finish (by the worker's `Outbox`, which sees every message)."""

    def __init__(self, cov: Any, contexts: bool) -> None:
        self.cov = cov
        self.contexts = contexts
        collector = getattr(cov, "_collector", None)
        # `Coverage.save()` also walks the source tree for files never
        # imported: right once, at the end, but not after every test. The
        # collector's flush is what coverage.py itself does when a dynamic
        # context switches: the lines so far go into the data file.
        self._flush = getattr(collector, "flush_data", None) or cov.get_data

    def saw(self, message: dict[str, Any]) -> None:
        """A protocol message is about to be sent: a test starts or ended."""
        ev = message.get("ev")
        if ev == "started":
            if self.contexts:
                # Flushes the previous test's lines under its own id.
                self.cov.switch_context(message["id"])
        elif ev == "finished":
            self._flush()

    def close(self) -> None:
        """Stop measuring and write the data file (with never-imported files)."""
        try:
            self.cov.stop()
            if not os.path.isdir(os.path.dirname(self.cov.config.data_file)):
                # The CLI combined without us, or gave up: a worker started
                # ahead of a run that did not adopt it. Nobody would read it.
                return
            self.cov.save()
        except Exception as e:  # noqa: BLE001 - the tests' results matter more
            print(f"dbtest: coverage: cannot save data: {e}", file=sys.stderr)


# The measurement of this process, if any (the worker's Outbox reads it).
current: Measure | None = None


def start(settings: dict[str, Any], root: str) -> Measure | None:
    """Start measuring with `settings` (the JSON of `DBTEST_COV`); None, and
    a line on stderr, when coverage.py cannot start here."""
    global current
    try:
        import coverage
    except ImportError:
        print("dbtest: coverage: coverage.py is not installed here", file=sys.stderr)
        return None
    cov = coverage.Coverage(
        data_file=os.path.join(settings["dir"], ".coverage"),
        data_suffix=True,
        # The project root's .coveragerc, setup.cfg, tox.ini or
        # pyproject.toml [tool.coverage] (a worker runs in the root), or
        # $COVERAGE_RCFILE: what `coverage run` would read here.
        config_file=True,
        branch=True if settings.get("branch") else None,
        auto_data=False,
    )
    # "" is a bare `--cov`: the config's `source`, else the project root.
    given = settings.get("source") or [""]
    named = [s for s in given if s]
    if named:
        cov.set_option("run:source", named + ([root] if "" in given else []))
    elif not (cov.get_option("run:source") or cov.get_option("run:source_pkgs")):
        cov.set_option("run:source", [root])
    quiet = list(cov.get_option("run:disable_warnings") or [])
    cov.set_option("run:disable_warnings", quiet + _QUIET)
    cov.start()
    current = Measure(cov, settings.get("context") == "test")
    return current


def start_from_env(root: str) -> Measure | None:
    """Start measuring if the CLI asked for it (`DBTEST_COV`)."""
    text = os.environ.get(ENV)
    if not text:
        return None
    return start(json.loads(text), root)


def stop() -> None:
    """End this process's measurement, if any, and write its data."""
    global current
    if current is not None:
        measure, current = current, None
        measure.close()
