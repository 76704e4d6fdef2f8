"""`dbtest list`: print the discovered tree without importing any test.

Everything (config, discovery, filtering, rendering) happens in Rust; this
module only maps options. It imports nothing heavy: no rich, no asyncio.
"""

from __future__ import annotations

import os
import sys

from dbtest.cli.color import want_color
from dbtest.options import Values

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    import typer


def list_tests(a: Values) -> str:
    """Render the tree `a` (the options of `dbtest list`) selects; raise
    `UsageError` for bad input."""
    from dbtest import _core
    from dbtest._core import UsageError

    if a.list_format not in ("text", "json"):
        raise UsageError(f"--format must be 'text' or 'json', not {a.list_format!r}")
    if a.bench and a.tests:
        raise UsageError("--bench and --tests exclude each other")
    return _core.list_tree(
        paths=list(a.paths or []),
        root_dir=os.getcwd(),
        pattern=a.pattern,
        tags=list(a.tags or []),
        expr=a.expr,
        markexpr=a.markexpr,
        mode="bench" if a.bench else "tests" if a.tests else "all",
        format=a.list_format,
        color=a.list_format == "text" and want_color(sys.stdout),
        full_parse=a.full_parse,
        changed=a.changed,
        doctest_modules=a.doctest_modules,
    )


def show(a: Values) -> int:
    """Print the listing; the exit code."""
    from dbtest.cli import exit_codes

    out = list_tests(a)
    sys.stdout.write(out if out.endswith("\n") else out + "\n")
    sys.stdout.flush()
    return exit_codes.OK


def register(app: typer.Typer) -> None:
    """Add the `list` command to the application."""
    import typer

    from dbtest.cli.params import paths_parameter, with_options

    def list_command(paths: list[str] | None = None, **values: object) -> None:
        """List tests and benchmarks (static parse: nothing is imported)."""
        raise typer.Exit(show(Values("list", paths=paths, **values)))

    paths = paths_parameter(
        "Files, directories or ids (default: config `paths`, else tests/, else .)."
    )
    app.command("list")(with_options("list", list_command, paths))
