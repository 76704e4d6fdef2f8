"""Start-up stays light: what the real `dbtest list` and a worker import.

`dbtest list` answers in ~20 ms, half of it the interpreter; one careless
module-level import (`typing` ~12 ms, `pathlib` ~4 ms) doubles that for every
editor integration and shell completion that calls it. Measured by Python's
own import log of the real executable, so it fails when a module on the path
starts importing one of them, whoever imports it.
"""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import FIXTURES, run_dbtest

BASIC = FIXTURES / "list_basic"


def imported(stderr: str) -> set[str]:
    """Module names in a `PYTHONPROFILEIMPORTTIME` log."""
    return set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s+(\S+)", stderr, re.M))


def test_list_imports_none_of_the_costly_modules() -> None:
    proc = run_dbtest(["list"], BASIC, env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert proc.returncode == 0, proc.stdout
    modules = imported(proc.stderr)
    assert "dbtest.cli.list_cmd" in modules  # the log is the real one
    assert not modules & {"typing", "pathlib", "re", "json"}


def test_the_worker_does_not_import_pathlib_before_a_test_asks() -> None:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import dbtest.worker"],
        capture_output=True,
        text=True,
        check=True,
    )
    modules = imported(proc.stderr)
    assert "dbtest.execution.fixtures" in modules
    assert "pathlib" not in modules
