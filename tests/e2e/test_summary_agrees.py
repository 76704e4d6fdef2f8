"""One run, one summary: the live console, `--format console -o FILE`, the
Markdown report, `dbtest report render` and the TUI's status bar say the
same words, which are the engine's (`report::summary`), on a project where
every kind of result happens (`tests/fixtures/every_outcome`)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from textual.widgets import Static

from dbtest.tui.app import DbtestApp
from tests.conftest import FIXTURES, run_dbtest
from tests.tui.helpers import async_test, wait_for

# The counts of the fixture's run, failures first (see its test_mix.py).
COUNTS = (
    "2 failed, 1 error, 1 timeout, 1 crashed, 2 xpassed, 3 passed, 1 skipped, 1 xfailed, "
    "1 flaky, 1 collection error, 1 run error, 2 benchmarks, 1 benchmark error"
)
SUMMARY = re.compile(rf"FAILED: {re.escape(COUNTS)} \(12 tests in [0-9.]+ s\)")


def project(tmp_path: Path) -> Path:
    dest = tmp_path / "every_outcome"
    shutil.copytree(
        FIXTURES / "every_outcome", dest, ignore=shutil.ignore_patterns(".dbtest", "__pycache__")
    )
    return dest


def last_line(text: str) -> str:
    return text.rstrip().splitlines()[-1]


def test_console_and_every_report_say_the_same_summary(tmp_path):
    root = project(tmp_path)
    args = ["--headless", "-o", "run.txt", "--markdown", "run.md", "--json", "run.json"]
    proc = run_dbtest(args, root)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    live = last_line(proc.stdout)
    assert SUMMARY.fullmatch(live), live
    # The test's control characters are shown, as the reports show them, not obeyed.
    for out in (proc.stdout, (root / "run.txt").read_text()):
        assert "\x1b" not in out and "\x07" not in out
        assert "hostile \\x1b[2J message" in out and "a bell \\x07" in out
    # The same run's console report ends with the very same line...
    assert last_line((root / "run.txt").read_text()) == live
    # ...and so does the saved report rendered again.
    again = run_dbtest(["report", "render", "run.json", "--format", "console"], root)
    assert again.returncode == 0, again.stderr
    assert last_line(again.stdout) == live
    markdown = (root / "run.md").read_text()
    assert markdown.startswith("## ❌ dbtest: failed\n")
    assert f"**{COUNTS}** · 12 tests in " in markdown


def test_a_passing_and_an_empty_run_say_so_in_the_same_words(tmp_path):
    root = project(tmp_path)
    proc = run_dbtest(["--headless", "-k", "test_pass", "-o", "run.txt", "tests/test_mix.py"], root)
    live = last_line(proc.stdout)
    assert re.fullmatch(r"PASSED: 1 passed \(1 test in [0-9.]+ s\)", live), live
    assert last_line((root / "run.txt").read_text()) == live
    assert proc.returncode == 0
    proc = run_dbtest(["--headless", "-k", "no_such_test", "tests/test_mix.py"], root)
    assert re.fullmatch(r"PASSED: no tests ran \(in [0-9.]+ s\)", last_line(proc.stdout))
    assert proc.returncode == 5


@async_test
async def test_the_tui_status_bar_ends_with_the_same_summary(tmp_path):
    root = project(tmp_path)
    app = DbtestApp(root, workers=2, restore_session=False, persist=False)
    async with app.run_test(size=(300, 40)) as pilot:
        await wait_for(pilot, lambda: app.tree_ready)
        await pilot.press("a")
        await wait_for(pilot, lambda: app.run_serial >= 1 and app.active_run is None, timeout=60)
        await pilot.pause()
        status = str(app.query_one("#run-summary", Static).visual)
    found = SUMMARY.search(status)
    assert found, status
