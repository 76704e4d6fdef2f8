"""Console tables of benchmark results (rich).

Input is the analyzed results: a list of `BenchEntryResult` dicts (the JSON
of `dbtest_engine::bench::BenchEntryResult`, as `bench_analyze` returns it),
and optionally a `CompareReport` dict from `bench_compare`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from rich import box
from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from dbtest import _core
from dbtest import ids as id_grammar
from dbtest._core import clean

BAR_WIDTH = 12
SPARK_WIDTH = 10
_PARTIAL = " ▏▎▍▌▋▊▉"
_SPARK = "▁▂▃▄▅▆▇█"


def format_time(seconds: float | None) -> str:
    """Seconds per call with a unit and three significant figures (the
    engine's rule, as in every report)."""
    return _core.format_time(seconds)


def format_count(count: float | None) -> str:
    """Instructions per call, whole, with separators: `81,234 instr`
    (counts barely move: every digit is worth showing)."""
    if count is None or not math.isfinite(count):
        return "-"
    return f"{round(count):,} instr"


def format_value(value: float | None, instrument: str | None = None) -> str:
    """A value per call as its instrument measures it (time by default)."""
    return format_count(value) if instrument == "instructions" else format_time(value)


def format_interval(low: float | None, high: float | None, instrument: str | None = None) -> str:
    """`9.94–10.4 µs`: the unit once when both ends share it."""
    lo, hi = format_value(low, instrument), format_value(high, instrument)
    lo_value, _, lo_unit = lo.partition(" ")
    hi_value, _, hi_unit = hi.partition(" ")
    if lo_unit and lo_unit == hi_unit:
        return f"{lo_value}–{hi_value} {hi_unit}"
    return f"{lo}–{hi}"


def format_p(p: float | None) -> str:
    if p is None or not math.isfinite(p):
        return "-"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def format_ops(ops: float | None) -> str:
    """Operations per second, short (`123.46k`): the engine's rule."""
    return _core.format_ops(ops)


def format_ratio(speedup: float, low: float, high: float, instrument: str | None = None) -> str:
    """`2.31x faster (2.20–2.43)`; below 1, the slowdown as `1.50x slower`.
    Counted instructions say `fewer` and `more`."""
    if not all(math.isfinite(v) and v > 0 for v in (speedup, low, high)):
        return "-"
    better, worse = ("fewer", "more") if instrument == "instructions" else ("faster", "slower")
    if speedup >= 1.0:
        return f"{speedup:.2f}x {better} ({low:.2f}–{high:.2f})"
    return f"{1 / speedup:.2f}x {worse} ({1 / high:.2f}–{1 / low:.2f})"


def change_interval(cmp: dict[str, Any] | None) -> str:
    """The interval of `now / baseline - 1` from a comparison's speedup
    interval (`baseline / now`): `-1.2%…+3.4%`."""
    if not cmp:
        return "-"
    lo, hi = cmp.get("ci_low"), cmp.get("ci_high")
    if not all(isinstance(v, (int, float)) and math.isfinite(v) and v > 0 for v in (lo, hi)):
        return "-"
    return f"{(1 / hi - 1) * 100:+.1f}%…{(1 / lo - 1) * 100:+.1f}%"


def bar(value: float, largest: float, width: int = BAR_WIDTH) -> str:
    """A bar of block glyphs, `width` cells for `largest`, eighths of a cell."""
    if largest <= 0 or not math.isfinite(value) or value <= 0:
        return ""
    eighths = max(1, round(value / largest * width * 8))
    full, part = divmod(min(eighths, width * 8), 8)
    return "█" * full + (_PARTIAL[part] if part else "")


def sparkline(samples: list[float], width: int = SPARK_WIDTH) -> str:
    """The distribution of `samples` as a one-line histogram of `width`
    bins between the 1st and 99th percentiles (a far outlier would squash
    the rest into one bin); empty bins are blank."""
    xs = sorted(s for s in samples if math.isfinite(s))
    if len(xs) < 2 or width < 1:
        return ""
    lo, hi = xs[(len(xs) - 1) // 100], xs[(len(xs) - 1) * 99 // 100]
    if hi <= lo:
        return _SPARK[-1].center(width)
    counts = [0] * width
    for x in xs:
        if lo <= x <= hi:
            counts[min(width - 1, int((x - lo) / (hi - lo) * width))] += 1
    top = max(counts)
    return "".join(
        _SPARK[min(len(_SPARK) - 1, (c * len(_SPARK) - 1) // top)] if c else " " for c in counts
    )


_MARKS = {"same": "≈", "faster": "*", "slower": "*", "undecided": "n.s."}


def verdict_mark(cmp: dict[str, Any]) -> tuple[str, str]:
    """The `sig` cell of a comparison and its style, from the engine's verdict."""
    verdict = cmp.get("verdict") or ("faster" if cmp.get("significant") else "undecided")
    if verdict == "same":
        return _MARKS["same"], "cyan"
    if verdict in ("faster", "slower"):
        return _MARKS[verdict], "green" if verdict == "faster" else "red"
    return _MARKS["undecided"], "dim"


def _entry_label(r: dict[str, Any]) -> str:
    label = r.get("name") or r.get("id", "?")
    if r.get("params"):
        label += f"[{r['params']}]"
    return clean(label)


def _groups(results: Iterable[dict[str, Any]]) -> list[tuple[str, str, list[dict[str, Any]]]]:
    order: list[tuple[str, str]] = []
    by: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in results:
        key = (r.get("path", ""), r.get("group", ""))
        if key not in by:
            order.append(key)
            by[key] = []
        by[key].append(r)
    return [(p, g, by[(p, g)]) for p, g in order]


def group_table(
    path: str, group: str, results: list[dict[str, Any]], compact: bool = False
) -> Table:
    """One group: entry, median, 95% CI, the samples' distribution, ops/s,
    ratio to baseline, verdict, bar.

    `compact` (narrow terminals) leaves out ops/s and the ratio's interval;
    counted instructions (`--instrument instructions`) have no ops/s.
    """
    instrument = next((r["instrument"] for r in results if r.get("instrument")), None)
    with_ops = not compact and instrument is None
    table = Table(
        title=f"{escape(clean(group))}  [dim]{escape(clean(path))}[/dim]",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("entry", no_wrap=True)
    table.add_column("median", justify="right", no_wrap=True)
    table.add_column("95% CI", justify="right", no_wrap=True)
    table.add_column("samples", no_wrap=True, min_width=SPARK_WIDTH)
    if with_ops:
        table.add_column("ops/s", justify="right", no_wrap=True)
    table.add_column("vs baseline", no_wrap=True, overflow="ellipsis", max_width=40)
    table.add_column("sig", justify="center", no_wrap=True)
    width = BAR_WIDTH // 2 if compact else BAR_WIDTH
    table.add_column("", no_wrap=True, min_width=width)
    medians = [r["stats"]["median"] for r in results if r.get("stats")]
    largest = max(medians, default=0.0)
    for r in results:
        label = Text(_entry_label(r), style="bold" if r.get("is_baseline") else "")
        stats = r.get("stats")
        if r.get("error") or not stats:
            message = Text(clean(r.get("error") or "no result"), style="red", overflow="ellipsis")
            ops = [""] if with_ops else []
            table.add_row(label, Text("error", style="red"), "", "", *ops, message, "", "")
            continue
        ci = format_interval(stats["ci_low"], stats["ci_high"], instrument)
        cmp = r.get("comparison")
        if r.get("is_baseline"):
            ratio, sig = Text("baseline", style="dim"), Text("")
        elif cmp:
            text = format_ratio(cmp["speedup"], cmp["ci_low"], cmp["ci_high"], instrument)
            if compact:
                text = text.partition(" (")[0]
            mark, style = verdict_mark(cmp)
            ratio = Text(text, style=style if mark == "*" else "dim")
            sig = Text(mark, style=style)
        else:
            ratio, sig = Text("-", style="dim"), Text("")
        glyphs = Text(
            bar(stats["median"], largest, width),
            style="magenta" if r.get("is_baseline") else "cyan",
        )
        ops = [format_ops(stats["ops_per_sec"])] if with_ops else []
        spark = Text(sparkline(r.get("samples") or []), style="dim")
        median = format_value(stats["median"], instrument)
        table.add_row(label, median, ci, spark, *ops, ratio, sig, glyphs)
    table.caption = _caption([r["comparison"] for r in results if r.get("comparison")])
    return table


def _caption(comparisons: list[dict[str, Any]]) -> str | None:
    """What the `sig` marks mean for these comparisons."""
    if not comparisons:
        return None
    margin = max(c.get("margin") or 0.0 for c in comparisons) * 100
    if all(c.get("paired") for c in comparisons):
        test = "paired by round, Wilcoxon signed-rank"
    else:
        test = "unpaired, Mann-Whitney U"
    return (
        f"* significant ({test} p < 0.05, interval excludes 1); "
        f"≈ same within ±{margin:g}%; n.s. undecided"
    )


def comparison_tables(report: dict[str, Any]) -> list[Table]:
    """Each entry against a saved baseline: one table per group, regressions
    marked."""
    pct = report.get("threshold", 0.0) * 100
    name = report.get("baseline", "?")
    instrument = report.get("instrument")
    by_group: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for e in report.get("entries", []):
        rid = e.get("id", "?")
        path, names, _ = id_grammar.split(rid)
        # Ids are long: the group goes in the title, `entry[params]` in rows.
        group = id_grammar.join(path, names[:1]) if len(names) >= 2 else ""
        label = (id_grammar.relative(rid, group) if group else None) or rid
        by_group.setdefault(group, []).append((label, e))
    tables = []
    for group, rows in by_group.items():
        # Without --fail-on-regression there is no gate to name.
        gate = f" (fail above +{pct:g}%)" if report.get("gate") else ""
        title = escape(clean(f"{group} against baseline {name!r}{gate}"))
        table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
        # Another run's samples pair with nothing of this one's.
        table.caption = "not paired (another run): the change's interval is the between-run one"
        table.add_column("entry", no_wrap=True, overflow="ellipsis", max_width=40)
        for column in ("baseline", "now", "change", "95% CI", "p"):
            table.add_column(column, justify="right", no_wrap=True)
        table.add_column("status", no_wrap=True)
        for label, e in rows:
            change = e.get("change")
            status = e.get("status", "")
            style = {
                "slower": "yellow",
                "faster": "green",
                "error": "red",
                "unchanged": "dim",
            }.get(status, "")
            if e.get("regression") and report.get("gate"):
                status, style = "REGRESSION", "bold red"
            table.add_row(
                Text(clean(label)),
                format_value(e.get("baseline_median"), instrument),
                format_value(e.get("current_median"), instrument),
                "-" if change is None else f"{change * 100:+.1f}%",
                change_interval(e.get("comparison")),
                format_p((e.get("comparison") or {}).get("p_value")),
                Text(status, style=style),
            )
        tables.append(table)
    return tables


def render(
    results: list[dict[str, Any]], compare: dict[str, Any] | None = None, width: int = 120
) -> Group:
    """Every group's table, then the baseline comparison if any."""
    compact = width < 110
    parts: list[Any] = [group_table(p, g, rs, compact) for p, g, rs in _groups(results)]
    # A table cell shows an error's start; here it is whole, as a test's is.
    failed = [r for r in results if r.get("error")]
    if failed:
        parts.append(Text("benchmark errors", style="bold red"))
        for r in failed:
            parts.append(Text.assemble((f"{clean(r.get('id', '?'))}: ", "red"), clean(r["error"])))
    if compare is not None:
        parts.extend(comparison_tables(compare))
    return Group(*parts)


def print_results(
    results: list[dict[str, Any]],
    compare: dict[str, Any] | None = None,
    console: Console | None = None,
) -> None:
    console = console or Console()
    console.print(render(results, compare, console.width))


def progress_line(event: dict[str, Any]) -> str:
    """One line for a live `bench_progress` event."""
    phase = event.get("phase", "")
    samples = event.get("samples", 0)
    tail = f" ({samples} samples)" if phase in ("sampling", "done") and samples else ""
    return f"{event.get('id', '?')}: {phase}{tail}"
