"""Small pure pieces: editor command lines, the watcher, filter parsing, formatting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dbtest.tui.editor import editor_command
from dbtest.tui.filter_bar import parse_filter
from dbtest.tui.tree import format_duration
from dbtest.tui.watch import Watcher


def test_editor_command_conventions():
    assert editor_command("t.py", 12, "vim") == ["vim", "+12", "t.py"]
    assert editor_command("t.py", 12, "nano") == ["nano", "+12", "t.py"]
    assert editor_command("t.py", 12, "emacs -nw") == ["emacs", "-nw", "+12", "t.py"]
    assert editor_command("t.py", 12, "code --wait") == ["code", "--wait", "-g", "t.py:12"]
    assert editor_command("t.py", 3, "/usr/bin/subl") == ["/usr/bin/subl", "t.py:3"]
    assert editor_command("t.py", 0, "vi") == ["vi", "+1", "t.py"]


def test_editor_from_environment(monkeypatch):
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", "nvim")
    assert editor_command("x.py", 5) == ["nvim", "+5", "x.py"]
    monkeypatch.setenv("VISUAL", "code")
    assert editor_command("x.py", 5)[0:2] == ["code", "-g"]


def next_batch(w: Watcher) -> list[str]:
    # Generous: the test waits for the operating system's event, it does not time it.
    for _ in range(120):
        batch = w.wait(0.5)
        if batch:
            return batch
    raise AssertionError("no change seen")


def test_watcher_gives_added_modified_and_removed_files_in_batches(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    (tmp_path / ".venv").mkdir()
    (tmp_path / "htmlcov").mkdir()
    w = Watcher(tmp_path, 100, outputs=[str(tmp_path / "htmlcov")])
    assert w.wait(0) == []
    (tmp_path / ".venv" / "skip.py").write_text("")
    (tmp_path / "htmlcov" / "index.html").write_text("")
    (tmp_path / "pkg" / "a.py").write_text("x = 22\n")
    (tmp_path / "b.py").write_text("")
    (tmp_path / "notes.txt").write_text("")
    assert next_batch(w) == ["b.py", "notes.txt", "pkg/a.py"]
    (tmp_path / "b.py").unlink()
    # A removed module stays a change: what imported it is affected.
    assert next_batch(w) == ["b.py"]


def test_parse_filter():
    assert parse_filter("") == (None, None)
    assert parse_filter("  users ") == ("users", None)
    assert parse_filter("-E tag(db) & !tag(slow)") == (None, "tag(db) & !tag(slow)")
    assert parse_filter("-E 'tag(db)'") == (None, "tag(db)")
    assert parse_filter("-E") == (None, None)


def test_formatting():
    assert format_duration(0.0000123) == "12µs"
    assert format_duration(0.5) == "500ms"
    assert format_duration(75) == "1m15s"


def test_benchmarks_show_the_median_and_interval_the_console_shows():
    from rich.console import Console

    from dbtest.benchmark.console import group_table
    from dbtest.tui.details import bench_chart, bench_table
    from dbtest.tui.state import Node, TuiState
    from dbtest.tui.tree import leaf_note

    stats = {
        "mean": 2e-3,
        "median": 1.5e-3,
        "ci_low": 1.4e-3,
        "ci_high": 1.6e-3,
        "stddev": 1e-3,
        "ops_per_sec": 500.0,
        "samples": 30,
    }
    result = {"id": "b.py::g::fast", "name": "fast", "stats": stats, "samples": [1.5e-3] * 5}
    state = TuiState()
    node = Node(key=result["id"], kind="bench", name="fast")
    state.nodes[node.key] = node
    state.bench[node.key] = result

    def text(renderable) -> str:
        console = Console(width=160, record=True)
        console.print(renderable)
        return console.export_text()

    console_table = text(group_table("b.py", "g", [result]))
    for shown in (text(bench_table(state, [node])), text(bench_chart(state, [node]))):
        assert "1.50 ms" in shown and "2.00 ms" not in shown
    assert "1.40–1.60 ms" in console_table and "1.40–1.60 ms" in text(bench_table(state, [node]))
    assert "500.0" in console_table and "500.0" in text(bench_table(state, [node]))
    assert leaf_note(state, node, "passed") == ("  1.50 ms", "dim")


def test_tui_without_a_terminal_exits_4_with_one_line(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "dbtest", "tui"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        timeout=60,
    )
    assert proc.returncode == 4
    assert proc.stderr == (
        "dbtest: error: dbtest tui needs a terminal; in CI, run dbtest --headless instead\n"
    )
    assert proc.stdout == ""
