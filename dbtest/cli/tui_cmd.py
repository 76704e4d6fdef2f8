"""`dbtest tui`: the interactive runner. Needs a terminal; CI uses `--headless`."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from dbtest.cli import exit_codes, fail

NO_TERMINAL = "dbtest tui needs a terminal; in CI, run dbtest --headless instead"


def has_terminal() -> bool:
    """Both ends of the conversation must be a terminal."""
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):  # closed or replaced streams
        return False


def split_tags(tags: list[str] | None) -> list[str]:
    """`["a,b", "c"]` -> `["a", "b", "c"]`."""
    return [t.strip() for group in tags or [] for t in group.split(",") if t.strip()]


def register(app: typer.Typer) -> None:
    """Add the `tui` command to the application."""

    @app.command("tui")
    def tui_command(
        paths: Annotated[
            list[str] | None,
            typer.Argument(help="Files, directories or ids (default: the config's paths)."),
        ] = None,
        pattern: Annotated[
            str | None, typer.Option("-k", "--pattern", help="Initial filter: glob or substring.")
        ] = None,
        tags: Annotated[
            list[str] | None, typer.Option("--tags", help="Initial tags (a,b): any of them.")
        ] = None,
        expr: Annotated[
            str | None, typer.Option("-E", "--filter", help="Initial filter expression.")
        ] = None,
        workers: Annotated[
            int | None, typer.Option("-j", "--workers", min=1, help="Worker processes.")
        ] = None,
        fresh: Annotated[
            bool, typer.Option("--fresh", help="Ignore the saved session (.dbtest/tui.json).")
        ] = False,
    ) -> None:
        """Browse, filter and run tests interactively (keys: ? in the app, docs/tui.md)."""
        if not has_terminal():
            fail(NO_TERMINAL, exit_codes.USAGE_ERROR)
        if pattern and expr:
            fail("give either -k/--pattern or -E/--filter to the TUI, not both")
        from dbtest.tui import make_app

        app_ = make_app(
            os.getcwd(),
            paths or [],
            pattern=pattern,
            expr=expr,
            tags=split_tags(tags) or None,
            workers=workers,
            restore_session=not fresh,
        )
        app_.run()
        raise typer.Exit(exit_codes.OK)
