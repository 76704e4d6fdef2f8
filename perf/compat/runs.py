"""Running one project's tests under its own runner (the oracle) and under dbtest.

Both runs get the same interpreter (the project's venv), the same fresh copy
of the sdist and the same environment: PYTHONHASHSEED fixed, no inherited
virtualenv, PYTHONPATH or pytest/dbtest options.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from perf.compat.envs import python_of
from perf.compat.projects import Project

TIMEOUT = 1200  # seconds for one runner on one project
DBTEST_WORKERS = "2"
_PYTEST_CONFIGS = (
    ("pytest.toml", ""),
    (".pytest.toml", ""),
    ("pytest.ini", ""),
    (".pytest.ini", ""),
    ("pyproject.toml", "[tool.pytest"),
    ("tox.ini", "[pytest]"),
    ("setup.cfg", "[tool:pytest]"),
)


@dataclass
class Run:
    """What one runner reported: records by id, or why there are none."""

    records: list[dict] = field(default_factory=list)
    collection_errors: list[dict] = field(default_factory=list)
    run_errors: list[dict] = field(default_factory=list)
    exit_code: int | None = None
    seconds: float = 0.0
    failure: str | None = None  # set when the runner produced no usable result


def environment(venv: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONSTARTUP", "PYTEST_ADDOPTS", "PYTEST_PLUGINS")
        and not k.startswith("DBTEST_")
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONHASHSEED"] = "0"
    return env


def pytest_config_args(root: Path) -> list[str]:
    """Keep pytest inside the project: without a pytest config of its own, pytest
    would climb to the enclosing checkout's pyproject.toml and take its options."""
    for name, marker in _PYTEST_CONFIGS:
        path = root / name
        if path.is_file() and marker in path.read_text(encoding="utf-8", errors="replace"):
            return ["--rootdir", "."]
    return ["--rootdir", ".", "-c", "pyproject.toml"]


def _execute(
    cmd: list[str], root: Path, env: dict[str, str], log: Path
) -> tuple[int | None, float, str | None]:
    start = time.monotonic()
    with log.open("w", encoding="utf-8") as out:
        out.write(f"$ {' '.join(cmd)}\n")
        out.flush()
        try:
            proc = subprocess.run(
                cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=TIMEOUT
            )
        except subprocess.TimeoutExpired:
            return None, time.monotonic() - start, f"timed out after {TIMEOUT} s (log: {log})"
    return proc.returncode, time.monotonic() - start, None


def run_oracle(project: Project, venv: Path, root: Path, results: Path) -> Run:
    """The project's own runner, through the panel's pytest plugin or unittest runner."""
    out = results / "oracle.json"
    out.unlink(missing_ok=True)
    python = str(python_of(venv))
    if project.runner == "pytest":
        cmd = [
            python,
            "-m",
            "pytest",
            "-p",
            "compat_oracle",
            *pytest_config_args(root),
            *project.oracle_args,
        ]
    else:
        cmd = [python, "-m", "compat_unittest"]
    env = {**environment(venv), "COMPAT_ORACLE_OUT": str(out)}
    code, seconds, failure = _execute(cmd, root, env, results / "oracle.log")
    run = Run(exit_code=code, seconds=seconds, failure=failure)
    if failure is None:
        if not out.exists():
            run.failure = (
                f"{project.runner} exited {code} without results (log: {results / 'oracle.log'})"
            )
        else:
            run.records = json.loads(out.read_text(encoding="utf-8"))["records"]
    return run


def run_dbtest(venv: Path, root: Path, results: Path) -> Run:
    """dbtest as a new user runs it: in the project's root, no paths, its JSON report."""
    out = results / "dbtest.json"
    out.unlink(missing_ok=True)
    cmd = [str(venv / "bin" / "dbtest"), "--headless", "-j", DBTEST_WORKERS, "--json", str(out)]
    code, seconds, failure = _execute(cmd, root, environment(venv), results / "dbtest.log")
    run = Run(exit_code=code, seconds=seconds, failure=failure)
    if failure is None:
        if not out.exists():
            run.failure = f"dbtest exited {code} without a report (log: {results / 'dbtest.log'})"
        else:
            report = json.loads(out.read_text(encoding="utf-8"))
            run.records = report["tests"]
            run.collection_errors = report.get("collection_errors", [])
            run.run_errors = report.get("run_errors", [])
    return run
