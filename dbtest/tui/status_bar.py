"""The bottom line: progress, counts by outcome, elapsed time, busy workers."""

from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static

from dbtest.outcomes import ORDER, count
from dbtest.tui.state import RunProgress
from dbtest.tui.tree import STATUS_ICON


def progress_text(p: RunProgress, watching: bool, now: float | None = None) -> Text:
    """`12/40  3.1s  workers 2/2 busy  [watch]  ✔10 passed  ✘2 failed`: the
    state first, the counts last, so a narrow terminal cuts only counts
    (the tree shows every result anyway)."""
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
        elif p.interrupted:
            t.append("  stopped", "bold magenta")
        else:
            t.append(
                "  done",
                "green"
                if not p.counts.keys() & {"failed", "error", "timeout", "crashed"}
                else "red",
            )
        if p.run_errors:
            t.append(f"  {count(len(p.run_errors), 'run error')}", "bold red")
    if watching:
        t.append("  [watch]", "bold yellow")
    if p.started_at is not None:
        for outcome in ORDER:
            n = p.counts.get(outcome, 0)
            if n:
                icon, style = STATUS_ICON[outcome]
                t.append("  ")
                t.append(f"{icon}{n} {outcome}", style)
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
