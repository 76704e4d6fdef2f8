"""`dbtest list`: print the discovered tree without importing any test.

Everything (config, discovery, filtering, rendering) happens in Rust; this
module only maps options. It imports nothing heavy: no rich, no asyncio.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from dbtest.cli import UsageError


def split_tags(tags: str | None) -> list[str]:
    """`"a, b"` -> `["a", "b"]`."""
    return [t.strip() for t in (tags or "").split(",") if t.strip()]


def want_color(stream: object) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def list_tests(
    paths: list[str],
    pattern: str | None,
    tags: str | None,
    expr: str | None,
    output_format: str,
    mode: str,
    full_parse: bool = False,
) -> str:
    """Render the selected tree; raise `UsageError` for bad input."""
    from dbtest import _core

    try:
        return _core.list_tree(
            paths=list(paths),
            root_dir=os.getcwd(),
            pattern=pattern,
            tags=split_tags(tags),
            expr=expr,
            mode=mode,
            format=output_format,
            color=output_format == "text" and want_color(sys.stdout),
            full_parse=full_parse,
        )
    except _core.UsageError as e:
        raise UsageError(str(e)) from None


def register(app: typer.Typer) -> None:
    """Add the `list` command to the application."""

    @app.command("list")
    def list_command(
        paths: Annotated[
            list[str] | None,
            typer.Argument(
                help="Files, directories or ids (default: config `paths`, else tests/, else .)."
            ),
        ] = None,
        pattern: Annotated[
            str | None,
            typer.Option("-k", "--pattern", help="Glob (* and ?) or substring of the test id."),
        ] = None,
        tags: Annotated[
            str | None,
            typer.Option(
                "--tags", help="Comma-separated tags; a test with any of them is selected."
            ),
        ] = None,
        expr: Annotated[
            str | None,
            typer.Option(
                "-E", "--filter", help="Filter expression, e.g. 'tag(db) & not test(~slow)'."
            ),
        ] = None,
        output_format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
        bench: Annotated[bool, typer.Option("--bench", help="Only benchmark entries.")] = False,
        tests: Annotated[bool, typer.Option("--tests", help="Only tests (no benchmarks).")] = False,
        full_parse: Annotated[
            bool,
            typer.Option("--full-parse", help="Also report syntax errors inside function bodies."),
        ] = False,
    ) -> None:
        """List tests and benchmarks (static parse: nothing is imported)."""
        if output_format not in ("text", "json"):
            raise UsageError(f"--format must be 'text' or 'json', not {output_format!r}")
        if bench and tests:
            raise UsageError("--bench and --tests exclude each other")
        mode = "bench" if bench else "tests" if tests else "all"
        out = list_tests(paths or [], pattern, tags, expr, output_format, mode, full_parse)
        sys.stdout.write(out if out.endswith("\n") else out + "\n")
        sys.stdout.flush()
