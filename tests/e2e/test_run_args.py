"""The typer-free parser of `dbtest run`/`list` command lines agrees with typer.

Both are made from the option table (`dbtest.options`); these tests check
that typer reads the table as the fast parser does.
"""

from __future__ import annotations

import pytest
from typer.main import get_command

from dbtest.cli import run_args
from dbtest.cli.app import build_app
from dbtest.options import options_for
from tests.conftest import run_dbtest


@pytest.mark.parametrize("command", ["run", "bench", "list", "tui"])
def test_typer_takes_every_option_of_the_table_flag_by_flag(command):
    params = {p.name: p for p in get_command(build_app(command)).commands[command].params}
    options = {o.name: o for o in options_for(command)}
    assert set(options) | {"paths"} == set(params)
    for name, opt in options.items():
        param = params[name]
        assert tuple(param.opts) + tuple(param.secondary_opts) == opt.flags, name
        assert bool(param.is_flag) == (opt.kind is bool), name
        assert param.multiple == opt.multiple, name
        if opt.kind in (int, float):
            assert getattr(param.type, "min", None) == opt.min, name
            assert param.type.name.lower().startswith(opt.kind.__name__), name
        else:
            assert {"INTEGER": int, "FLOAT": float}.get(param.type.name.upper().split()[0]) is None
        assert (param.default or None) == (opt.default or None), name


def _typer_values(command: str, argv: list[str]):
    """What typer hands the command for `argv`."""
    seen: dict = {}

    def capture(mode, args):  # stands in for the run
        seen["args"] = args
        return 0

    import dbtest.cli.run_exec as run_exec

    original = run_exec.run
    run_exec.run = capture
    try:
        with pytest.raises(SystemExit):
            build_app(command)(args=[command, *argv], prog_name="dbtest")
    finally:
        run_exec.run = original
    return seen["args"]


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["tests", "-k", "insert*", "--tags", "db,slow", "--tags", "x", "-j2", "-q"],
        ["--timeout=2.5", "-E", "tag(db)", "--format", "json", "-o", "out.json", "a.py"],
        ["--lf", "--ff", "-x", "-s", "--headless", "--durations", "3", "--", "-weird-path"],
        ["--bench-time", "0.5", "--bench-min-samples", "3", "--quick", "--compare", "main"],
    ],
)
def test_fast_parse_equals_typer(argv):
    """Parse with both and compare every field."""
    got = run_args.parse("run", argv)
    assert got is not None
    typer_args = _typer_values("run", argv)
    typer_args.paths = typer_args.paths or None
    assert got == typer_args


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["-j", "0"],
        ["-j", "two"],
        ["--no-such-option"],
        ["-xq"],
        ["-k"],
        ["--headless=yes"],
        ["--timeout", "-1"],
        ["-k", "-q"],
    ],
)
def test_what_the_fast_parser_declines(argv):
    assert run_args.parse("run", argv) is None


def test_the_prewarm_lookup_reads_what_it_can():
    """Leniently: what typer would judge is skipped, the rest is read."""
    values = run_args.parse(
        "run", ["-xq", "--no-such", "-j", "3", "-s", "-j", "zero"], lenient=True
    )
    assert values is not None and values.workers == 3 and values.no_capture
    assert run_args.parse("run", ["-j", "3", "--help"], lenient=True) is None


def test_declined_command_lines_get_typers_messages(tmp_path):
    proc = run_dbtest(["-j", "0"], tmp_path)
    assert proc.returncode == 4
    assert "0 is not in the range x>=1" in proc.stderr
    assert "Traceback" not in proc.stderr
