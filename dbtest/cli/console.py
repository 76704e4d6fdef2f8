"""The console view of a run: consumes the event stream, prints with rich.

On a terminal: a live progress bar with counts, elapsed time and the tests
running right now. Otherwise (a pipe, `CI` set, `--headless`): plain lines,
no cursor movement. `-v` lists every test; `-q` prints only the summary.

rich is imported only when there is something for it to render: a run
whose output is plain text (not a terminal, no colour) and that passes writes
its progress and summary directly, and its workers keep the CPU that
importing rich (~40 ms) and rendering 10,000 progress characters took.
"""

from __future__ import annotations

import functools
import os
import time
from typing import TYPE_CHECKING, Any, TextIO

from dbtest.outcomes import ORDER, ROLE_STYLE, count, is_failure

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

# Colours by outcome, and by the role of each piece of the engine's summary.
STYLE = ROLE_STYLE
# One character per test in the default plain mode, as pytest does.
CHAR = {
    "passed": ".",
    "failed": "F",
    "error": "E",
    "timeout": "T",
    "crashed": "C",
    "skipped": "s",
    "xfailed": "x",
    "xpassed": "X",
    "cancelled": "c",
}


def safe(text: str) -> str:
    """Show control characters (ANSI escapes among them) instead of obeying
    them: the engine's rule for untrusted text (`_core.clean`)."""
    from dbtest import _core

    return _core.clean(text)


class ConsoleReporter:
    """Turns events into console output."""

    def __init__(
        self,
        file: TextIO,
        *,
        color: bool = False,
        verbosity: int = 0,
        live: bool = False,
        no_capture: bool = False,
        durations: int | None = None,
    ) -> None:
        self.file = file
        self.color = color
        # Plain text that rich would not change: written directly.
        self.plain = not live and not color and not os.environ.get("FORCE_COLOR")
        self.verbosity = verbosity
        self.live_mode = live
        self.no_capture = no_capture
        self.durations = durations
        self.total = 0
        self.done = 0
        self.counts: dict[str, int] = dict.fromkeys(ORDER, 0)
        self.collection_errors = 0
        self.run_errors = 0
        self.running: dict[str, float] = {}
        self.workers_busy: dict[str, int] = {}
        self.bench_line = ""
        self.started = time.monotonic()
        self._live: Any = None
        self._column = 0
        self._pending: list[str] = []

    @functools.cached_property
    def console(self) -> Console:
        """The rich console, made on first use."""
        from rich.console import Console

        return Console(
            file=self.file,
            highlight=False,
            force_terminal=self.live_mode or None,
            no_color=not self.color,
            soft_wrap=True,
        )

    # ----- lifecycle --------------------------------------------------------

    def start(self) -> None:
        self.started = time.monotonic()
        if self.live_mode and self.verbosity >= 0:
            from rich.live import Live

            self._live = Live(
                self._render_live(), console=self.console, refresh_per_second=10, transient=True
            )
            self._live.start()

    def stop(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
        if self._column:
            self._newline()
            self._column = 0

    def _newline(self) -> None:
        if self.plain:
            self.file.write("\n")
        else:
            self.console.print()

    def note(self, message: str) -> None:
        """A line for the user, above the live display."""
        from rich.text import Text

        self.console.print(Text(message, style="bold yellow"))

    # ----- events -----------------------------------------------------------

    def handle(self, events: list[dict[str, Any]]) -> None:
        Text = _text_class  # noqa: N806 - rich's Text, imported on first use
        for event in events:
            kind = event["type"]
            if kind == "run_started":
                # `total` in the lean (progress) form, the items in the full one.
                self.total = event["total"] if "total" in event else len(event["selected"])
                self.collection_errors = len(event.get("collection_errors", []))
                if event.get("seed") is not None:
                    seed = event["seed"]
                    self._print(Text(f"random order: seed {seed} (--seed {seed} repeats it)"))
                for err in event.get("collection_errors", []):
                    self._print(
                        Text(f"collection error: {safe(err['path'])}:{err['line']}: ", style="red")
                        + Text(safe(err["message"]))
                    )
            elif kind == "deselected":
                # Its tags, known after import, do not match the filter.
                self.total -= 1
            elif kind == "test_started":
                self.running[event["id"]] = time.monotonic()
            elif kind == "test_finished":
                self._finished(event["record"])
            elif kind == "output":
                if self.no_capture and event.get("stream") == "raw":
                    self._print(Text(safe(event["data"]).rstrip("\n")))
            elif kind == "test_retrying" and self.verbosity > 0:
                self._print(Text(f"RETRY  {safe(event['id'])} ({event['outcome']})", "yellow"))
            elif kind == "worker_crashed" and self.verbosity >= 0:
                self._print(
                    Text(f"worker {event['worker']} (pid {event['pid']}): {event['reason']}", "red")
                )
            elif kind == "slow" and self.verbosity >= 0:
                # As cargo-nextest's SLOW: still running, not (yet) cut.
                seconds = f"{event['seconds']:g}s"
                self._print(Text(f"SLOW {seconds:>5} {safe(event['what'])}", style="yellow"))
            elif kind == "run_error":
                self.run_errors += 1
                scope, message = safe(event["scope"]), safe(event["message"])
                self._print(Text(f"error in {scope}: {message}", "red"))
            elif kind == "bench_progress":
                from dbtest.benchmark.console import progress_line

                self.bench_line = progress_line(event)
                if not self._live and self.verbosity > 0:
                    self._print(Text(self.bench_line, style="dim"))
        self._flush_progress()
        if self._live is not None:
            self._live.update(self._render_live())

    def _flush_progress(self) -> None:
        """Write the buffered progress characters, 80 to a line."""
        if not self._pending:
            return
        done = self.done - len(self._pending)
        colored = not self.plain
        text = _text_class() if colored else None
        plain: list[str] = []
        for outcome in self._pending:
            if text is not None:
                text.append(CHAR.get(outcome, "?"), style=STYLE.get(outcome, ""))
            else:
                plain.append(CHAR.get(outcome, "?"))
            self._column += 1
            done += 1
            if self._column >= 80:
                (text.append if text is not None else plain.append)(f" [{done}/{self.total}]\n")
                self._column = 0
        self._pending.clear()
        if text is not None:
            self.console.print(text, end="")
        else:
            # Without colour there is nothing for rich to render: 10,000
            # one-character segments cost it ~40 ms.
            self.file.write("".join(plain))

    def _finished(self, record: dict[str, Any]) -> None:
        self.running.pop(record["id"], None)
        outcome = record["outcome"]
        self.done += 1
        self.counts[outcome] = self.counts.get(outcome, 0) + 1
        if self.verbosity > 0:
            Text = _text_class  # noqa: N806
            line = Text(f"{outcome.upper():<9} ", style=STYLE.get(outcome, ""))
            line += Text(f"{record['duration']:8.3f}s  {safe(record['id'])}")
            if record.get("flaky"):
                line += Text("  (flaky)", style="yellow")
            self._print(line)
        elif self.verbosity == 0 and self._live is None:
            # Buffered: one write per batch, not one rich call per test
            # (which cost ~70 µs a test on 10,000 trivial tests).
            self._pending.append(outcome)

    def _print(self, renderable: Any) -> None:
        self._flush_progress()
        if self._column:
            self._newline()
            self._column = 0
        self.console.print(renderable)

    def _render_live(self) -> Any:
        from rich.console import Group
        from rich.progress_bar import ProgressBar
        from rich.table import Table
        from rich.text import Text

        elapsed = time.monotonic() - self.started
        bar = ProgressBar(total=max(self.total, 1), completed=self.done, width=40)
        head = Table.grid(padding=(0, 1))
        head.add_row(
            bar, Text(f"{self.done}/{self.total}"), self._counts_text(), Text(f"{elapsed:.1f}s")
        )
        now = time.monotonic()
        lines = [head]
        for test_id, since in sorted(self.running.items(), key=lambda kv: kv[1])[:8]:
            lines.append(Text(f"  {now - since:5.1f}s  {test_id}", style="dim"))
        if len(self.running) > 8:
            lines.append(Text(f"  ... and {len(self.running) - 8} more running", style="dim"))
        if self.bench_line:
            lines.append(Text(f"  {self.bench_line}", style="cyan"))
        return Group(*lines)

    def _counts_text(self) -> Text:
        from rich.text import Text

        from dbtest import _core

        counts = {k: n for k, n in self.counts.items() if n}
        if self.collection_errors:
            counts["collection_errors"] = self.collection_errors
        if self.run_errors:
            counts["run_errors"] = self.run_errors
        # The engine's words; nothing until something ends.
        return styled(_core.counts_line(counts)) if counts else Text()

    # ----- the end ------------------------------------------------------------

    def finish(
        self,
        report: dict[str, Any],
        summary_line: list[tuple[str, str]],
        compare: dict[str, Any] | None = None,
        before_summary: str = "",
    ) -> None:
        """Failures, slowest tests, benchmark tables, `before_summary` (the
        coverage table, as coverage.py prints it) and the summary line (the
        engine's `(text, role)` pieces: `Conclusion.summary_line`)."""
        tests = report["tests"]
        if self.plain and not (
            self.verbosity >= 0
            and (
                any(is_failure(t) or t.get("leak") for t in tests)
                or report.get("run_errors")
                or report.get("uncollected")
                or self.durations
                or report.get("benchmarks")
            )
        ):
            # Nothing but the summary, and no colour: no need for rich.
            self.file.write(before_summary)
            self.file.write("".join(part for part, _ in summary_line) + "\n")
            return
        from rich.text import Text

        if self.verbosity >= 0:
            for record in tests:
                if is_failure(record):
                    self._failure(record)
            for record in tests:
                if record.get("leak"):
                    line = f"LEAK {record['id']}: {safe(record['leak'])}"
                    self.console.print(Text(line, style="yellow"))
            for u in report.get("uncollected", []):
                # `name` empty: the whole file yields no test.
                where = f"{u['path']}:{u['line']} {u['name']}" if u["name"] else u["path"]
                line = f"NOT COLLECTED {where}: {u['reason']}"
                self.console.print(Text(safe(line), style="yellow"))
            for err in report.get("run_errors", []):
                self.console.rule(Text(f"error in {err['scope']}", style="red"), align="left")
                self.console.print(Text(safe(err["message"])))
                if err.get("traceback"):
                    self.console.print(Text(safe(err["traceback"]).rstrip()))
            if self.durations:
                self._slowest(tests, self.durations)
            if report.get("benchmarks"):
                from dbtest.benchmark.console import print_results

                print_results(report["benchmarks"], compare, self.console)
        if before_summary:
            self.file.write(before_summary)  # not rich's: its wrapping would break the table
            self.file.flush()
        self.console.print(styled(summary_line))

    def _failure(self, record: dict[str, Any]) -> None:
        from rich.text import Text

        outcome = record["outcome"]
        title = Text(f"{outcome.upper()} ", style=f"bold {STYLE.get(outcome, '')}")
        title += Text(record["id"], style="bold")
        self.console.rule(title, align="left", style=STYLE.get(outcome, ""))
        self.console.print(Text(f"{record['path']}:{record['line']}", style="dim"))
        if record.get("message"):
            self.console.print(Text(safe(record["message"]).rstrip()))
        if record.get("traceback"):
            self.console.print(Text(safe(record["traceback"]).rstrip(), style="dim"))
        for stream in ("stdout", "stderr"):
            if record.get(stream):
                self.console.print(Text(f"--- captured {stream} ---", style="dim"))
                self.console.print(Text(safe(record[stream]).rstrip()))
        if record.get("logs"):
            self.console.print(Text("--- captured logs ---", style="dim"))
            for log in record["logs"]:
                self.console.print(
                    Text(safe(f"{log['level']:<8} {log['logger']}: {log['message']}"))
                )

    def _slowest(self, tests: list[dict[str, Any]], n: int) -> None:
        from rich.text import Text

        ran = [t for t in tests if t["outcome"] not in ("cancelled", "skipped")]
        if not ran:
            return  # no heading over an empty list (`dbtest bench`, nothing selected)
        ran.sort(key=lambda t: t["duration"], reverse=True)
        k = min(n, len(ran))
        self.console.rule(Text(f"slowest {count(k, 'test')}"), align="left")
        for t in ran[:n]:
            self.console.print(Text(f"{t['duration']:8.3f}s  {t['outcome']:<9} {t['id']}"))


def styled(pieces: list[tuple[str, str]]) -> Text:
    """The engine's `(text, role)` pieces as rich text, each role in its style."""
    from rich.text import Text

    text = Text()
    for part, role in pieces:
        text.append(part, STYLE.get(role, ""))
    return text


def _text_class(*args: Any, **kwargs: Any) -> Text:
    """rich's `Text(...)`, imported on first use."""
    from rich.text import Text

    return Text(*args, **kwargs)
