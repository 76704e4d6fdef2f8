"""Pilot tests: the app driven from the keyboard against the REAL runner
(Rust discovery, filter and scheduler, worker processes) on fixture projects."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from textual.widgets import Input, SelectionList, Static

from dbtest.tui.app import DbtestApp
from dbtest.tui.details import DetailsPane
from dbtest.tui.help_screen import HelpScreen
from dbtest.tui.tag_picker import TagPicker

from .helpers import async_test, copy_fixture, wait_for

SIZE = (140, 40)
DB_TESTS = {
    "tests/test_math.py::Arithmetic::test_compare_rows",
    "tests/test_math.py::test_db_lookup",
}
COMPARE = "tests/test_math.py::Arithmetic::test_compare_rows"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_fixture("tui_basic", tmp_path)


def new_app(root: Path, **kw) -> DbtestApp:
    kw.setdefault("workers", 2)
    return DbtestApp(root, **kw)


async def loaded(pilot) -> DbtestApp:
    app = pilot.app
    await wait_for(pilot, lambda: app.tree_ready)
    await pilot.pause()
    return app


async def run_done(pilot, serial: int) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: app.run_serial >= serial and app.active_run is None)
    await pilot.pause()


async def filtered(pilot, text: str) -> None:
    """Type a filter and wait until the engine's answer is applied."""
    app = pilot.app
    await pilot.press("slash")
    inp = app.query_one("#filter-input", Input)
    inp.value = ""
    await pilot.press(*list(text) if text else [])
    await wait_for(pilot, lambda: app.state.filter_text == text)
    # The debounce fires, the engine answers, the answer for the last
    # keystroke is applied: no guess at how long that takes under load.
    await wait_for(pilot, lambda: app.filter_applied == app._filter_gen)
    await pilot.pause()
    await pilot.press("enter")  # back to the tree


def visible_leaves(app: DbtestApp) -> set[str]:
    return {n.key for n in app.state.leaves if app.state.is_visible(n)}


def details_text(app: DbtestApp) -> str:
    from rich.console import Console

    console = Console(width=200, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(app.query_one(DetailsPane).current)
    return console.export_text()


@async_test
async def test_select_by_tag_then_run_the_selection(project):
    app = new_app(project, restore_session=False)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        assert app.tree_shown_at is not None
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, TagPicker))
        tags = app.screen.query_one(SelectionList)
        assert [tags.get_option_at_index(i).value for i in range(tags.option_count)] == [
            "db",
            "math",
            "slow",
            "unit",
        ]
        await pilot.press("space", "enter")  # the first tag: db
        await wait_for(pilot, lambda: not isinstance(app.screen, TagPicker))
        await wait_for(pilot, lambda: app.state.visible is not None)
        assert app.state.tags == ["db"]
        assert visible_leaves(app) == DB_TESTS
        # The cursor is on the first file; space selects what the filter shows of it.
        app.tree.move_cursor(app.tree.by_key["tests/test_math.py"])
        await pilot.press("space")
        assert app.state.selected == DB_TESTS
        await pilot.press("r")
        await run_done(pilot, 1)
        assert set(app.state.last_run_ids) == DB_TESTS
        assert app.state.progress.done == 2
        assert {k for k, r in app.state.results.items()} == DB_TESTS
        assert app.state.counts(app.state.nodes["tests/test_math.py"])["failed"] == 2


@async_test
async def test_filter_narrows_as_you_type_and_shows_errors_inline(project):
    app = new_app(project, restore_session=False)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await filtered(pilot, "upper")
        assert visible_leaves(app) == {"tests/test_strings.py::test_upper"}
        assert set(app.tree.by_key) >= {"tests/test_strings.py", "tests/test_broken.py"}
        assert "tests/test_math.py" not in app.tree.by_key
        await filtered(pilot, "-E tag(")
        error = app.query_one("#filter-error", Static)
        assert error.has_class("visible")
        assert "invalid filter at column 5" in str(error.visual)
        # The last good narrowing stays while the expression is invalid.
        assert visible_leaves(app) == {"tests/test_strings.py::test_upper"}
        await filtered(pilot, "-E tag(unit) & !tag(math)")
        assert not error.has_class("visible")
        assert visible_leaves(app) == {
            "tests/test_strings.py::test_upper",
            "tests/test_strings.py::test_split",
        }


@async_test
async def test_run_read_a_failure_fix_it_and_rerun_only_the_failures(project):
    app = new_app(project, restore_session=False)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await filtered(pilot, "-E !tag(slow)")
        await pilot.press("a")
        await run_done(pilot, 1)
        assert app.state.progress.done == 8
        assert app.state.progress.counts == {"passed": 6, "failed": 2}
        # The same selection run headless gives the same counts.
        from dbtest import runner

        headless = runner.start_run(runner.RunOptions(root=str(project), expr="!tag(slow)"))
        summary = next(e for e in headless.events() if e["type"] == "run_finished")["summary"]
        assert {k: v for k, v in app.state.progress.counts.items()} == {
            k: summary[k] for k in ("passed", "failed")
        }
        assert summary["total"] == app.state.progress.done
        assert set(app.state.last_failures) == DB_TESTS
        # n jumps to the first failure; its details show the diff and traceback.
        await pilot.press("n")
        await wait_for(pilot, lambda: app.tree.cursor_key == COMPARE)
        text = details_text(app)
        assert "tests/test_math.py:14" in text
        assert "✘ failed" in text
        assert "Expected: {'id': 1, 'name': 'grace'}" in text
        assert "traceback" in text and "line 15, in test_compare_rows" in text
        await pilot.press("n")
        await wait_for(pilot, lambda: app.tree.cursor_key == "tests/test_math.py::test_db_lookup")
        text = details_text(app)
        # Output with escape sequences is shown as text, never executed.
        assert "looking up \\x1b[31mred\\x1b[0m rows" in text
        assert "lookup returned the wrong value" in text
        await pilot.press("p")
        await wait_for(pilot, lambda: app.tree.cursor_key == COMPARE)
        # Fix one failure, rerun the failures: exactly those two run.
        src = project / "tests" / "test_math.py"
        src.write_text(src.read_text().replace('"name": "grace"', '"name": "ada"'))
        before = dict(app.state.results)
        await pilot.press("f")
        await run_done(pilot, 2)
        assert set(app.state.last_run_ids) == DB_TESTS
        assert app.state.progress.done == 2
        assert app.state.results[COMPARE]["outcome"] == "passed"
        assert app.state.last_failures == ["tests/test_math.py::test_db_lookup"]
        # Tests outside the rerun keep their earlier results.
        passed = "tests/test_strings.py::test_upper"
        assert app.state.results[passed] == before[passed]
        # The noisy test's output is bounded and its markup-looking text literal.
        noisy = app.state.results["tests/test_strings.py::test_noisy_output"]["stdout"]
        assert len(noisy) < 40_000 and "[bold]not markup[/bold]" in noisy


@async_test
async def test_stop_a_run_shows_cancelled_tests(project):
    app = new_app(project, restore_session=False)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        app.tree.move_cursor(app.tree.by_key["tests/test_slow.py"])
        await pilot.press("r")
        await wait_for(pilot, lambda: "running" in app.state.status.values())
        assert app.state.progress.running
        await pilot.press("s")
        await run_done(pilot, 1)
        slow = [n.key for n in app.state.leaves if n.path == "tests/test_slow.py"]
        outcomes = {app.state.results[k]["outcome"] for k in slow}
        assert outcomes == {"cancelled"}, outcomes
        assert app.state.progress.interrupted
        assert not app.state.progress.running


@pytest.mark.parametrize("start", [".", "tests"])
@async_test
async def test_watch_mode_reruns_the_changed_file(project, start):
    app = new_app(project / start, restore_session=False, watch_delay_ms=100)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        app.tree.move_cursor(app.tree.by_key["tests/test_strings.py::test_upper"])
        await pilot.press("r")
        await run_done(pilot, 1)
        assert app.state.results["tests/test_strings.py::test_upper"]["outcome"] == "passed"
        await pilot.press("w")
        assert app.watching
        await wait_for(pilot, lambda: app.watch_armed)
        src = project / "tests" / "test_strings.py"
        src.write_text(src.read_text().replace('to_equal("ABC")', 'to_equal("ABD")'))
        await wait_for(pilot, lambda: app.run_serial >= 2)
        await run_done(pilot, 2)
        assert app.state.results["tests/test_strings.py::test_upper"]["outcome"] == "failed"
        # The whole changed file ran, nothing else.
        strings = {n.key for n in app.state.leaves if n.path == "tests/test_strings.py"}
        assert len(strings) > 1 and set(app.state.last_run_ids) == strings
        await pilot.press("w")
        assert not app.watching


def changed_repo(tmp_path: Path) -> Path:
    """`tests/fixtures/changed_project` committed in a fresh git repository
    (tests/test_a.py -> pkg/b.py -> pkg/c.py; tests/test_direct.py -> pkg/c.py;
    tests/test_other.py -> pkg/d.py)."""
    import subprocess

    root = copy_fixture("changed_project", tmp_path)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "init"]):
        subprocess.run(
            ["git", "-c", "user.email=t@t", "-c", "user.name=t", *args],
            cwd=root,
            check=True,
            capture_output=True,
        )
    return root


CHAIN = {"tests/test_a.py::test_a", "tests/test_direct.py::test_direct"}


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
@async_test
async def test_o_runs_only_what_the_working_trees_changes_affect(tmp_path):
    root = changed_repo(tmp_path)
    (root / "pkg/c.py").write_text("def c():\n    return 1\n\n\nX = 2\n")
    app = new_app(root, restore_session=False)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("o")
        await run_done(pilot, 1)
        # Through the two-level import chain; test_other imports only pkg.d.
        assert set(app.state.last_run_ids) == CHAIN
        assert all(app.state.results[i]["outcome"] == "passed" for i in CHAIN)


@async_test
async def test_o_outside_a_git_repository_says_so_and_runs_nothing(tmp_path, monkeypatch):
    root = copy_fixture("changed_project", tmp_path)
    # No repository above the copy either (tmp_path may sit inside one).
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    app = new_app(root, restore_session=False)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("o")
        await pilot.pause(0.2)
        assert app.active_run is None and app.run_serial == 0
        assert any("git" in str(n.message) for n in app._notifications)


@async_test
async def test_watch_mode_reruns_the_importers_of_a_changed_module(tmp_path):
    root = copy_fixture("changed_project", tmp_path)
    app = new_app(root, restore_session=False, watch_delay_ms=100)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("w")
        await wait_for(pilot, lambda: app.watch_armed)
        (root / "pkg/c.py").write_text("def c():\n    return 1\n\n\nX = 2\n")
        await wait_for(pilot, lambda: app.run_serial >= 1)
        await run_done(pilot, 1)
        assert set(app.state.last_run_ids) == CHAIN
        await pilot.press("w")


@async_test
async def test_session_is_restored_when_reopened(project):
    app = new_app(project)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        app.tree.move_cursor(app.tree.by_key["tests/test_strings.py::test_upper"])
        await pilot.press("space", "r")
        await run_done(pilot, 1)
        await filtered(pilot, "str")
        await pilot.press("q")
    assert (project / ".dbtest" / "tui.json").is_file()
    again = new_app(project)
    async with again.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await wait_for(pilot, lambda: again.state.visible is not None)
        assert again.state.selected == {"tests/test_strings.py::test_upper"}
        assert again.query_one("#filter-input", Input).value == "str"
        assert again.state.results["tests/test_strings.py::test_upper"]["outcome"] == "passed"
        assert visible_leaves(again) == {
            n.key for n in again.state.leaves if n.path == "tests/test_strings.py"
        }


# Started in a subdirectory, the tree's paths are still the project root's.
@pytest.mark.parametrize("start", [".", "tests"])
@async_test
async def test_e_opens_the_editor_at_the_line(project, tmp_path, monkeypatch, start):
    log = tmp_path / "editor.log"
    script = tmp_path / "fake_editor.py"
    script.write_text(f"import sys\nopen({str(log)!r}, 'w').write(' '.join(sys.argv[1:]))\n")
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    app = new_app(project / start, restore_session=False)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        app.tree.move_cursor(app.tree.by_key[COMPARE])
        await pilot.press("e")
        await wait_for(pilot, log.exists)
    assert log.read_text() == f"+14 {project / 'tests' / 'test_math.py'}"


@async_test
async def test_help_screen_and_command_palette_list_every_action(project):
    app = new_app(project, restore_session=False)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen))
        titles = " | ".join(c.title for c in app.get_system_commands(app.screen))
        for phrase in (
            "Run the selection",
            "Rerun the failures",
            "Watch mode",
            "Pick tags",
            "Stop the run",
        ):
            assert phrase in titles
        # Collection errors are visible nodes.
        assert app.state.nodes["tests/test_broken.py"].kind == "error"
        assert "tests/test_broken.py" in app.tree.by_key


@async_test
async def test_crashes_hangs_and_floods_show_as_outcomes_and_the_ui_survives(tmp_path):
    root = copy_fixture("tui_faults", tmp_path)
    app = new_app(root, restore_session=False)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("a")
        await run_done(pilot, 1)
        outcomes = {k.split("::")[-1]: r["outcome"] for k, r in app.state.results.items()}
        assert outcomes == {
            "test_fine": "passed",
            "test_crashes": "crashed",
            "test_hangs": "timeout",
            "test_floods": "passed",
        }
        flood = app.state.results["tests/test_faults.py::test_floods"]["stdout"]
        assert len(flood) < 2_200_000  # bounded in memory
        # The UI still answers: jump to a failure and read its details.
        await pilot.press("n")
        await wait_for(pilot, lambda: app.tree.cursor_key is not None)
        text = details_text(app)
        assert "crashed" in text or "timeout" in text
        # Escapes from the flood are shown as text if displayed, never executed.
        assert "\x1b[2J" not in text


@async_test
async def test_clearing_a_filter_brings_rows_back_as_they_were(project):
    app = new_app(project, restore_session=False)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        tree = app.tree
        # A small project opens expanded; the rows a filter hides keep that.
        assert tree.by_key["tests/test_math.py::Arithmetic"].is_expanded
        await filtered(pilot, "upper")
        assert "tests/test_math.py" not in tree.by_key
        await filtered(pilot, "")
        await wait_for(pilot, lambda: "tests/test_math.py" in tree.by_key)
        assert tree.by_key["tests/test_math.py"].is_expanded
        assert tree.by_key["tests/test_math.py::Arithmetic"].is_expanded


@async_test
async def test_details_follow_the_cursor_when_a_filter_hides_its_row(project):
    app = new_app(project, restore_session=False)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        tree = app.tree
        tree.move_cursor(tree.by_key["tests/test_strings.py::test_split"])
        await pilot.pause()
        assert app.details.key == "tests/test_strings.py::test_split"
        # Typing in the filter bar, the tree never gets a highlight event.
        await pilot.press("slash", *"upper")
        await wait_for(pilot, lambda: app.state.filter_text == "upper")
        await wait_for(pilot, lambda: "tests/test_strings.py::test_split" not in tree.by_key)
        await pilot.pause(0.2)
        assert tree.cursor_key is not None
        assert app.details.key == tree.cursor_key


@async_test
async def test_a_suite_row_points_at_its_class_line(project):
    app = new_app(project, restore_session=False)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        assert app.state.nodes["tests/test_math.py::Arithmetic"].line == 4


@async_test
async def test_r_runs_only_what_the_filter_shows_of_the_selection(project):
    app = new_app(project, restore_session=False)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        # Select the whole strings file, then narrow the view to one test of it.
        app.tree.move_cursor(app.tree.by_key["tests/test_strings.py"])
        await pilot.press("space")
        assert len(app.state.selected) > 1
        await filtered(pilot, "upper")
        await pilot.press("r")
        await run_done(pilot, 1)
        assert set(app.state.last_run_ids) == {"tests/test_strings.py::test_upper"}
        # A selection the filter hides entirely runs nothing.
        await filtered(pilot, "test_math")
        await pilot.press("r")
        await pilot.pause(0.3)
        assert app.run_serial == 1


@async_test
async def test_filters_ask_the_held_discovery_and_ctrl_r_discovers_again(project):
    app = new_app(project, restore_session=False)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        held = app.discovery
        (project / "tests" / "test_new.py").write_text("def test_upper_new():\n    pass\n")
        # A keystroke asks the discovery the engine holds: no walk, so the
        # new file is not seen yet.
        await filtered(pilot, "upper")
        assert visible_leaves(app) == {"tests/test_strings.py::test_upper"}
        assert app.discovery is held
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.discovery is not held)
        await wait_for(pilot, lambda: "tests/test_new.py::test_upper_new" in visible_leaves(app))
        assert visible_leaves(app) == {
            "tests/test_strings.py::test_upper",
            "tests/test_new.py::test_upper_new",
        }
