"""The typer application. Each command lives in its own module and registers itself."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="dbtest",
    help="A test and benchmark runner for Python with a Rust engine.",
    add_completion=False,
    no_args_is_help=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from dbtest import _core

        typer.echo(f"dbtest {_core.__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """A test and benchmark runner for Python with a Rust engine."""


def _register() -> None:
    from dbtest.cli import list_cmd, report_cmd, run_cmd, tui_cmd

    for module in (list_cmd, run_cmd, report_cmd, tui_cmd):
        module.register(app)


_register()
