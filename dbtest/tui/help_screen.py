"""The help screen: every key of the app, from the one table (`dbtest/tui/keys.py`)."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

INTRO = (
    "dbtest tui: choose tests by tag (t), pattern or expression (/), or by hand (space); "
    "run them (r), read a failure in the right pane (n/p jump between failures), "
    "open it in $EDITOR (e), and rerun just the failures (f). w reruns on save."
)


def keys_table(bindings: list[tuple[str, str]]) -> Table:
    table = Table(show_header=True, header_style="bold", show_edge=False, expand=True)
    table.add_column("key", style="bold cyan", no_wrap=True)
    table.add_column("action")
    for key, description in bindings:
        table.add_row(Text(key), Text(description))
    return table


class HelpScreen(ModalScreen[None]):
    """Lists the keys (the same bindings as the footer and the command palette)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("q", "close", "Close"),
        Binding("question_mark", "close", "Close"),
    ]

    def __init__(self, bindings: list[tuple[str, str]]) -> None:
        super().__init__()
        self.bindings = bindings

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog"):
            yield Static(Text("Keys", style="bold"), id="help-title")
            yield Static(Text(INTRO), id="help-intro")
            yield Static(keys_table(self.bindings), id="help-keys")
            yield Static(
                Text(
                    "Mouse: click a row to open it, click ▶ to expand. escape closes.", style="dim"
                )
            )

    def action_close(self) -> None:
        self.dismiss(None)
