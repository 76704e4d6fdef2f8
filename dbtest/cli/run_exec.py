"""What `dbtest [run|unit|integration|bench]` does once its options are parsed.

Kept apart from the typer definitions (`run_cmd`) so that the common
command lines, parsed by `run_args`, start the run without importing typer.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any

from dbtest.cli import UsageError, exit_codes

MODES = {"run": "all", "unit": "unit", "integration": "integration", "bench": "bench"}
FORMATS = ("console", "json", "markdown", "junit")


def _csv(values: list[str] | None) -> list[str]:
    out: list[str] = []
    for v in values or []:
        out.extend(t.strip() for t in v.split(",") if t.strip())
    return out


@dataclass
class RunArgs:
    """The options of `dbtest run` as parsed, by typer (`run_cmd`) or by the
    fast path (`run_args`); the fields are `run_command`'s parameters."""

    paths: list[str] | None = None
    pattern: str | None = None
    tags: list[str] | None = None
    expr: str | None = None
    workers: int | None = None
    async_concurrency: int | None = None
    timeout: float | None = None
    retries: int | None = None
    fail_fast: bool = False
    max_fail: int | None = None
    in_process: bool = False
    no_capture: bool = False
    verbose: bool = False
    quiet: bool = False
    durations: int | None = None
    last_failed: bool = False
    failed_first: bool = False
    headless: bool = False
    fmt: str = "console"
    output: str | None = None
    json_path: str | None = None
    markdown_path: str | None = None
    junit_path: str | None = None
    github_summary: bool = False
    partition: str | None = None
    bench_time: float | None = None
    bench_min_samples: int | None = None
    bench_warmup: float | None = None
    bench_processes: int | None = None
    quick: bool = False
    bench_memory: bool = False
    save_baseline: str | None = None
    compare: str | None = None
    fail_on_regression: str | None = None


def run(mode: str, a: RunArgs) -> int:
    """Run tests, then benchmarks, in `mode` (all, unit, integration, bench);
    return the exit code."""
    from dbtest.runner import RunOptions

    if a.fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {a.fmt!r}")
    # As in [tool.dbtest]: a zero timeout or measuring time means nothing.
    for flag, value in (("--timeout", a.timeout), ("--bench-time", a.bench_time)):
        if value is not None and value <= 0:
            raise UsageError(f"{flag} must be a number of seconds above 0, not {value:g}")
    if a.fail_on_regression and not a.compare:
        raise UsageError("--fail-on-regression needs --compare NAME")
    if a.fail_on_regression:
        from dbtest import _core

        try:
            _core.bench_parse_threshold(a.fail_on_regression)
        except ValueError as e:
            raise UsageError(str(e)) from None
    bench: dict[str, Any] = {}
    for key, value in (
        ("time", a.bench_time),
        ("min_samples", a.bench_min_samples),
        ("warmup", a.bench_warmup),
        ("processes", a.bench_processes),
    ):
        if value is not None:
            bench[key] = value
    if a.quick:
        bench["quick"] = True
    if a.bench_memory:
        bench["memory"] = True

    options = RunOptions(
        paths=list(a.paths or []),
        pattern=a.pattern,
        tags=_csv(a.tags),
        expr=a.expr,
        mode=mode,
        workers=a.workers,
        async_concurrency=a.async_concurrency,
        timeout=a.timeout,
        retries=a.retries,
        max_fail=a.max_fail,
        fail_fast=a.fail_fast,
        in_process=a.in_process,
        capture=not a.no_capture,
        last_failed=a.last_failed,
        failed_first=a.failed_first,
        partition=a.partition,
        bench=bench or None,
    )
    interactive = sys.stdout.isatty() and not a.headless and not os.environ.get("CI")
    settings = RunSettings(
        fmt=a.fmt,
        output=a.output,
        json_path=a.json_path,
        markdown_path=a.markdown_path,
        junit_path=a.junit_path,
        github_summary=a.github_summary,
        verbosity=-1 if a.quiet else (1 if a.verbose else 0),
        live=interactive and a.fmt == "console" and a.output is None,
        no_capture=a.no_capture,
        durations=a.durations,
        save_baseline=a.save_baseline,
        compare=a.compare,
        fail_on_regression=a.fail_on_regression,
    )
    return execute(options, settings)


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

    _prepare_outputs(settings)
    # Start first: the workers get their first tests while rich is imported.
    try:
        run = runner.start_run(options)
    except runner.UsageError as e:
        raise UsageError(str(e)) from None

    try:
        _check_baselines(run.root, settings)
    except UsageError:
        run.kill()  # nothing measured for a comparison that cannot happen
        raise
    if settings.durations is None:
        # The command line wins; otherwise `durations` in [tool.dbtest].
        settings.durations = run.config_durations
    from dbtest.cli.color import want_color
    from dbtest.cli.console import ConsoleReporter

    # With a report on stdout, the console goes to stderr so the two never mix.
    to_stderr = settings.fmt != "console" and settings.output is None
    reporter = ConsoleReporter(
        sys.stderr if to_stderr else sys.stdout,
        color=want_color(sys.stdout),
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
        reporter.console.print("dbtest: error: the run ended without a report")
        return exit_codes.INTERNAL_ERROR
    compare_result = _benchmarks(report, run.root, settings, reporter)
    reporter.finish(report, compare_result)
    _write_reports(run, settings)
    return _exit_code(report, compare_result, run.selected_unsharded)


def _check_baselines(root: str, settings: RunSettings) -> None:
    """Before anything is measured: the baseline to compare with exists and
    the one to save has a usable name."""
    from dbtest import _core

    try:
        if settings.save_baseline:
            _core.bench_validate_baseline_name(settings.save_baseline)
        if settings.compare:
            _core.bench_load_baseline(root, settings.compare)
    except ValueError as e:
        raise UsageError(str(e)) from None


def _benchmarks(
    report: dict[str, Any], root: str, settings: RunSettings, reporter: Any
) -> dict | None:
    """Save or compare benchmark baselines; returns the comparison."""
    if not report.get("benchmarks"):
        if settings.save_baseline or settings.compare:
            reporter.console.print("dbtest: no benchmark results to save or compare")
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
            reporter.console.print(f"Saved benchmark baseline {settings.save_baseline!r} to {path}")
        if settings.compare:
            threshold = _core.bench_parse_threshold(settings.fail_on_regression or "0%")
            baseline = _core.bench_load_baseline(root, settings.compare)
            data = json.loads(_core.bench_compare(results, baseline, threshold))
            data["gate"] = settings.fail_on_regression is not None
            return data
    except ValueError as e:
        raise UsageError(str(e)) from None
    return None


def _report_paths(settings: RunSettings) -> list[str]:
    return [p for p in (settings.output, settings.json_path, settings.markdown_path,
                        settings.junit_path) if p]  # fmt: skip


def _prepare_outputs(settings: RunSettings) -> None:
    """Before the run: a report path is not a directory, and its folder
    exists (made if missing, as pytest does for --junitxml), so a typo
    fails in a second, not after the whole run."""
    for path in _report_paths(settings):
        if os.path.isdir(path):
            raise UsageError(f"cannot write report to {path}: it is a directory")
        try:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        except OSError as e:
            raise UsageError(f"cannot write report to {path}: {e.strerror or e}") from None


def _write_reports(run: Any, settings: RunSettings) -> None:
    try:
        _write_reports_to(run, settings)
    except OSError as e:
        # Checked before the run; what fails now (a full disk, permissions
        # changed meanwhile) is still the user's to fix, in one line.
        raise UsageError(str(e)) from None


def _write_reports_to(run: Any, settings: RunSettings) -> None:
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


def _exit_code(report: dict[str, Any], compare: dict | None, unsharded: int) -> int:
    """The documented exit code; `unsharded` is how many were selected
    before `--partition` took this shard's share."""
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
    # A shard left empty (more shards than units) is not an error of its CI
    # job; a selection that was empty before sharding is.
    if unsharded == 0 and not report.get("collection_errors"):
        return exit_codes.NO_TESTS
    return exit_codes.OK
