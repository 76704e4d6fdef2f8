"""End to end: `dbtest --watch` on a copy of `tests/fixtures/changed_project`
(tests/test_a.py imports pkg.b, which imports pkg.c; tests/test_direct.py
imports pkg.c; tests/test_other.py imports pkg.d).

Each test starts the real executable, waits (with a generous timeout, never
timing anything) for its output, writes files, and stops it with Ctrl-C.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import threading
from pathlib import Path

import pytest

from tests.conftest import DBTEST, FIXTURES, run_dbtest

WAITING = "dbtest: watching for changes (Ctrl-C to stop)"
HEADER = re.compile(r"^-- rerun (\d+): (.*) changed, (.*) --$")
# Generous: a loaded machine is slow, not wrong.
TIMEOUT = 60.0


class Watching:
    """A running `dbtest --watch`, its stdout read line by line."""

    def __init__(self, root: Path, *args: str) -> None:
        env = {**os.environ, "NO_COLOR": "1"}
        env.pop("FORCE_COLOR", None)
        self.proc = subprocess.Popen(
            [str(DBTEST), "--watch", "--headless", "-v", *args],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._new: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._new.put(line.rstrip("\n"))
        self._new.put(None)

    def until(self, text: str, after: int = 0) -> int:
        """Wait for a line equal to `text` (or a header starting with it)
        past line `after`; its index."""
        while True:
            for i in range(after, len(self.lines)):
                if self.lines[i] == text or self.lines[i].startswith(text + ":"):
                    return i
            try:
                line = self._new.get(timeout=TIMEOUT)
            except queue.Empty:
                raise AssertionError(f"no {text!r} in:\n" + "\n".join(self.lines)) from None
            if line is None:
                raise AssertionError(f"exited before {text!r}:\n" + "\n".join(self.lines))
            self.lines.append(line)

    def interrupt(self) -> tuple[int, str]:
        """Ctrl-C; the exit code and stderr."""
        self.proc.send_signal(signal.SIGINT)
        _, err = self.proc.communicate(timeout=TIMEOUT)
        return self.proc.returncode, err

    def headers(self) -> list[tuple[str, str]]:
        """(changed files, tests) of each rerun header, in order."""
        out = []
        for line in self.lines:
            m = HEADER.match(line)
            if m:
                out.append((m.group(2), m.group(3)))
        return out

    def ran(self, start: int, end: int | None = None) -> set[str]:
        """The test ids reported between two line indices."""
        ids = set()
        for line in self.lines[start:end]:
            m = re.match(r"^(PASSED|FAILED)\s+\S+\s+(\S+::\S+)$", line)
            if m:
                ids.add(m.group(2))
        return ids


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    shutil.copytree(FIXTURES / "changed_project", root)
    return root


def test_a_write_reruns_only_what_it_affects(project: Path) -> None:
    w = Watching(project)
    try:
        first = w.until(WAITING)
        assert w.ran(0, first) == {
            "tests/test_a.py::test_a",
            "tests/test_direct.py::test_direct",
            "tests/test_other.py::test_other",
        }
        (project / "pkg/c.py").write_text("def c():\n    return 1\n\n\nX = 2\n")
        start = w.until("-- rerun 2", first)
        assert w.lines[start] == "-- rerun 2: pkg/c.py changed, 2 tests --"
        end = w.until(WAITING, start)
        # Through the two-level chain; test_other imports only pkg.d.
        assert w.ran(start, end) == {
            "tests/test_a.py::test_a",
            "tests/test_direct.py::test_direct",
        }
    finally:
        code, err = w.interrupt()
    # Ctrl-C while waiting: the last run's exit code.
    assert code == 0, err
    assert "Traceback" not in err


def test_a_burst_of_writes_is_one_rerun_and_reports_start_none(project: Path) -> None:
    # The JSON report is written into the project after each run: never a change.
    w = Watching(project, "--watch-delay", "1000", "--json", "report.json")
    try:
        first = w.until(WAITING)
        for i in range(6):
            (project / "pkg/d.py").write_text(f"def d():\n    return 2\n\n\nN = {i}\n")
        start = w.until("-- rerun 2", first)
        done = w.until(WAITING, start)
        assert w.ran(start, done) == {"tests/test_other.py::test_other"}
        # A marker after the burst's rerun: any second rerun of the burst,
        # or one started by report.json, would come before the marker's.
        (project / "pkg/c.py").write_text("def c():\n    return 1\n\n\nX = 3\n")
        marker = w.until("-- rerun 3", done)
        w.until(WAITING, marker)
    finally:
        code, err = w.interrupt()
    assert w.headers() == [("pkg/d.py", "1 test"), ("pkg/c.py", "2 tests")]
    assert (project / "report.json").is_file()
    assert code == 0, err


def test_ctrl_c_ends_with_the_exit_code_of_the_last_run_of_tests(project: Path) -> None:
    w = Watching(project)
    try:
        first = w.until(WAITING)
        (project / "pkg/d.py").write_text("def d():\n    return 3\n")
        start = w.until("-- rerun 2", first)
        end = w.until(WAITING, start)
        assert "FAILED" in "\n".join(w.lines[start:end])
        # A module nothing imports: no test is affected, the code stays 1.
        (project / "pkg/e.py").write_text("E = 1\n")
        start = w.until("-- rerun 3", end)
        assert w.lines[start] == "-- rerun 3: pkg/e.py changed, no test affected --"
        w.until(WAITING, start)
    finally:
        code, err = w.interrupt()
    assert code == 1, err
    assert "Traceback" not in err


def test_watch_cannot_run_in_process(project: Path) -> None:
    proc = run_dbtest(["--watch", "--in-process"], project)
    assert proc.returncode == 4
    assert proc.stderr.strip().splitlines() == [
        "dbtest: error: --watch cannot run --in-process: "
        "a rerun must import the changed modules afresh"
    ]


def test_a_negative_watch_delay_is_a_usage_error(project: Path) -> None:
    proc = run_dbtest(["--watch", "--watch-delay", "-5"], project)
    assert proc.returncode == 4
    assert "Traceback" not in proc.stderr
