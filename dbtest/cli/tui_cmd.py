"""`dbtest tui`: the interactive runner. Needs a terminal; CI uses `--headless`."""

from __future__ import annotations

import os
import sys

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
    from dbtest.cli.params import paths_parameter, with_options
    from dbtest.options import Values

    def tui_command(paths: list[str] | None = None, **values: object) -> None:
        """Browse, filter and run tests interactively (keys: ? in the app, docs/tui.md)."""
        a = Values("tui", paths=paths, **values)
        if not has_terminal():
            fail(NO_TERMINAL, exit_codes.USAGE_ERROR)
        if a.pattern and a.expr:
            fail("give either -k/--pattern or -E/--filter to the TUI, not both")
        from dbtest.cli import coverage_setup
        from dbtest.tui import make_app

        coverage = coverage_setup.settings(a)  # a UsageError is one line, exit 4
        if coverage is not None:
            from dbtest.cli import coverage_report

            coverage_report.prepare(coverage)  # report paths checked before the TUI starts

        app_ = make_app(
            os.getcwd(),
            a.paths or [],
            pattern=a.pattern,
            expr=a.expr,
            tags=split_tags(a.tags) or None,
            workers=a.workers,
            restore_session=not a.fresh,
            watch_delay_ms=a.watch_delay,
            coverage=coverage,
        )
        app_.run()
        raise typer.Exit(exit_codes.OK)

    paths = paths_parameter("Files, directories or ids (default: the config's paths).")
    app.command("tui")(with_options("tui", tui_command, paths))
