"""`dbtest report`: merge shard reports and render saved reports again.

    dbtest report merge report-1.json report-2.json ... -o all.json
    dbtest report render all.json --format markdown|junit|console|json [-o FILE]

All the work (parsing, the schema-version check, merging, rendering, atomic
writes) happens in Rust (`dbtest._core`); this module maps options and turns
errors into one line and exit code 4.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Optional

import typer

from dbtest._core import REPORT_FORMATS, UsageError

report_app = typer.Typer(
    name="report",
    help="Merge shard reports and render saved reports.",
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def read_report(path: str) -> str:
    """The text of a saved report. Invalid UTF-8 becomes U+FFFD rather than an error."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise UsageError(f"cannot read report {path}: {e.strerror or e}") from None
    return data.decode("utf-8", errors="replace")


def emit(text: str, output: str | None) -> None:
    """Write `text` atomically to `output`, or to standard output (always UTF-8)."""
    from dbtest import _core

    if output and output != "-":
        try:
            _core.write_atomic(output, text)
        except OSError as e:
            raise UsageError(str(e)) from None
        return
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.buffer.flush()


def merge_files(paths: list[str]) -> str:
    """Merge the reports at `paths`; returns the merged report's JSON."""
    from dbtest import _core

    texts = [read_report(p) for p in paths]
    return _core.merge_reports(texts, [os.path.basename(p) or p for p in paths])


def render_file(path: str, fmt: str) -> str:
    """Render the report at `path` in `fmt`."""
    from dbtest import _core

    _core.check_report_format(fmt)  # before reading: raises UsageError
    text = read_report(path)
    try:
        return _core.render_report(text, fmt)
    except UsageError as e:
        raise UsageError(f"{path}: {e}") from None  # which file


@report_app.command("merge")
def merge_cmd(
    reports: Annotated[list[str], typer.Argument(help="Shard reports (JSON) to merge.")],
    output: Annotated[
        Optional[str],  # noqa: UP045 - typer needs Optional on 3.10
        typer.Option(
            "--output", "-o", help="Write the merged report here (default: standard output)."
        ),
    ] = None,
) -> None:
    """Merge the JSON reports of the shards of one run into one report."""
    emit(merge_files(reports), output)


@report_app.command("render")
def render_cmd(
    report: Annotated[str, typer.Argument(help="A saved JSON report.")],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help=", ".join(REPORT_FORMATS) + ".")
    ] = "console",
    output: Annotated[
        Optional[str],  # noqa: UP045 - typer needs Optional on 3.10
        typer.Option("--output", "-o", help="Write here instead of standard output."),
    ] = None,
) -> None:
    """Render a saved JSON report as console text, JSON, Markdown or JUnit XML."""
    emit(render_file(report, fmt), output)


def register(app: typer.Typer) -> None:
    """Add the `report` sub-command group to the `dbtest` app."""
    app.add_typer(report_app, name="report")
