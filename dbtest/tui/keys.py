"""The TUI's keys, declared once.

The app's bindings and footer, the help screen, the command palette and the
key table in docs/tui.md are all made from `KEYS`: adding a key is one entry
here plus its `action_` method on the app, then `python -m dbtest.tui.keys`
to rewrite the docs' table (a test fails until it matches).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from textual.binding import Binding

# Textual's names for the keys that are punctuation.
_TEXTUAL_NAMES = {"/": "slash", "?": "question_mark"}

DOCS = Path(__file__).resolve().parents[2] / "docs" / "tui.md"
DOCS_START = "<!-- keys: generated from dbtest/tui/keys.py by `python -m dbtest.tui.keys` -->"
DOCS_END = "<!-- end of keys -->"


@dataclass(frozen=True)
class Key:
    """One key of the main screen."""

    key: str
    """As the user types and reads it: `r`, `/`, `space`, `ctrl+r`."""
    action: str
    """The app's `action_<name>`."""
    description: str
    """What it does: the help screen, the palette and the docs say this."""
    footer: str | None = None
    """The footer's short label; None keeps the key out of the footer."""
    bound: bool = True
    """False when a widget or Textual itself handles the key (the tree's enter)."""
    palette: bool = True
    """Listed in the command palette (ctrl+p)."""

    def binding(self) -> Binding:
        name = _TEXTUAL_NAMES.get(self.key, self.key)
        display = self.key if name != self.key else None
        return Binding(
            name,
            self.action,
            self.footer or self.description,
            show=self.footer is not None,
            key_display=display,
        )


KEYS: tuple[Key, ...] = (
    Key(
        "r",
        "run_selection",
        "run the selection (what the filter and tags show of it), "
        "or the highlighted row when nothing is selected",
        "Run",
    ),
    Key("a", "run_all", "run everything the filter and tags show", "Run all"),
    Key("f", "rerun_failures", "rerun the failures of the last run", "Rerun failures"),
    Key(
        "space",
        "toggle_select",
        "select or unselect the highlighted row (a file or suite: all of its visible tests)",
    ),
    Key("c", "clear_selection", "clear the selection"),
    Key(
        "/",
        "focus_filter",
        "focus the filter: a pattern, or -E and an expression; enter goes back to the tree",
        "Filter",
    ),
    Key(
        "t",
        "pick_tags",
        "pick tags: space toggles, enter applies, c clears, escape cancels",
        "Tags",
    ),
    Key(
        "s",
        "stop",
        "stop the run: unfinished tests become cancelled; press again to kill the workers",
        "Stop",
    ),
    Key(
        "escape",
        "escape",
        "stop the run like s; from the filter box, back to the tree",
        palette=False,
    ),
    Key("n", "next_failure", "next failure (expands the tree to it)", "Next fail"),
    Key("p", "previous_failure", "previous failure", "Prev fail"),
    Key("enter", "open", "expand or collapse a file or suite; show a test's details", bound=False),
    Key("e", "edit", "open the highlighted test in $VISUAL / $EDITOR at its line", "Edit"),
    Key(
        "o",
        "run_changed",
        "run only what the working tree's changes affect (dbtest --changed)",
        "Changed",
    ),
    Key("w", "toggle_watch", "watch mode on / off: saving a file reruns what it affects", "Watch"),
    Key("ctrl+r", "rediscover", "discover the tree again (watch mode does it on every change)"),
    Key("?", "help", "show the keys", "Help"),
    Key(
        "ctrl+p",
        "command_palette",
        "command palette: every action above by name",
        bound=False,
        palette=False,
    ),
    Key("q", "quit", "quit (the session is saved in .dbtest/tui.json)", "Quit", palette=False),
)


def bindings() -> list[Binding]:
    """The app's bindings (the footer shows those with a label)."""
    return [k.binding() for k in KEYS if k.bound]


def markdown_table() -> str:
    """The key table of docs/tui.md."""
    rows = ["| key | action |", "|---|---|"]
    rows += [f"| `{k.key}` | {k.description} |" for k in KEYS]
    return "\n".join(rows) + "\n"


def docs_with_table(text: str) -> str:
    """`text` (docs/tui.md) with the table between its markers made from `KEYS`."""
    head, start, rest = text.partition(DOCS_START + "\n")
    _, end, tail = rest.partition(DOCS_END)
    if not start or not end:
        raise ValueError(f"{DOCS.name} lacks the key table markers")
    return head + start + markdown_table() + end + tail


if __name__ == "__main__":
    DOCS.write_text(docs_with_table(DOCS.read_text(encoding="utf-8")), encoding="utf-8")
    sys.stdout.write(f"rewrote the key table of {DOCS}\n")
