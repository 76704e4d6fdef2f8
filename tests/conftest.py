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


def wait_for_file(path: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    """Wait until `path` exists, written by the run `proc` when it reaches the
    moment a test wants to act at; fail if the run ends first or never gets
    there (the timeout only guards against a hang, it measures nothing)."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"dbtest exited {proc.returncode} before {path}:\n{out}\n{err}")
        if time.monotonic() > deadline:
            proc.kill()
            out, err = proc.communicate()
            raise AssertionError(f"{path} not written within {timeout} s:\n{out}\n{err}")
        time.sleep(0.02)


def interrupt_dbtest(
    args: list[str], cwd: str | os.PathLike[str], after: float = 1.5
) -> subprocess.CompletedProcess[str]:
    """Start `dbtest *args`, press Ctrl-C (SIGINT) after `after` seconds, and
    wait for it to finish."""
    proc = subprocess.Popen(
        [str(DBTEST), *args],
        cwd=str(cwd),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(after)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
