"""Keys are declared once (`dbtest/tui/keys.py`): the app's bindings, its
footer, the help screen, the command palette and docs/tui.md all say the
same thing, and each key reaches an action that exists."""

from __future__ import annotations

from rich.console import Console
from textual.widgets import Static
from textual.widgets._footer import FooterKey

from dbtest.tui import keys
from dbtest.tui.app import DbtestApp
from dbtest.tui.help_screen import HelpScreen

from . import scripted
from .helpers import async_test, wait_for


def test_docs_key_table_is_the_table_of_keys():
    text = keys.DOCS.read_text(encoding="utf-8")
    assert keys.docs_with_table(text) == text, (
        "docs/tui.md's key table differs from dbtest/tui/keys.py: run `python -m dbtest.tui.keys`"
    )


def test_every_key_names_an_action_of_the_app_once():
    for k in keys.KEYS:
        assert callable(getattr(DbtestApp, f"action_{k.action}", None)), k
    names = [k.key for k in keys.KEYS]
    assert len(names) == len(set(names)), "a key is declared twice"


def rendered(widget: Static) -> str:
    console = Console(width=200, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(widget.content)
    return console.export_text()


@async_test
async def test_footer_help_and_palette_show_every_key():
    app = DbtestApp(scripted.ROOT, source=scripted.source(), restore_session=False, persist=False)
    labelled = [(k.key, k.footer) for k in keys.KEYS if k.footer]
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(pilot, lambda: app.tree_ready)
        # The footer: the keys with a label, in the table's order (Textual
        # adds its own, the palette's, at the end).
        await wait_for(pilot, lambda: app.screen.query(FooterKey))
        footer = [(f.key_display, f.description) for f in app.screen.query(FooterKey)]
        assert footer[: len(labelled)] == labelled, footer
        # The help screen: every key with its description.
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        table = rendered(app.screen.query_one("#help-keys", Static)).splitlines()
        first = [line.split()[0] for line in table if line.strip()][1:]  # after the header
        assert [k.key for k in keys.KEYS] == [w for w in first if w in {k.key for k in keys.KEYS}]
        words = " ".join(" ".join(table).split())
        for k in keys.KEYS:
            assert k.description in words, k
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen))
        # The palette: every key meant for it, by its description.
        commands = {c.title: c.help for c in app.get_system_commands(app.screen)}
        for k in keys.KEYS:
            title = k.description[0].upper() + k.description[1:]
            assert (commands.get(title) == f"key: {k.key}") == k.palette, k
