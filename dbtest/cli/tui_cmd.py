"""`dbtest tui`: the interactive runner. Needs a terminal; CI uses `--headless`."""

from __future__ import annotations

import os
import sys
from typing import Any

import typer

from dbtest.cli import exit_codes
from dbtest.cli.exit_codes import fail

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


# The filter bar owns the selecting options and the app its worker count;
# the other run options of the command line (how benchmarks are measured)
# go into every run the TUI starts, as given.
OWNED_BY_THE_APP = frozenset({"pattern", "tags", "expr", "workers"})


def run_options(a: Any) -> dict[str, Any]:
    """The options of `dbtest tui`'s command line that every run takes, given
    ones only. Raises `UsageError` for what the engine would refuse at the
    first run (an unknown `--instrument`, `instructions` without valgrind, a
    malformed `--bench-equivalence`, a zero `--bench-time`)."""
    from dbtest import _core
    from dbtest.cli.run_exec import check_bounds
    from dbtest.options import options_for

    check_bounds(a)
    _core.bench_check_options(a.instrument, a.bench_equivalence)
    return {
        o.name: getattr(a, o.name)
        for o in options_for("tui")
        if o.request and o.name not in OWNED_BY_THE_APP and getattr(a, o.name) not in (None, False)
    }


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

        fixed = run_options(a)  # a UsageError is one line, exit 4
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
            run_options=fixed,
        )
        app_.run()
        raise typer.Exit(exit_codes.OK)

    paths = paths_parameter("Files, directories or ids (default: the config's paths).")
    app.command("tui")(with_options("tui", tui_command, paths))
