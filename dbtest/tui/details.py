"""The right pane: everything known about the highlighted node.

All test-provided text (messages, output, tracebacks) goes through
the engine's `_core.clean` and into `rich.text.Text` without markup, so escape
sequences and `[bold]`-looking strings are shown, never interpreted.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from dbtest import _core
from dbtest import ids as id_grammar
from dbtest._core import clean
from dbtest.benchmark.console import (
    format_interval,
    format_ops,
    format_ratio,
    format_value,
    verdict_mark,
)
from dbtest.tui.state import FAILURE_OUTCOMES, Node, TuiState, is_failure
from dbtest.tui.tree import STATUS_ICON, format_duration

# What the pane renders of a live stream: the tail, so a chatty test cannot
# make each repaint slower than the last.
LIVE_VIEW_LIMIT = 16 * 1024


def safe(text: str | None, style: str = "", end: str = "\n") -> Text:
    """Test-provided text, shown verbatim (no markup, visible control chars)."""
    return Text(clean(text or ""), style=style, end=end)


def cell(text: str | None, style: str = "") -> Text:
    """`safe` text for a table cell (no trailing newline)."""
    return safe(text, style, end="")


def heading(title: str) -> Text:
    return Text(f"\n{title}", style="bold underline")


def _diff_text(message: str) -> Text:
    """Colour `-`/`+` lines of a message that carries a diff."""
    out = Text()
    for i, line in enumerate(clean(message).split("\n")):
        if i:
            out.append("\n")
        if line.startswith("+") and not line.startswith("+++"):
            out.append(line, "green")
        elif line.startswith("-") and not line.startswith("---"):
            out.append(line, "red")
        else:
            out.append(line)
    return out


def _status_text(status: str | None) -> Text:
    icon, style = STATUS_ICON.get(status, STATUS_ICON[None])
    return Text.assemble((icon, style), (status or "not run yet", style), end="")


def render_test(state: TuiState, node: Node) -> RenderableType:
    """Details of one test or benchmark entry."""
    rec: dict[str, Any] | None = state.results.get(node.key)
    status = state.node_status(node)
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold", no_wrap=True)
    head.add_column()
    head.add_row("id", cell(node.key))
    head.add_row("file", cell(f"{node.path}:{node.line}"))
    if node.tags:
        head.add_row("tags", cell(", ".join(node.tags)))
    item = node.item or {}
    flags = [
        f
        for f, on in (
            ("async", item.get("is_async")),
            ("xfail", item.get("xfail")),
            (f"skip: {item.get('skip')}", item.get("skip")),
            (f"timeout {item.get('timeout')}s", item.get("timeout")),
            (f"retries {item.get('retries')}", item.get("retries")),
        )
        if on
    ]
    if flags:
        head.add_row("marks", cell(", ".join(flags)))
    head.add_row("status", _status_text(status))
    if rec is not None:
        extra = format_duration(rec.get("duration"))
        if (rec.get("attempts") or 1) > 1:
            extra += f", {rec['attempts']} attempts"
        if rec.get("flaky"):
            extra += ", flaky"
        if rec.get("worker") is not None:
            extra += f", worker {rec['worker']}"
        head.add_row("last run", Text(extra.lstrip(", "), end=""))
    parts: list[RenderableType] = [head]
    if status == "running" or (rec is None and node.key in state.live):
        parts.extend(_live_output(state, node.key))
    if rec is not None:
        if rec.get("message"):
            style = "bold red" if is_failure(rec) else ""
            parts.append(heading("message"))
            msg = rec["message"]
            parts.append(
                _diff_text(msg) if rec["outcome"] in FAILURE_OUTCOMES else safe(msg, style)
            )
        if rec.get("traceback"):
            parts.append(heading("traceback"))
            parts.append(safe(rec["traceback"]))
        if rec.get("leak"):
            parts.append(heading("leak"))
            parts.append(safe(rec["leak"], "yellow"))
        for stream in ("stdout", "stderr"):
            if rec.get(stream):
                parts.append(heading(stream))
                parts.append(safe(rec[stream]))
        if rec.get("logs"):
            parts.append(heading("logs"))
            logs = Text()
            for i, log in enumerate(rec["logs"]):
                if i:
                    logs.append("\n")
                logs.append(f"{log.get('level', '?'):<8}", "bold")
                logs.append(clean(f"{log.get('logger', '')}: {log.get('message', '')}"))
            parts.append(logs)
    if node.kind == "bench" and node.key in state.bench:
        parts.append(heading("benchmark"))
        parts.append(bench_table(state, [node]))
    return Group(*parts)


def _live_output(state: TuiState, key: str) -> list[RenderableType]:
    streams = state.live.get(key, {})
    parts: list[RenderableType] = []
    for stream in ("stdout", "stderr"):
        data = streams.get(stream)
        if data:
            parts.append(heading(f"{stream} (live)"))
            if len(data) > LIVE_VIEW_LIMIT or streams.get("_truncated"):
                parts.append(Text("[earlier output dropped]", style="dim"))
            parts.append(safe(data[-LIVE_VIEW_LIMIT:]))
    if not parts:
        parts.append(Text("\nrunning… (no output yet)", style="cyan"))
    return parts


def bench_table(state: TuiState, entries: list[Node]) -> Table:
    """Statistics of benchmark entries, with the comparison to the baseline.
    Counted instructions (`--instrument instructions`) have no ops/s, and
    their ratio reads `more` or `fewer`, as in the console's table."""
    results = [state.bench.get(n.key) or {} for n in entries]
    instrument = next((r["instrument"] for r in results if r.get("instrument")), None)
    columns = ["entry", "median", "95% CI", "ops/s", "samples", "vs baseline"]
    if instrument is not None:
        columns.remove("ops/s")
    table = Table(expand=False, header_style="bold", show_edge=False, pad_edge=False)
    for col in columns:
        table.add_column(col, justify="left" if col == "entry" else "right", no_wrap=True)
    blank = [""] * (len(columns) - 2)
    for node in entries:
        res = state.bench.get(node.key)
        name = cell(node.name + (" (baseline)" if res and res.get("is_baseline") else ""))
        if res is None:
            prog = state.bench_progress.get(node.key)
            msg = f"{prog[0]} ({prog[1]} samples)" if prog else "not run yet"
            table.add_row(name, Text(msg, style="cyan" if prog else "dim"), *blank)
            continue
        if res.get("error"):
            table.add_row(name, cell(res["error"], "red"), *blank)
            continue
        st = res.get("stats") or {}
        cmp_ = res.get("comparison")
        vs = Text("-", end="")
        if cmp_:
            # The paired ratio with its interval and the engine's verdict.
            mark, style = verdict_mark(cmp_)
            sp, lo, hi = (float(cmp_.get(k) or 0) for k in ("speedup", "ci_low", "ci_high"))
            if instrument is not None:
                text = format_ratio(sp, lo, hi, instrument)
            else:
                text = f"{sp:.2f}x {lo:.2f}–{hi:.2f}" if lo and hi else f"{sp:.2f}x"
            vs = Text(f"{text} {mark}", style=style if mark == "*" else "dim", end="")
        # The median and its interval, as the console table shows them.
        unit = res.get("instrument")
        ops = [] if instrument is not None else [format_ops(st.get("ops_per_sec"))]
        table.add_row(
            name,
            format_value(st.get("median"), unit),
            format_interval(st.get("ci_low"), st.get("ci_high"), unit) if st else "-",
            *ops,
            str(st.get("samples", "")),
            vs,
        )
    return table


def bench_chart(state: TuiState, entries: list[Node], width: int = 40) -> Text:
    """Horizontal bars of each entry's median, relative to the baseline (or
    to the slowest entry when there is no baseline)."""
    means: list[tuple[Node, float, bool]] = []
    for node in entries:
        res = state.bench.get(node.key)
        st = (res or {}).get("stats") or {}
        if st.get("median"):
            means.append((node, float(st["median"]), bool(res and res.get("is_baseline"))))
    out = Text()
    if not means:
        out.append("no results yet", "dim")
        return out
    base = next((m for _, m, b in means if b), None)
    top = max(m for _, m, _ in means)
    name_w = min(24, max(len(n.name) for n, _, _ in means))
    for i, (node, mean, is_base) in enumerate(means):
        if i:
            out.append("\n")
        bar = max(1, round(mean / top * width))
        out.append(clean(node.name)[:name_w].ljust(name_w) + " ")
        style = "blue" if is_base else ("green" if base is not None and mean < base else "red")
        if base is None:
            style = "cyan"
        out.append("█" * bar, style)
        rel = f" {mean / base:.2f}x" if base else ""
        out.append(
            f" {format_value(mean, (state.bench.get(node.key) or {}).get('instrument'))}{rel}",
            "dim",
        )
    return out


def render_group(state: TuiState, node: Node) -> RenderableType:
    """A file, suite or benchmark group: counts, and for groups the stats."""
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold", no_wrap=True)
    head.add_column()
    head.add_row(node.kind, cell(node.key))
    if node.kind != "file":  # a file's row above already names it
        head.add_row("file", cell(f"{node.path}:{node.line}"))
    if node.tags:
        head.add_row("tags", cell(", ".join(node.tags)))
    counts = state.counts(node)
    total = state.leaf_count.get(node.key, 0)
    ran = {k: v for k, v in counts.items() if v}
    summary = "".join(t for t, _ in _core.counts_line(ran)) if ran else "not run yet"
    head.add_row("tests", Text(f"{total} ({summary})", end=""))
    head.add_row("selected", Text(str(state.sel_count.get(node.key, 0)), end=""))
    parts: list[RenderableType] = [head]
    if node.kind == "error":
        parts.append(heading("collection error"))
        parts.append(safe(node.error, "red"))
    leaves = state.leaves_under(node)
    benches = [n for n in leaves if n.kind == "bench"]
    if node.kind == "group" or (benches and len(benches) == len(leaves)):
        parts.append(heading("statistics"))
        parts.append(bench_table(state, benches))
        parts.append(heading("median relative to the baseline"))
        parts.append(bench_chart(state, benches))
    failed = [n for n in leaves if (r := state.results.get(n.key)) and is_failure(r)]
    if failed:
        parts.append(heading(f"failures ({len(failed)})"))
        lines = Text()
        for i, n in enumerate(failed[:50]):
            if i:
                lines.append("\n")
            rec = state.results[n.key]
            lines.append("✘ ", "bold red")
            lines.append(clean(n.key))
            first = (rec.get("message") or "").strip().split("\n")[0]
            if first:
                lines.append(f"  {clean(first)[:120]}", "dim")
        parts.append(lines)
    return Group(*parts)


class DetailsPane(VerticalScroll):
    """Scrollable details of the highlighted node."""

    def __init__(self, state: TuiState, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.state = state
        self.key: str | None = None
        # What the body shows, kept for tests and for the screenshot script.
        self.current: RenderableType = Text("")
        self.body = Static(Text("Discovering tests…", style="dim"), id="details-body")

    def compose(self):  # type: ignore[no-untyped-def]
        yield self.body

    def show(self, key: str | None) -> None:
        """Show the node `key` (None: a short hint)."""
        self.key = key
        node = self.state.nodes.get(key) if key is not None else None
        if node is None or node.kind == "root":
            self._set(
                Text(
                    "Highlight a test to see its details.\n"
                    "space selects, r runs the selection, a runs everything, ? shows the keys.",
                    style="dim",
                )
            )
            return
        if node.is_leaf:
            self._set(render_test(self.state, node))
        else:
            self._set(render_group(self.state, node))

    def _set(self, renderable: RenderableType) -> None:
        self.current = renderable
        self.body.update(renderable)

    def refresh_if_affected(self, ids: set[str]) -> None:
        """Re-render when a changed id is the shown node or lies under it."""
        key = self.key
        if key is None:
            return
        if key in ids or any(id_grammar.is_under(i, key) for i in ids):
            self.show(key)
