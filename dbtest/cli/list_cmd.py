"""`dbtest list`: print the discovered tree without importing any test.

Everything (config, discovery, filtering, rendering) happens in Rust; this
module only maps options. It imports nothing heavy: no rich, no asyncio.
"""

# No `from __future__ import annotations`: typer reads the Annotated options of
# `list_command` at definition time, inside `register`, where typer is imported.
import os
import sys
from typing import TYPE_CHECKING, Annotated

from dbtest.cli import UsageError
from dbtest.cli.color import want_color

if TYPE_CHECKING:  # pragma: no cover
    import typer


def split_tags(tags: str | None) -> list[str]:
    """`"a, b"` -> `["a", "b"]`."""
    return [t.strip() for t in (tags or "").split(",") if t.strip()]


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


def register(app: "typer.Typer") -> None:
    """Add the `list` command to the application."""
    import typer

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


def fast_list(argv: list[str]) -> int | None:
    """Run `dbtest list` without importing typer (with rich, ~57 ms, which
    would dominate the command). Returns the exit code, or None
    to let typer handle the command line (`--help`).

    The options mirror `list_command` exactly; e2e tests go through this path.
    """
    if any(a in ("--help", "-h") for a in argv):
        return None
    import argparse

    from dbtest.cli import exit_codes, fail

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> None:  # type: ignore[override]
            raise UsageError(message)

    p = _Parser(prog="dbtest list", add_help=False)
    p.add_argument("paths", nargs="*")
    p.add_argument("-k", "--pattern")
    p.add_argument("--tags")
    p.add_argument("-E", "--filter", dest="expr")
    p.add_argument("--format", dest="output_format", default="text")
    p.add_argument("--bench", action="store_true")
    p.add_argument("--tests", action="store_true")
    p.add_argument("--full-parse", action="store_true")
    try:
        ns = p.parse_args(argv)
        if ns.output_format not in ("text", "json"):
            raise UsageError(f"--format must be 'text' or 'json', not {ns.output_format!r}")
        if ns.bench and ns.tests:
            raise UsageError("--bench and --tests exclude each other")
        mode = "bench" if ns.bench else "tests" if ns.tests else "all"
        out = list_tests(
            ns.paths, ns.pattern, ns.tags, ns.expr, ns.output_format, mode, ns.full_parse
        )
        sys.stdout.write(out if out.endswith("\n") else out + "\n")
        sys.stdout.flush()
    except UsageError as e:
        fail(str(e))
    except BrokenPipeError:
        # `dbtest list | head`: the reader went away; not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return exit_codes.OK
