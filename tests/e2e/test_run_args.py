"""The typer-free parser of `dbtest run` command lines agrees with typer."""

from __future__ import annotations

import dataclasses

import pytest
from typer.main import get_command

from dbtest.cli import run_args
from dbtest.cli.app import build_app
from dbtest.cli.run_exec import RunArgs
from tests.conftest import run_dbtest


@pytest.fixture(scope="module")
def typer_params():
    command = get_command(build_app("run")).commands["run"]
    return {p.name: p for p in command.params}


def test_options_mirror_run_command_flag_by_flag(typer_params):
    options = {o.name: o for o in run_args.OPTIONS}
    assert set(options) | {"paths"} == set(typer_params)
    assert set(options) | {"paths"} == {f.name for f in dataclasses.fields(RunArgs)}
    for name, opt in options.items():
        param = typer_params[name]
        assert tuple(param.opts) + tuple(param.secondary_opts) == opt.flags, name
        assert bool(param.is_flag) == (opt.kind is bool), name
        assert param.multiple == opt.multiple, name
        kind = {"INTEGER": int, "FLOAT": float}.get(param.type.name.upper().split()[0], None)
        if opt.kind in (int, float):
            assert getattr(param.type, "min", None) == opt.min, name
            assert param.type.name.lower().startswith(opt.kind.__name__), name
        else:
            assert kind is None, name
        default = RunArgs.__dataclass_fields__[name].default
        assert (param.default or None) == (default or None), name


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
    got = run_args.parse(argv)
    assert got is not None
    seen: dict = {}

    def capture(mode, args):  # stands in for the run
        seen["args"] = args
        return 0

    import dbtest.cli.run_exec as run_exec

    original = run_exec.run
    run_exec.run = capture
    try:
        app = build_app("run")
        with pytest.raises(SystemExit):
            app(args=["run", *argv], prog_name="dbtest")
    finally:
        run_exec.run = original
    typer_args = seen["args"]
    assert got == dataclasses.replace(typer_args, paths=typer_args.paths or None)


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
    assert run_args.parse(argv) is None


def test_declined_command_lines_get_typers_messages(tmp_path):
    proc = run_dbtest(["-j", "0"], tmp_path)
    assert proc.returncode == 4
    assert "0 is not in the range x>=1" in proc.stderr
    assert "Traceback" not in proc.stderr
