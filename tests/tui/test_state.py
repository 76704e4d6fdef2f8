"""The TUI's pure model: tree building, tri-state selection, counts, events,
bounded output, dynamic tests and the session file."""

from __future__ import annotations

import json

from dbtest.tui.state import (
    KEEP_STREAM,
    LIVE_OUTPUT_LIMIT,
    TuiState,
    load_session,
    save_session,
)

from .helpers import FIXTURES, discover, items_of, record

# The engine's tree of a fixture: a.py (a suite with tags, a plain and a
# parametrized test), b.py (a benchmark group), c.py (a syntax error).
TREE = discover(FIXTURES / "tui_model").tree
ITEMS = items_of(TREE)


def make() -> TuiState:
    s = TuiState()
    s.load(TREE)
    return s


def test_tree_groups_files_suites_params_and_errors():
    s = make()
    assert [n.key for n in s.root.children] == ["a.py", "b.py", "c.py"]
    a = s.nodes["a.py"]
    assert [c.key for c in a.children] == ["a.py::Suite", "a.py::test_free", "a.py::test_p"]
    assert s.nodes["a.py::test_p"].kind == "function"
    assert [c.name for c in s.nodes["a.py::test_p"].children] == ["[1]", "[2]"]
    assert s.nodes["b.py::g"].kind == "group"
    assert s.nodes["c.py"].kind == "error" and s.nodes["c.py"].line == 3
    assert s.nodes["c.py"].error == "syntax error: '(' was never closed"
    assert s.leaf_count["a.py"] == 5 and s.leaf_count[""] == 6
    # A suite row has its class's line and tags.
    assert s.nodes["a.py::Suite"].tags == ["db"] and s.nodes["a.py::Suite"].line == 4


def test_toggle_file_selects_children_and_parents_show_tri_state():
    s = make()
    changed = s.toggle(s.nodes["a.py::Suite"])
    assert s.selected == {"a.py::Suite::test_one", "a.py::Suite::test_two"}
    assert "a.py" in changed and "" in changed
    assert s.selection_state(s.nodes["a.py::Suite"]) == "all"
    assert s.selection_state(s.nodes["a.py"]) == "some"
    assert s.selection_state(s.nodes["b.py"]) == "none"
    s.toggle(s.nodes["a.py"])  # partly selected: selects the rest
    assert s.selection_state(s.nodes["a.py"]) == "all"
    s.toggle(s.nodes["a.py"])  # fully selected: clears
    assert s.selected == set()
    assert s.selection_state(s.nodes["a.py::Suite"]) == "none"


def test_toggle_under_filter_only_touches_visible_leaves():
    s = make()
    s.set_visible(["a.py::Suite::test_one", "a.py::test_free"])
    assert s.is_visible(s.nodes["a.py"]) and not s.is_visible(s.nodes["b.py"])
    assert s.is_visible(s.nodes["c.py"])  # collection errors stay in view
    s.toggle(s.nodes["a.py"])
    assert s.selected == {"a.py::Suite::test_one", "a.py::test_free"}


def run_events(ids, outcomes):
    return [
        {
            "type": "run_started",
            "selected": [i for i in ITEMS if i["id"] in ids],
            "collection_errors": [],
            "workers": 2,
        },
        *[
            ev
            for rid, out in zip(ids, outcomes, strict=True)
            for ev in (
                {"type": "test_started", "id": rid, "worker": 0, "attempt": 1},
                {
                    "type": "test_finished",
                    "record": record(rid, out, message="boom" if out == "failed" else None),
                },
            )
        ],
        {
            "type": "run_finished",
            "summary": {"total": len(ids)},
            "duration": 1.0,
            "interrupted": False,
        },
    ]


def test_events_update_status_counts_and_failures():
    s = make()
    ids = ["a.py::Suite::test_one", "a.py::Suite::test_two", "a.py::test_free"]
    ch = s.apply(run_events(ids, ["passed", "failed", "skipped"]), now=10.0)
    assert ch.started and ch.finished and set(ids) <= ch.ids
    assert s.node_status(s.nodes["a.py::Suite::test_two"]) == "failed"
    assert s.counts(s.nodes["a.py"]) == {"passed": 1, "failed": 1, "skipped": 1}
    assert s.counts(s.nodes["a.py::Suite"])["failed"] == 1
    assert s.last_failures == ["a.py::Suite::test_two"]
    assert [n.key for n in s.failures()] == ["a.py::Suite::test_two"]
    assert s.progress.done == 3 and not s.progress.running
    # A rerun of the failure replaces its result; counts never double.
    s.apply(run_events(["a.py::Suite::test_two"], ["passed"]))
    assert s.counts(s.nodes["a.py"]) == {"passed": 2, "failed": 0, "skipped": 1}
    assert s.last_failures == [] and s.failures() == []


def test_a_running_test_is_queued_then_running_and_output_is_bounded():
    s = make()
    rid = "a.py::test_free"
    s.apply(run_events([rid], ["passed"])[:2])
    assert s.node_status(s.nodes[rid]) == "running"
    assert s.progress.busy == {0: rid}
    s.apply([{"type": "output", "id": rid, "stream": "stdout", "data": "x" * 50_000}] * 5)
    assert len(s.live[rid]["stdout"]) == LIVE_OUTPUT_LIMIT
    big = record(rid, "passed", stdout="y" * (KEEP_STREAM * 3))
    s.apply([{"type": "test_finished", "record": big}])
    assert len(s.results[rid]["stdout"]) < KEEP_STREAM + 100


def test_stopped_run_marks_unfinished_tests_cancelled():
    s = make()
    ids = ["a.py::Suite::test_one", "a.py::Suite::test_two"]
    evs = run_events(ids, ["passed", "passed"])
    s.apply(evs[:3])  # started, test_one started+finished
    s.apply([{"type": "run_finished", "summary": {}, "duration": 1, "interrupted": True}])
    assert s.results["a.py::Suite::test_two"]["outcome"] == "cancelled"
    assert s.progress.interrupted
    assert s.counts(s.nodes["a.py::Suite"]) == {"passed": 1, "cancelled": 1}


def test_records_for_tests_discovery_could_not_see_get_nodes():
    s = make()
    ch = s.apply([{"type": "test_finished", "record": record("a.py::test_p[3]", "passed")}])
    assert ch.structure
    node = s.nodes["a.py::test_p[3]"]
    assert node.parent is s.nodes["a.py::test_p"] and node.name == "[3]"
    assert s.leaf_count["a.py"] == 6
    ch = s.apply([{"type": "test_finished", "record": record("new.py::Base::test_x", "failed")}])
    assert s.nodes["new.py::Base::test_x"].parent is s.nodes["new.py"]
    assert [n.key for n in s.failures()] == ["new.py::Base::test_x"]


def test_bench_events_are_kept_per_entry():
    s = make()
    rid = "b.py::g::fast"
    s.apply([{"type": "bench_progress", "id": rid, "phase": "sampling", "samples": 7}])
    assert s.bench_progress[rid] == ("sampling", 7)
    s.apply(
        [
            {
                "type": "bench_finished",
                "result": {
                    "id": rid,
                    "is_baseline": True,
                    "samples": [1.0] * 5000,
                    "stats": {"mean": 1e-6},
                },
            }
        ]
    )
    assert rid not in s.bench_progress and len(s.bench[rid]["samples"]) == 2000


def test_the_tui_shows_escapes_instead_of_executing_them():
    # The engine's rule (`_core.clean`), as every report applies it.
    from dbtest._core import clean

    assert clean("a\x1b[31mred\x1b[0m\tb\nc\r\n") == "a\\x1b[31mred\\x1b[0m\tb\nc\n"
    assert clean("\x07\x9b\ufffe") == "\\x07\\x9b\\ufffe"
    plain = "nothing to change: é 😀"
    assert clean(plain) is plain


def test_session_round_trip_drops_unknown_ids(tmp_path):
    s = make()
    s.toggle(s.nodes["a.py::Suite"])
    s.filter_text = "-E tag(db)"
    s.tags = ["db"]
    s.apply(run_events(["a.py::test_free"], ["failed"]))
    save_session(tmp_path, s)
    data = load_session(tmp_path)
    assert json.loads((tmp_path / ".dbtest" / "tui.json").read_text())["version"] == 1
    data["selected"].append("gone.py::test_deleted")
    fresh = make()
    fresh.restore_session(data)
    assert fresh.selected == {"a.py::Suite::test_one", "a.py::Suite::test_two"}
    assert fresh.filter_text == "-E tag(db)" and fresh.tags == ["db"]
    assert fresh.node_status(fresh.nodes["a.py::test_free"]) == "failed"
    assert fresh.last_failures == ["a.py::test_free"]
    assert fresh.counts(fresh.nodes["a.py"])["failed"] == 1


def test_unreadable_session_is_ignored(tmp_path):
    (tmp_path / ".dbtest").mkdir()
    (tmp_path / ".dbtest" / "tui.json").write_text("{not json")
    assert load_session(tmp_path) == {}
    s = make()
    s.restore_session({"version": 999, "selected": ["a.py::test_free"]})
    assert s.selected == set()


def test_slow_marks_the_running_row_and_a_slow_phase_shows_until_its_worker_moves_on():
    from dbtest.tui.status_bar import progress_text
    from dbtest.tui.tree import leaf_note

    s = make()
    tid = "a.py::test_free"
    s.apply(
        [{"type": "run_started", "selected": [i for i in ITEMS if i["id"] == tid], "workers": 2}]
    )
    s.apply([{"type": "test_started", "id": tid, "worker": 0, "attempt": 1}])
    s.apply([{"type": "slow", "worker": 0, "what": tid, "seconds": 60.0}])
    s.apply([{"type": "slow", "worker": 1, "what": "setup_suite b.py::S", "seconds": 120.0}])
    assert leaf_note(s, s.nodes[tid], "running") == ("  SLOW 60s", "bold yellow")
    assert "SLOW 120s setup_suite b.py::S" in progress_text(s.progress, False).plain
    # A test starting on worker 1 means its phase is over.
    s.apply([{"type": "test_started", "id": "a.py::Suite::test_one", "worker": 1, "attempt": 1}])
    assert "SLOW 60s a.py::test_free" in progress_text(s.progress, False).plain
