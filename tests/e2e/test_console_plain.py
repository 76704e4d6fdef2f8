"""The console writes plain output itself and brings rich in only when there
is something for it to render."""

from __future__ import annotations

import io

from dbtest.cli.console import ConsoleReporter, summary_plain


def report(outcomes: dict[str, str], **meta: object) -> dict:
    summary = {"total": len(outcomes), "flaky": 0}
    for o in outcomes.values():
        summary[o] = summary.get(o, 0) + 1
    tests = [
        {"id": i, "outcome": o, "path": "t.py", "line": 1, "duration": 0.01, "message": "boom"}
        for i, o in outcomes.items()
    ]
    return {"summary": summary, "tests": tests, "meta": {"duration": 0.5, **meta}}


def run_plain(outcomes: dict[str, str]) -> tuple[ConsoleReporter, str]:
    out = io.StringIO()
    reporter = ConsoleReporter(out, color=False)
    reporter.start()
    reporter.handle([{"type": "run_started", "total": len(outcomes), "collection_errors": []}])
    reporter.handle(
        [
            {"type": "test_finished", "record": {"id": i, "outcome": o, "duration": 0.01}}
            for i, o in outcomes.items()
        ]
    )
    reporter.stop()
    reporter.finish(report(outcomes))
    return reporter, out.getvalue()


def test_summary_plain_is_the_rich_line_without_styles():
    for rep in (
        report({"a": "passed", "b": "failed", "c": "skipped"}),
        report({}, interrupted=True),
        {**report({"a": "passed"}), "run_errors": [{"scope": "s", "message": "m"}]},
    ):
        assert summary_plain(rep) == ConsoleReporter.summary_line(rep).plain


def test_a_passing_plain_run_never_makes_a_rich_console():
    reporter, text = run_plain({"a": "passed", "b": "passed", "c": "skipped"})
    assert text == "..s\n2 passed, 1 skipped in 0.50s\n"
    assert "console" not in vars(reporter)  # the lazy rich console was never built


def test_failures_are_rendered_by_rich_after_the_plain_progress():
    reporter, text = run_plain({"a": "passed", "b": "failed"})
    assert "console" in vars(reporter)
    assert text.startswith(".F\n")
    assert "FAILED b" in text and "boom" in text
    assert text.rstrip().endswith("1 passed, 1 failed in 0.50s")


def test_error_counts_are_singular_or_plural():
    one = {**report({"a": "passed"}), "run_errors": [{"scope": "s", "message": "m"}]}
    assert "1 run error " in summary_plain(one) or summary_plain(one).endswith("1 run error")
    assert "1 run errors" not in summary_plain(one)
    two = {**report({}), "collection_errors": [{}, {}]}
    assert "2 collection errors" in summary_plain(two)


def test_no_slowest_heading_over_nothing_that_ran():
    out = io.StringIO()
    reporter = ConsoleReporter(out, color=False, durations=3)
    reporter.start()
    reporter.stop()
    reporter.finish(report({"a": "skipped"}))
    assert "slowest" not in out.getvalue()
    out = io.StringIO()
    reporter = ConsoleReporter(out, color=False, durations=3)
    reporter.finish(report({"a": "passed"}))
    assert "slowest 1 test\n" in out.getvalue() or "slowest 1 test " in out.getvalue()


def test_benchmark_counts_name_their_errors():
    one = {**report({}), "benchmarks": [{"id": "b"}]}
    assert summary_plain(one).startswith("1 benchmark in")
    two = {**report({}), "benchmarks": [{"id": "a"}, {"id": "b", "error": "ValueError: x"}]}
    assert summary_plain(two).startswith("2 benchmarks, 1 benchmark error in")
