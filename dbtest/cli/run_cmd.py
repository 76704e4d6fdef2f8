"""`dbtest [run|unit|integration|bench] [PATHS] [OPTIONS]`: run tests, then benchmarks.

The typer command is made from the option table (`dbtest.options`): each
option becomes a parameter of `run_command`'s signature.
"""

from __future__ import annotations

import inspect
from typing import Any

import typer

from dbtest.cli import run_exec
from dbtest.cli.params import paths_parameter, with_options
from dbtest.cli.run_exec import MODES
from dbtest.options import Values


def _run_command(ctx: typer.Context, paths: list[str] | None = None, **values: Any) -> None:
    """Run tests, then benchmarks."""
    command = ctx.info_name or "run"
    raise typer.Exit(run_exec.run(MODES[command], Values(command, paths=paths, **values)))


COMMANDS = {
    "run": "Run tests, then benchmarks (the default command).",
    "unit": "Run unit tests only (not under integration/, not tagged integration).",
    "integration": "Run integration tests only.",
    "bench": "Run benchmarks only.",
}


def register(app: typer.Typer, only: str | None = None) -> None:
    """Add `run`, `unit`, `integration` and `bench` (or just `only`) to the app."""
    ctx = inspect.Parameter(
        "ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context
    )
    paths = paths_parameter("Files, directories or test ids.")
    for name, help_text in COMMANDS.items():
        if only is None or only == name:
            # The run commands share their options (options.RUN).
            command = with_options("run", _run_command, ctx, paths)
            app.command(name, help=help_text)(command)
