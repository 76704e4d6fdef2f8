"""The typer application. Each command lives in its own module and registers itself."""

from __future__ import annotations

import typer


def _version(value: bool) -> None:
    if value:
        from dbtest import _core

        typer.echo(f"dbtest {_core.__version__}")
        raise typer.Exit(0)


def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """A test and benchmark runner for Python with a Rust engine."""


def build_app(command: str | None = None) -> typer.Typer:
    """The application with every command, or only `command`.

    typer turns each registered function's signature into click parameters
    on every start; with all eight commands that was ~40 ms of a `dbtest`
    run's start-up, spent on commands the run does not use.
    """
    from dbtest.cli import list_cmd, report_cmd, run_cmd, tui_cmd

    app = typer.Typer(
        name="dbtest",
        help="A test and benchmark runner for Python with a Rust engine.",
        add_completion=False,
        no_args_is_help=False,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
    )
    app.callback()(_root)
    if command is None or command == "list":
        list_cmd.register(app)
    if command is None or command in run_cmd.COMMANDS:
        run_cmd.register(app, only=command)
    if command is None or command == "report":
        report_cmd.register(app)
    if command is None or command == "tui":
        tui_cmd.register(app)
    return app
