"""Bad input, through the real `dbtest`: one line on stderr, exit code 4
(`USAGE_ERROR`, from the engine), never a traceback, for each kind."""

from __future__ import annotations

import pytest

from dbtest.cli import exit_codes
from tests.conftest import run_dbtest


def _project(tmp_path, config: str = ""):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("def test_a():\n    pass\n")
    if config:
        (tmp_path / "pyproject.toml").write_text(config)
    return tmp_path


def _one_line_error(proc, expected: str) -> None:
    assert proc.returncode == exit_codes.USAGE_ERROR == 4, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    [line] = proc.stderr.splitlines()
    assert line.startswith("dbtest: error: ") and expected in line, line
    assert "passed" not in proc.stdout  # nothing ran


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--headless", "--workers", "two"], "'two' is not a valid"),
        (["--headless", "--partition", "slice:3/2"], "invalid partition"),
        (["--headless", "--timeout", "0"], "--timeout must be a number above 0"),
        (["--headless", "--format", "html"], "--format must be one of"),
        (["--headless", "--fail-on-regression", "lots", "--compare", "x"], "invalid regression"),
        (["bench", "--bench-equivalence", "lots"], "invalid equivalence margin"),
        (["bench", "--bench-equivalence", "0.5"], "ambiguous equivalence margin"),
        (["bench", "--bench-equivalence", "-1%"], "invalid equivalence margin"),
        (["list", "--format", "xml"], "--format must be 'text' or 'json'"),
    ],
)
def test_a_bad_option_value(tmp_path, args, expected):
    _one_line_error(run_dbtest(args, _project(tmp_path)), expected)


@pytest.mark.parametrize("command", [["--headless"], ["list"], ["bench"]])
def test_a_bad_config_key(tmp_path, command):
    root = _project(tmp_path, "[tool.dbtest]\nworkerz = 2\n")
    _one_line_error(run_dbtest(command, root), "key 'workerz': unknown key")


@pytest.mark.parametrize("command", [["--headless"], ["list"]])
def test_a_bad_filter_expression(tmp_path, command):
    proc = run_dbtest([*command, "-E", "tag(db"], _project(tmp_path))
    assert proc.returncode == 4 and "Traceback" not in proc.stderr
    # One line, then the expression with a caret under the fault.
    error, expr, caret = proc.stderr.splitlines()
    assert error.startswith("dbtest: error: invalid filter at column 7")
    assert expr.strip() == "tag(db" and caret.strip() == "^"


@pytest.mark.parametrize("command", [["--headless"], ["list"], ["unit", "-q"]])
def test_a_bad_path(tmp_path, command):
    proc = run_dbtest([*command, "no/such/dir"], _project(tmp_path))
    _one_line_error(proc, "no such file or directory: no/such/dir")


def test_a_bad_report_is_the_same_error(tmp_path):
    bad = tmp_path / "r.json"
    bad.write_text("[]")
    _one_line_error(run_dbtest(["report", "render", str(bad)], tmp_path), "not an object")
    _one_line_error(
        run_dbtest(["--headless", "--compare", "nope"], _project(tmp_path)),
        "no saved baseline",
    )
