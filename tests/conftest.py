"""Shared helpers for the project's own tests.

`run_dbtest` runs the real `dbtest` console script of this virtualenv as a
subprocess, the way a user runs it.
"""

from __future__ import annotations

import os
import subprocess
import sys
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
