"""Shared helpers for the project's own tests.

`run_dbtest` runs the real `dbtest` console script of this virtualenv as a
subprocess, the way a user runs it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"

# The console script installed next to the interpreter running the tests
# (/work/main/.venv/bin/dbtest in development).
DBTEST = Path(sys.executable).parent / "dbtest"


def run_dbtest(
    args: list[str],
    cwd: str | os.PathLike[str],
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run `dbtest *args` in `cwd` and capture its output as text."""
    full_env = {**os.environ, "NO_COLOR": "1"}
    full_env.pop("FORCE_COLOR", None)
    if env:
        full_env.update(env)
    return subprocess.run(
        [str(DBTEST), *args],
        cwd=str(cwd),
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# The directory a fixture project's tests mark themselves running in: each
# creates a file named after itself there when it starts (interrupt_dbtest).
RUNNING_ENV = "DBTEST_FIXTURE_RUNNING"


def wait_until(
    done: Callable[[], bool], proc: subprocess.Popen, what: str, timeout: float = 60
) -> None:
    """Wait until `done()`, which the run `proc` makes true when it reaches the
    moment a test wants to act at; fail if the run ends first or never gets
    there (the timeout only guards against a hang, it measures nothing)."""
    deadline = time.monotonic() + timeout
    while not done():
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"dbtest exited {proc.returncode} before {what}:\n{out}\n{err}")
        if time.monotonic() > deadline:
            proc.kill()
            out, err = proc.communicate()
            raise AssertionError(f"no {what} within {timeout} s:\n{out}\n{err}")
        time.sleep(0.02)


def wait_for_file(path: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    """Wait until the run `proc` creates `path` (see `wait_until`)."""
    wait_until(path.exists, proc, str(path), timeout)


def interrupt_dbtest(
    args: list[str], cwd: str | os.PathLike[str], running: Path, count: int = 1
) -> subprocess.CompletedProcess[str]:
    """Start `dbtest *args`, press Ctrl-C (SIGINT) once `count` of its tests
    are running, and wait for it to finish.

    The fixture's tests say they run by creating a file named after
    themselves in the directory `$DBTEST_FIXTURE_RUNNING`, here `running`
    (created, so it must not exist): the Ctrl-C lands while tests run, never
    before the first starts. `running` then lists every test that started."""
    running.mkdir()
    proc = subprocess.Popen(
        [str(DBTEST), *args],
        cwd=str(cwd),
        env={**os.environ, RUNNING_ENV: str(running)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_until(lambda: len(list(running.iterdir())) >= count, proc, f"{count} tests running")
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
