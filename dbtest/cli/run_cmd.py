"""`dbtest [run|unit|integration|bench] [PATHS] [OPTIONS]`: run tests, then benchmarks."""

from __future__ import annotations

from typing import Annotated

import typer

from dbtest.cli import run_exec
from dbtest.cli.run_exec import MODES

Paths = Annotated[list[str] | None, typer.Argument(help="Files, directories or test ids.")]


def run_command(
    ctx: typer.Context,
    paths: Paths = None,
    pattern: Annotated[
        str | None, typer.Option("-k", "--pattern", help="Glob or substring of the id.")
    ] = None,
    tags: Annotated[
        list[str] | None, typer.Option("--tags", help="Any of these tags (a,b).")
    ] = None,
    expr: Annotated[str | None, typer.Option("-E", "--filter", help="Filter expression.")] = None,
    workers: Annotated[
        int | None, typer.Option("-j", "--workers", min=1, help="Worker processes.")
    ] = None,
    async_concurrency: Annotated[
        int | None, typer.Option("--async-concurrency", min=1, help="Async units per worker.")
    ] = None,
    timeout: Annotated[
        float | None, typer.Option("--timeout", min=0.0, help="Per-test timeout, s.")
    ] = None,
    retries: Annotated[
        int | None, typer.Option("--retries", min=0, help="Re-run failures.")
    ] = None,
    fail_fast: Annotated[
        bool, typer.Option("-x", "--fail-fast", help="Stop at the first failure.")
    ] = False,
    max_fail: Annotated[
        int | None, typer.Option("--max-fail", min=1, help="Stop after N failures.")
    ] = None,
    in_process: Annotated[bool, typer.Option("--in-process", help="Run in this process.")] = False,
    no_capture: Annotated[
        bool, typer.Option("-s", "--no-capture", help="Let output through.")
    ] = False,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="List every test.")] = False,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Only the summary.")] = False,
    durations: Annotated[
        int | None, typer.Option("--durations", min=0, help="Show N slowest.")
    ] = None,
    last_failed: Annotated[
        bool, typer.Option("--lf", "--last-failed", help="Only last failures.")
    ] = False,
    failed_first: Annotated[
        bool, typer.Option("--ff", "--failed-first", help="Failures first.")
    ] = False,
    headless: Annotated[bool, typer.Option("--headless", help="Plain output for CI.")] = False,
    fmt: Annotated[str, typer.Option("--format", help="console|json|markdown|junit")] = "console",
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write --format here.")
    ] = None,
    json_path: Annotated[str | None, typer.Option("--json", help="Also write JSON here.")] = None,
    markdown_path: Annotated[
        str | None, typer.Option("--markdown", help="Also write Markdown.")
    ] = None,
    junit_path: Annotated[str | None, typer.Option("--junit", help="Also write JUnit XML.")] = None,
    github_summary: Annotated[
        bool, typer.Option("--github-summary", help="Append Markdown to $GITHUB_STEP_SUMMARY.")
    ] = False,
    partition: Annotated[
        str | None, typer.Option("--partition", help="slice:M/N, hash:M/N or auto.")
    ] = None,
    bench_time: Annotated[float | None, typer.Option("--bench-time", min=0.0)] = None,
    bench_min_samples: Annotated[int | None, typer.Option("--bench-min-samples", min=1)] = None,
    bench_warmup: Annotated[float | None, typer.Option("--bench-warmup", min=0.0)] = None,
    bench_processes: Annotated[
        int | None,
        typer.Option("--bench-processes", min=1, help="Fresh processes per benchmark group."),
    ] = None,
    quick: Annotated[bool, typer.Option("--quick", help="Short benchmark preset.")] = False,
    bench_memory: Annotated[
        bool, typer.Option("--bench-memory", help="Peak memory per call.")
    ] = False,
    save_baseline: Annotated[
        str | None, typer.Option("--save-baseline", help="Save as NAME.")
    ] = None,
    compare: Annotated[
        str | None, typer.Option("--compare", help="Compare with baseline NAME.")
    ] = None,
    fail_on_regression: Annotated[
        str | None, typer.Option("--fail-on-regression", help="e.g. 5%: fail on a real slowdown.")
    ] = None,
) -> None:
    """Run tests, then benchmarks."""
    mode = MODES.get(ctx.info_name or "run", "all")
    raise typer.Exit(
        run_exec.run(
            mode,
            run_exec.RunArgs(
                paths=paths,
                pattern=pattern,
                tags=tags,
                expr=expr,
                workers=workers,
                async_concurrency=async_concurrency,
                timeout=timeout,
                retries=retries,
                fail_fast=fail_fast,
                max_fail=max_fail,
                in_process=in_process,
                no_capture=no_capture,
                verbose=verbose,
                quiet=quiet,
                durations=durations,
                last_failed=last_failed,
                failed_first=failed_first,
                headless=headless,
                fmt=fmt,
                output=output,
                json_path=json_path,
                markdown_path=markdown_path,
                junit_path=junit_path,
                github_summary=github_summary,
                partition=partition,
                bench_time=bench_time,
                bench_min_samples=bench_min_samples,
                bench_warmup=bench_warmup,
                bench_processes=bench_processes,
                quick=quick,
                bench_memory=bench_memory,
                save_baseline=save_baseline,
                compare=compare,
                fail_on_regression=fail_on_regression,
            ),
        )
    )


COMMANDS = {
    "run": "Run tests, then benchmarks (the default command).",
    "unit": "Run unit tests only (not under integration/, not tagged integration).",
    "integration": "Run integration tests only.",
    "bench": "Run benchmarks only.",
}


def register(app: typer.Typer, only: str | None = None) -> None:
    """Add `run`, `unit`, `integration` and `bench` (or just `only`) to the app."""
    for name, help_text in COMMANDS.items():
        if only is None or only == name:
            app.command(name, help=help_text)(run_command)
