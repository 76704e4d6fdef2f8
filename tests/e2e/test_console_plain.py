"""The console writes plain output itself and brings rich in only when there
is something for it to render."""

from __future__ import annotations

import io

from dbtest import _core
from dbtest.cli.console import ConsoleReporter, styled


def report(outcomes: dict[str, str], **meta: object) -> dict:
    summary = {"total": len(outcomes), "flaky": 0}
    for o in outcomes.values():
        summary[o] = summary.get(o, 0) + 1
    tests = [
        {"id": i, "outcome": o, "path": "t.py", "line": 1, "duration": 0.01, "message": "boom"}
        for i, o in outcomes.items()
    ]
    return {"summary": summary, "tests": tests, "meta": {"duration": 0.5, **meta}}


def line(outcomes: dict[str, str]) -> list[tuple[str, str]]:
    """A summary line in the engine's words (as `Conclusion.summary_line`)."""
    counts: dict[str, int] = {}
    for o in outcomes.values():
        counts[o] = counts.get(o, 0) + 1
    return [
        ("PASSED", "verdict_passed"),
        (": ", ""),
        *_core.counts_line(counts),
        (" (in 0.50 s)", ""),
    ]


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
    reporter.finish(report(outcomes), line(outcomes))
    return reporter, out.getvalue()


def test_the_summary_is_the_engines_words_styled_by_role():
    pieces = line({"a": "passed", "b": "failed"})
    text = styled(pieces)
    assert text.plain == "PASSED: 1 failed, 1 passed (in 0.50 s)"
    assert {str(span.style) for span in text.spans} >= {"bold green", "red", "green"}


def test_a_passing_plain_run_never_makes_a_rich_console():
    reporter, text = run_plain({"a": "passed", "b": "passed", "c": "skipped"})
    assert text == "..s\nPASSED: 2 passed, 1 skipped (in 0.50 s)\n"
    assert "console" not in vars(reporter)  # the lazy rich console was never built


def test_failures_are_rendered_by_rich_after_the_plain_progress():
    reporter, text = run_plain({"a": "passed", "b": "failed"})
    assert "console" in vars(reporter)
    assert text.startswith(".F\n")
    assert "FAILED b" in text and "boom" in text
    assert text.rstrip().endswith("1 failed, 1 passed (in 0.50 s)")


def test_live_counts_are_the_engines_words():
    assert _core.counts_line({"run_errors": 1}) == [("1 run error", "run_error")]
    assert _core.counts_line({"collection_errors": 2})[0][0] == "2 collection errors"
    pieces = _core.counts_line({"benchmarks": 2, "benchmark_errors": 1})
    assert "".join(t for t, _ in pieces) == "2 benchmarks, 1 benchmark error"


def test_no_slowest_heading_over_nothing_that_ran():
    out = io.StringIO()
    reporter = ConsoleReporter(out, color=False, durations=3)
    reporter.start()
    reporter.stop()
    reporter.finish(report({"a": "skipped"}), line({"a": "skipped"}))
    assert "slowest" not in out.getvalue()
    out = io.StringIO()
    reporter = ConsoleReporter(out, color=False, durations=3)
    reporter.finish(report({"a": "passed"}), line({"a": "passed"}))
    assert "slowest 1 test\n" in out.getvalue() or "slowest 1 test " in out.getvalue()
