"""The left pane: files, suites, tests and benchmark groups, with selection
check marks, live status icons and per-file/suite counts."""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from dbtest._core import clean
from dbtest.benchmark.console import format_value
from dbtest.tui.state import FAILURE_OUTCOMES, Node, TuiState

# Labels are computed in render_label; an empty Text skips markup parsing.
_EMPTY = Text()

CHECK = {"all": "☑ ", "some": "◩ ", "none": "☐ "}

# (icon, style) per status; the style names are plain colours so the label
# stays readable in any theme.
STATUS_ICON: dict[str | None, tuple[str, str]] = {
    None: ("  ", "dim"),
    "queued": ("· ", "dim"),
    "running": ("▶ ", "bold cyan"),
    "passed": ("✔ ", "green"),
    "failed": ("✘ ", "bold red"),
    "error": ("‼ ", "bold red"),
    "timeout": ("⏱ ", "bold red"),
    "crashed": ("☠ ", "bold red"),
    "skipped": ("○ ", "yellow"),
    "xfailed": ("x ", "yellow"),
    "xpassed": ("X ", "yellow"),
    "cancelled": ("⊘ ", "magenta"),
}

KIND_STYLE = {
    "file": "bold",
    "error": "bold red",
    "suite": "bold blue",
    "group": "bold magenta",
    "function": "",
    "test": "",
    "bench": "",
}


def format_duration(seconds: float | None) -> str:
    """Short human duration: `850µs`, `12ms`, `1.4s`, `2m03s`."""
    if seconds is None:
        return ""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f}µs"
    if seconds < 1:
        return f"{seconds * 1e3:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    m, s = divmod(int(seconds), 60)
    return f"{m}m{s:02d}s"


def leaf_note(state: TuiState, model: Node, status: str | None) -> tuple[str, str] | None:
    """What a test's row says after its name, and its style: running (or
    SLOW), a benchmark's progress or median, or the last run's duration."""
    rec = state.results.get(model.key)
    if status == "running" and model.key in state.progress.slow:
        return f"  SLOW {state.progress.slow[model.key]:g}s", "bold yellow"
    if status == "running":
        return "  running…", "cyan"
    if model.kind == "bench" and model.key in state.bench_progress:
        phase, samples = state.bench_progress[model.key]
        return f"  {phase} {samples}", "cyan"
    if model.kind == "bench" and model.key in state.bench:
        stats = state.bench[model.key].get("stats") or {}
        unit = state.bench[model.key].get("instrument")
        return f"  {format_value(stats.get('median'), unit)}", "dim"
    if rec is not None and rec.get("duration") and rec["outcome"] != "cancelled":
        return f"  {format_duration(rec.get('duration'))}", "dim"
    return None


class TestTree(Tree[str]):
    """The test tree. Node data is the model key; labels are computed from
    the model at render time, so a refresh is all a status change needs."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "app.toggle_select", "Select", show=False),
        Binding("enter", "select_cursor", "Open", show=False),
    ]

    def __init__(self, state: TuiState, **kwargs: object) -> None:
        super().__init__("tests", **kwargs)  # type: ignore[arg-type]
        self.state = state
        self.show_root = False
        self.guide_depth = 3
        self.auto_expand = False
        self.by_key: dict[str, TreeNode[str]] = {}
        # Expanded nodes, remembered while a filter hides them.
        self._remembered: set[str] = set()

    # --------------------------------------------------------- population

    def populate(self) -> None:
        """Rebuild the rows from the model (after load, filtering or new nodes),
        keeping the expanded nodes and the cursor.

        Children of a collapsed node are added when it is first expanded: a
        10,000-test project then costs one row per file, not 13,000 nodes."""
        shown = {k: tn.is_expanded for k, tn in self.by_key.items() if tn.allow_expand}
        self._remembered = (self._remembered - shown.keys()) | {k for k, e in shown.items() if e}
        first_time = not self.by_key
        cursor = self.cursor_node.data if self.cursor_node is not None else None
        self.clear()
        self.by_key = {}
        self._pending: dict[int, Node] = {}
        state = self.state
        files = [n for n in state.root.children if state.is_visible(n)]
        # A small project opens fully expanded; a big one shows its files.
        open_all = first_time and state.leaf_count.get("", 0) <= 60
        filtered = state.visible is not None
        self._auto_open = open_all or (filtered and len(files) <= 8)
        for f in files:
            self._add(self.root, f)
        if cursor is not None:
            self._materialize(cursor)
        if cursor is not None and cursor in self.by_key:
            self.call_after_refresh(self.move_cursor, self.by_key[cursor])
        elif self.cursor_line < 0 and files:
            self.cursor_line = 0

    def _add(self, parent: TreeNode[str], node: Node) -> TreeNode[str]:
        if node.is_leaf:
            tn = parent.add_leaf(_EMPTY, data=node.key)
        else:
            expand = self._auto_open or node.key in self._remembered
            tn = parent.add(_EMPTY, data=node.key, expand=expand)
            if node.kind == "error":
                tn.allow_expand = False
            elif expand:
                self._add_children(tn, node)
            else:
                self._pending[id(tn)] = node
        self.by_key[node.key] = tn
        return tn

    def _add_children(self, tn: TreeNode[str], node: Node) -> None:
        for child in node.children:
            if self.state.is_visible(child):
                self._add(tn, child)

    def _fill(self, tn: TreeNode[str]) -> None:
        node = self._pending.pop(id(tn), None)
        if node is not None:
            self._add_children(tn, node)

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[str]) -> None:
        self._fill(event.node)

    def _materialize(self, key: str) -> TreeNode[str] | None:
        """Create the rows down to `key` (its collapsed ancestors' children)."""
        node = self.state.nodes.get(key)
        if node is None:
            return None
        chain = [node, *node.ancestors()][::-1]
        for model in chain:
            tn = self.by_key.get(model.key)
            if tn is not None:
                self._fill(tn)
        return self.by_key.get(key)

    def refresh_keys(self, keys: set[str]) -> None:
        """Repaint the rows of these keys and of their ancestors."""
        seen: set[str] = set()
        for key in keys:
            node = self.state.nodes.get(key)
            while node is not None and node.key not in seen:
                seen.add(node.key)
                tn = self.by_key.get(node.key)
                if tn is not None and tn._line >= 0:
                    tn.refresh()
                node = node.parent
        if seen:
            self.refresh()

    def reveal(self, key: str) -> None:
        """Expand the ancestors of `key` and move the cursor onto it."""
        tn = self._materialize(key)
        if tn is None:
            return
        parent = tn.parent
        while parent is not None:
            if not parent.is_expanded and parent is not self.root:
                parent.expand()
            parent = parent.parent
        self.call_after_refresh(self.move_cursor, tn, True)

    @property
    def cursor_key(self) -> str | None:
        node = self.cursor_node
        return node.data if node is not None else None

    # ------------------------------------------------------------ labels

    def render_label(self, node: TreeNode[str], base_style: Style, style: Style) -> Text:
        model = self.state.nodes.get(node.data or "")
        if model is None:
            return Text("?")
        state = self.state
        text = Text(no_wrap=True, end="")
        if node.allow_expand:
            text.append("▼ " if node.is_expanded else "▶ ", base_style + Style(dim=True))
        if model.kind == "error":
            text.append("⚠ ", "bold red")
            text.append(clean(model.name), KIND_STYLE["error"])
            text.append(f"  collection error: {clean(model.error or '')}".splitlines()[0], "red")
            text.stylize(style)
            return text
        text.append(
            CHECK[state.selection_state(model)], "bold" if model.key in state.selected else ""
        )
        if model.is_leaf:
            status = state.node_status(model)
            icon, icon_style = STATUS_ICON.get(status, STATUS_ICON[None])
            text.append(icon, icon_style)
            text.append(clean(model.name), KIND_STYLE.get(model.kind, ""))
            note = leaf_note(state, model, status)
            if note is not None:
                text.append(*note)
        else:
            text.append(clean(model.name), KIND_STYLE.get(model.kind, ""))
            counts = state.counts(model)
            total = state.leaf_count.get(model.key, 0)
            parts: list[tuple[str, str]] = []
            if counts.get("passed"):
                parts.append((f"{counts['passed']}✔", "green"))
            failing = sum(counts.get(o, 0) for o in FAILURE_OUTCOMES)
            if failing:
                parts.append((f"{failing}✘", "bold red"))
            if counts.get("skipped") or counts.get("xfailed"):
                parts.append((f"{counts['skipped'] + counts['xfailed']}○", "yellow"))
            if counts.get("cancelled"):
                parts.append((f"{counts['cancelled']}⊘", "magenta"))
            text.append(f"  ({total})", "dim")
            for label, st in parts:
                text.append(" ")
                text.append(label, st)
        text.stylize(style)
        return text
