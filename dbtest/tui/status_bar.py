"""The bottom line: progress, counts by outcome, elapsed time, busy workers."""

from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static

from dbtest import _core
from dbtest.outcomes import ROLE_STYLE
from dbtest.tui.state import RunProgress


def progress_text(p: RunProgress, watching: bool, now: float | None = None) -> Text:
    """`12/40  3.1s  workers 2/2 busy  [watch]  2 failed, 10 passed`: the
    state first, the counts last, so a narrow terminal cuts only counts
    (the tree shows every result anyway). Once the run is over, its summary
    line, in the engine's words as the console and the reports say it, and
    with `--cov` its total coverage."""
    t = Text(no_wrap=True, end="")
    if p.started_at is None:
        t.append("no run yet", "dim")
    else:
        t.append(f"{p.done}/{p.total}", "bold")
        t.append(f"  {p.elapsed(now):.1f}s", "dim")
        if p.running:
            t.append(f"  workers {len(p.busy)}/{p.workers} busy", "cyan")
            if p.cancelling:
                t.append("  stopping…", "bold magenta")
            slow = {w: s for w, s in p.slow.items() if w not in p.outcome_of}
            if slow:
                what, seconds = max(slow.items(), key=lambda kv: kv[1])
                t.append(f"  SLOW {seconds:g}s {_core.clean(what)}", "bold yellow")
        elif p.summary_line is None:
            # A run that ended without the engine's summary (its stream broke).
            if p.interrupted:
                t.append("  stopped", "bold magenta")
            else:
                t.append("  done", "dim")
    if watching:
        t.append("  [watch]", "bold yellow")
    if p.started_at is not None:
        if not p.running and p.summary_line is not None:
            pieces = p.summary_line
        else:
            counts = p.live_counts()
            pieces = _core.counts_line(counts) if counts else []
        if pieces:
            t.append("  ")
        for part, role in pieces:
            t.append(part, ROLE_STYLE.get(role, ""))
    if p.coverage is not None and not p.running:
        t.append(f"  cov {p.coverage}", "bold cyan")
    return t


class StatusBar(Horizontal):
    """Progress bar and a one-line summary of the run."""

    def compose(self) -> ComposeResult:
        yield ProgressBar(total=1, show_eta=False, show_percentage=True, id="progress")
        yield Static(Text("no run yet", style="dim"), id="run-summary")

    def update_from(self, p: RunProgress, watching: bool, now: float | None = None) -> None:
        bar = self.query_one(ProgressBar)
        if p.started_at is None:
            # Not indeterminate: its pulsing would make every frame different.
            bar.update(total=1, progress=0)
        else:
            bar.update(total=max(p.total, 1), progress=min(p.done, max(p.total, 1)))
        self.query_one("#run-summary", Static).update(
            progress_text(p, watching, now if now is not None else time.monotonic())
        )
