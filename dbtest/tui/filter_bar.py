"""The top bar: the filter box (pattern or `-E` expression) and the active tags."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Static

from dbtest._core import clean
from dbtest.tui.messages import FilterChanged

PLACEHOLDER = (
    "/ filter: a pattern (substring or glob), or -E and an expression: -E 'tag(db) & !tag(slow)'"
)


def parse_filter(text: str) -> tuple[str | None, str | None]:
    """`(pattern, expr)` from the filter box: `-E ...` is an expression, anything
    else a `-k` pattern; empty means no filter."""
    s = text.strip()
    if not s:
        return None, None
    if s == "-E" or s.startswith("-E ") or s.startswith("-E\t"):
        expr = s[2:].strip()
        if len(expr) >= 2 and expr[0] == expr[-1] and expr[0] in "'\"":
            expr = expr[1:-1]
        return None, expr or None
    return s, None


class FilterBar(Vertical):
    """Filter input, the inline error line and the tag chips."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="filter-row"):
            yield Input(placeholder=PLACEHOLDER, id="filter-input")
            yield Static("", id="tag-chips")
        yield Static("", id="filter-error")

    @on(Input.Changed, "#filter-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(FilterChanged(event.value))

    @on(Input.Submitted, "#filter-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.app.action_focus_tree()  # type: ignore[attr-defined]

    def set_text(self, text: str) -> None:
        inp = self.query_one("#filter-input", Input)
        with inp.prevent(Input.Changed):
            inp.value = text

    def show_error(self, error: str | None) -> None:
        """Show the engine's error under the box (or clear it)."""
        err = self.query_one("#filter-error", Static)
        err.update(Text(clean(error), style="bold red") if error else "")
        err.set_class(bool(error), "visible")
        self.query_one("#filter-input", Input).set_class(bool(error), "-invalid-filter")

    def show_tags(self, tags: list[str]) -> None:
        chips = self.query_one("#tag-chips", Static)
        if tags:
            chips.update(Text("tags: " + ", ".join(tags), style="bold yellow"))
        else:
            chips.update(Text("t: tags", style="dim"))
