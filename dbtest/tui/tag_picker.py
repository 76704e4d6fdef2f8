"""The tag picker: a modal list of every tag with its item count."""

from __future__ import annotations

from collections import Counter
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, SelectionList
from textual.widgets.selection_list import Selection


class TagPicker(ModalScreen[list[str] | None]):
    """Choose tags; the tree then shows items carrying any of them.

    Dismisses with the chosen tags, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("enter", "apply", "Apply", priority=True),
        Binding("c", "clear", "Clear"),
    ]

    def __init__(self, tags: Counter[str], chosen: list[str]) -> None:
        super().__init__()
        self.tags = tags
        self.chosen = set(chosen)

    def compose(self) -> ComposeResult:
        with Vertical(id="tag-dialog"):
            yield Label(
                "Tags: space toggles, enter applies, c clears, escape cancels", id="tag-title"
            )
            options = [
                Selection(f"{tag}  ({n})", tag, tag in self.chosen)
                for tag, n in sorted(self.tags.items())
            ]
            yield SelectionList[str](*options, id="tag-list")
            if not options:
                yield Label("No tags in this project.", id="tag-empty")
            with Horizontal(id="tag-buttons"):
                yield Button("Apply", variant="primary", id="tag-apply")
                yield Button("Clear", id="tag-clear")
                yield Button("Cancel", id="tag-cancel")

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        {"tag-apply": self.action_apply, "tag-clear": self.action_clear}.get(
            event.button.id or "", self.action_cancel
        )()

    def action_apply(self) -> None:
        self.dismiss(list(self.query_one(SelectionList).selected))

    def action_clear(self) -> None:
        self.dismiss([])

    def action_cancel(self) -> None:
        self.dismiss(None)
