"""What `dbtest [run|unit|integration|bench]` does once its options are parsed.

Kept apart from the typer definitions (`run_cmd`) so that the common
command lines, parsed by `run_args`, start the run without importing typer.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from dbtest._core import UsageError
from dbtest.cli import exit_codes
from dbtest.options import Values, options_for, request_options

MODES = {"run": "all", "unit": "unit", "integration": "integration", "bench": "bench"}


def run(mode: str, a: Values) -> int:
    """Run tests, then benchmarks, in `mode` (all, unit, integration, bench);
    return the exit code. `a` holds the options of `dbtest run`
    (`dbtest.options`), parsed by typer (`run_cmd`) or by `run_args`."""
    from dbtest import _core
    from dbtest.runner import RunOptions

    _core.check_report_format(a.fmt)  # raises UsageError
    check_bounds(a)
    if a.fail_on_regression and not a.compare:
        raise UsageError("--fail-on-regression needs --compare NAME")
    if a.fail_on_regression:
        _core.bench_parse_threshold(a.fail_on_regression)
    from dbtest.cli import coverage_setup

    cov = coverage_setup.settings(a)  # raises UsageError (naming the extra if missing)
    if cov is not None and a.in_process:
        raise UsageError("--cov measures the worker processes: it cannot run --in-process")

    options = RunOptions(
        paths=a.paths,
        mode=mode,
        in_process=a.in_process,
        worker_env=cov.env() if cov is not None else [],
        **{o.name: getattr(a, o.name) for o in request_options() if a.command in o.commands},
    )
    settings = RunSettings(a)
    settings.coverage = cov
    if cov is None:
        return _run_or_watch(options, settings)
    from dbtest.cli import coverage_report

    try:
        return _run_or_watch(options, settings)
    finally:
        coverage_report.discard(cov)  # finish() removed it, unless the run failed first


def check_bounds(a: Values) -> None:
    """Raise `UsageError` for a value at or below its option's `above`."""
    for o in options_for(a.command):
        value = getattr(a, o.name)
        # As in [tool.dbtest]: a zero timeout or measuring time means nothing.
        if o.above is not None and value is not None and value <= o.above:
            raise UsageError(f"{o.flags[-1]} must be a number above {o.above:g}, not {value:g}")


def _run_or_watch(options: Any, settings: RunSettings) -> int:
    """One run, or with `--watch` a run and its reruns (`watch_loop`)."""
    if settings.watch:
        from dbtest.cli.watch_loop import watch

        return watch(options, settings, execute, report_paths)
    return execute(options, settings)


class RunSettings:
    """How to present a run: the output options of the command line (read
    through, `settings.fmt`), and what follows from them."""

    def __init__(self, a: Values) -> None:
        self.args = a
        self.verbosity = -1 if a.quiet else (1 if a.verbose else 0)
        interactive = sys.stdout.isatty() and not a.headless and not os.environ.get("CI")
        self.live = interactive and a.fmt == "console" and a.output is None
        # The command line's; else `durations` in [tool.dbtest], once known.
        self.durations: int | None = a.durations
        # `--cov`: what to measure and report (coverage_setup.CovSettings).
        self.coverage: Any = None
        self.coverage_result: Any = None  # its totals, once combined
        # Print the engine's "changed: ..." note (a watch rerun has its header).
        self.change_note = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self.args, name)


def execute(options: Any, settings: RunSettings, started: Any = None) -> int:
    """Run, show, write the reports; return the exit code. `started(run)`,
    if given, is called once the run has started (watch mode)."""
    from dbtest import runner

    _prepare_outputs(settings)
    if settings.coverage is not None:
        from dbtest.cli import coverage_report

        coverage_report.prepare(settings.coverage)
    # Start first: the workers get their first tests while rich is imported.
    run = runner.start_run(options)
    if started is not None:
        started(run)

    try:
        _check_baselines(run.root, settings)
    except UsageError:
        run.kill()  # nothing measured for a comparison that cannot happen
        raise
    for warning in run.warnings:
        print(f"dbtest: warning: {warning}", file=sys.stderr)
    # A watch rerun's header line names the changed files already (notes[0]).
    for note in run.notes[0 if settings.change_note else 1 :]:
        print(f"dbtest: {note}", file=sys.stderr)
    if settings.durations is None:
        # The command line wins; otherwise `durations` in [tool.dbtest].
        settings.durations = run.config_durations
    from dbtest.cli.color import want_color
    from dbtest.cli.console import ConsoleReporter

    # With a report on stdout, the console goes to stderr so the two never mix.
    to_stderr = settings.fmt != "console" and settings.output is None
    stream = sys.stderr if to_stderr else sys.stdout
    reporter = ConsoleReporter(
        stream,
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
    compare_result = _benchmarks(report, run, settings, reporter)
    gated = compare_result is not None and compare_result.get("gate")
    table = _coverage(run, settings) if settings.coverage is not None else ""
    result = settings.coverage_result
    under = (result.total_text(), result.fail_under) if result and result.under else None
    # The engine says how the run ended: verdict, exit code, summary line.
    conclusion = run.conclusion(len(compare_result["regressions"]) if gated else 0, under)
    code = int(conclusion["exit_code"])
    reporter.finish(report, conclusion["summary_line"], compare_result, before_summary=table)
    _write_reports(run, settings)
    return code


def _coverage(run: Any, settings: RunSettings) -> str:
    """Combine the workers' coverage and write its reports; the terminal
    table, for the console to print before the summary line."""
    import io

    from dbtest.cli import coverage_report

    out = io.StringIO()
    want_files = bool(
        settings.markdown_path or settings.github_summary or settings.fmt == "markdown"
    )
    settings.coverage_result = coverage_report.finish(
        settings.coverage, run.root, out, files=want_files
    )
    return out.getvalue()


def _check_baselines(root: str, settings: RunSettings) -> None:
    """Before anything is measured: the baseline to compare with exists and
    the one to save has a usable name."""
    from dbtest import _core

    if settings.save_baseline:
        _core.bench_validate_baseline_name(settings.save_baseline)
    if settings.compare:
        # Refused now, not after the run, if it measured with another instrument.
        _core.bench_load_baseline(root, settings.compare, settings.instrument or "time")


def _benchmarks(
    report: dict[str, Any], run: Any, settings: RunSettings, reporter: Any
) -> dict | None:
    """Save or compare benchmark baselines (the results stay in the engine);
    returns the comparison."""
    if not report.get("benchmarks"):
        if settings.save_baseline or settings.compare:
            reporter.console.print("dbtest: no benchmark results to save or compare")
        return None
    import json

    from dbtest import _core

    if settings.save_baseline:
        import platform

        machine = {
            "platform": f"{platform.system()}-{platform.machine()}".lower(),
            "python": platform.python_version(),
            "cpu_count": os.cpu_count() or 1,
            "hostname": platform.node() or None,
        }
        path = run.save_baseline(settings.save_baseline, json.dumps(machine))
        reporter.console.print(f"Saved benchmark baseline {settings.save_baseline!r} to {path}")
    if settings.compare:
        threshold = _core.bench_parse_threshold(settings.fail_on_regression or "0%")
        data = json.loads(run.compare_baseline(settings.compare, threshold))
        data["gate"] = settings.fail_on_regression is not None
        return data
    return None


def report_paths(settings: RunSettings) -> list[str]:
    """The report files the command line asks for (`--output`, `--json`, ...)."""
    return [p for p in (settings.output, settings.json_path, settings.markdown_path,
                        settings.junit_path) if p]  # fmt: skip


def _prepare_outputs(settings: RunSettings) -> None:
    """Before the run: a report path is not a directory, and its folder
    exists (made if missing, as pytest does for --junitxml), so a typo
    fails in a second, not after the whole run."""
    for path in report_paths(settings):
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
            if fmt == "markdown" and settings.coverage_result is not None:
                from dbtest.cli.coverage_report import markdown

                text = rendered[fmt]
                rendered[fmt] = text.rstrip("\n") + "\n\n" + markdown(settings.coverage_result)
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
