"""`dbtest [run|unit|integration|bench] [PATHS] [OPTIONS]`: run tests, then benchmarks."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Annotated, Any

import typer

from dbtest.cli import UsageError, exit_codes

MODES = {"run": "all", "unit": "unit", "integration": "integration", "bench": "bench"}
FORMATS = ("console", "json", "markdown", "junit")

Paths = Annotated[list[str] | None, typer.Argument(help="Files, directories or test ids.")]


def _csv(values: list[str] | None) -> list[str]:
    out: list[str] = []
    for v in values or []:
        out.extend(t.strip() for t in v.split(",") if t.strip())
    return out


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
    from dbtest.runner import RunOptions

    mode = MODES.get(ctx.info_name or "run", "all")
    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if fail_on_regression and not compare:
        raise UsageError("--fail-on-regression needs --compare NAME")
    if fail_on_regression:
        from dbtest import _core

        try:
            _core.bench_parse_threshold(fail_on_regression)
        except ValueError as e:
            raise UsageError(str(e)) from None
    bench: dict[str, Any] = {}
    for key, value in (
        ("time", bench_time),
        ("min_samples", bench_min_samples),
        ("warmup", bench_warmup),
    ):
        if value is not None:
            bench[key] = value
    if quick:
        bench["quick"] = True
    if bench_memory:
        bench["memory"] = True

    options = RunOptions(
        paths=list(paths or []),
        pattern=pattern,
        tags=_csv(tags),
        expr=expr,
        mode=mode,
        workers=workers,
        async_concurrency=async_concurrency,
        timeout=timeout,
        retries=retries,
        max_fail=max_fail,
        fail_fast=fail_fast,
        in_process=in_process,
        capture=not no_capture,
        last_failed=last_failed,
        failed_first=failed_first,
        partition=partition,
        bench=bench or None,
    )
    interactive = sys.stdout.isatty() and not headless and not os.environ.get("CI")
    settings = RunSettings(
        fmt=fmt,
        output=output,
        json_path=json_path,
        markdown_path=markdown_path,
        junit_path=junit_path,
        github_summary=github_summary,
        verbosity=-1 if quiet else (1 if verbose else 0),
        live=interactive and fmt == "console" and output is None,
        no_capture=no_capture,
        durations=durations,
        save_baseline=save_baseline,
        compare=compare,
        fail_on_regression=fail_on_regression,
    )
    raise typer.Exit(execute(options, settings))


@dataclass
class RunSettings:
    """How to present a run (everything that is not what to run)."""

    fmt: str
    output: str | None
    json_path: str | None
    markdown_path: str | None
    junit_path: str | None
    github_summary: bool
    verbosity: int
    live: bool
    no_capture: bool
    durations: int | None
    save_baseline: str | None
    compare: str | None
    fail_on_regression: str | None


def execute(options: Any, settings: RunSettings) -> int:
    """Run, show, write the reports; return the exit code."""
    from dbtest import runner

    # Start first: the workers get their first tests while rich is imported.
    try:
        run = runner.start_run(options)
    except runner.UsageError as e:
        raise UsageError(str(e)) from None

    from rich.console import Console

    from dbtest.cli.console import ConsoleReporter

    # With a report on stdout, the console goes to stderr so the two never mix.
    to_stderr = settings.fmt != "console" and settings.output is None
    console = Console(
        file=sys.stderr if to_stderr else sys.stdout,
        highlight=False,
        force_terminal=settings.live or None,
        no_color=not settings.live and not sys.stdout.isatty(),
        soft_wrap=True,
    )
    reporter = ConsoleReporter(
        console,
        verbosity=settings.verbosity,
        live=settings.live,
        no_capture=settings.no_capture,
        durations=settings.durations,
    )
    interrupts = 0
    reporter.start()
    try:
        while True:
            try:
                # The console needs only the lean events; records come from the report.
                batch = run.next_batch(0.1, progress=True)
                if batch is None:
                    break
                reporter.handle(batch)
            except KeyboardInterrupt:
                # Once: cancel and keep reading so the summary is complete.
                # Twice: kill the workers.
                interrupts += 1
                if interrupts == 1:
                    reporter.note("Interrupted: cancelling (Ctrl-C again to kill the workers)")
                    run.cancel()
                else:
                    run.kill()
    finally:
        reporter.stop()

    # Only what the console shows: the failures and the slowest tests.
    report = run.highlights(settings.durations or 0)
    if report is None:
        console.print("dbtest: error: the run ended without a report")
        return exit_codes.INTERNAL_ERROR
    compare_result = _benchmarks(report, run.root, settings, console)
    reporter.finish(report, compare_result)
    _write_reports(run, settings)
    return _exit_code(report, run.selected, compare_result, sharded=options.partition is not None)


def _benchmarks(
    report: dict[str, Any], root: str, settings: RunSettings, console: Any
) -> dict | None:
    """Save or compare benchmark baselines; returns the comparison."""
    if not report.get("benchmarks"):
        if settings.save_baseline or settings.compare:
            console.print("dbtest: no benchmark results to save or compare")
        return None
    import json

    from dbtest import _core

    results = json.dumps(report["benchmarks"])
    try:
        if settings.save_baseline:
            import platform

            machine = {
                "platform": f"{platform.system()}-{platform.machine()}".lower(),
                "python": platform.python_version(),
                "cpu_count": os.cpu_count() or 1,
                "hostname": platform.node() or None,
            }
            path = _core.bench_save_baseline(
                root,
                settings.save_baseline,
                results,
                json.dumps(machine),
                report["meta"].get("git_commit"),
            )
            console.print(f"Saved benchmark baseline {settings.save_baseline!r} to {path}")
        if settings.compare:
            threshold = _core.bench_parse_threshold(settings.fail_on_regression or "0%")
            baseline = _core.bench_load_baseline(root, settings.compare)
            data = json.loads(_core.bench_compare(results, baseline, threshold))
            data["gate"] = settings.fail_on_regression is not None
            return data
    except ValueError as e:
        raise UsageError(str(e)) from None
    return None


def _write_reports(run: Any, settings: RunSettings) -> None:
    from dbtest import _core

    # Rendered by the engine from the report itself, each format at most once.
    rendered: dict[str, str] = {}

    def render(fmt: str) -> str:
        if fmt not in rendered:
            rendered[fmt] = run.report_json() if fmt == "json" else run.render(fmt)
        return rendered[fmt]

    if settings.fmt != "console":
        text = render(settings.fmt)
        if settings.output:
            _core.write_atomic(settings.output, text)
        else:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
            sys.stdout.flush()
    elif settings.output:
        _core.write_atomic(settings.output, render("console"))
    for path, fmt in (
        (settings.json_path, "json"),
        (settings.markdown_path, "markdown"),
        (settings.junit_path, "junit"),
    ):
        if path:
            _core.write_atomic(path, render(fmt))
    if settings.github_summary:
        target = os.environ.get("GITHUB_STEP_SUMMARY")
        if target:
            with open(target, "a", encoding="utf-8") as f:
                f.write(render("markdown"))
                f.write("\n")


def _exit_code(
    report: dict[str, Any], selected: int, compare: dict | None, sharded: bool = False
) -> int:
    s = report["summary"]
    if report["meta"].get("interrupted"):
        return exit_codes.INTERRUPTED
    failing = s["failed"] + s["error"] + s["timeout"] + s["crashed"]
    failing += sum(1 for t in report["tests"] if t["outcome"] == "xpassed" and t.get("strict"))
    bench_errors = sum(1 for b in report.get("benchmarks", []) if b.get("error"))
    if failing or s.get("run_errors") or bench_errors:
        return exit_codes.TESTS_FAILED
    if compare and compare.get("gate") and compare.get("regressions"):
        return exit_codes.TESTS_FAILED
    # A shard left empty (more shards than units) is not an error of the CI job.
    if selected == 0 and not report.get("collection_errors") and not sharded:
        return exit_codes.NO_TESTS
    return exit_codes.OK


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
