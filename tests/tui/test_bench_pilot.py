"""Pilot tests of benchmarks in the TUI, against the REAL runner: the
command line's bench options (`dbtest tui --instrument instructions`) go
into every run, and the group's details show what was measured.

Counting instructions needs valgrind: without it the test is skipped, and
says why."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dbtest.cli import UsageError
from dbtest.cli.tui_cmd import run_options
from dbtest.options import Values
from dbtest.tui.app import DbtestApp

from .helpers import async_test, copy_fixture, wait_for
from .test_pilot import SIZE, details_text, loaded, run_done

GROUP = "bench_margin.py::margin"

needs_valgrind = pytest.mark.skipif(
    shutil.which("valgrind") is None,
    reason="valgrind is not installed (apt-get install valgrind): "
    "the instruction-count mode cannot run here",
)


def test_the_command_lines_bench_options_go_into_every_run():
    a = Values("tui", instrument="time", bench_time=2.0, quick=True, workers=3, pattern="x")
    # The filter bar owns the pattern and the app its workers.
    assert run_options(a) == {"instrument": "time", "bench_time": 2.0, "quick": True}
    assert run_options(Values("tui")) == {}


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"instrument": "cycles"}, 'unknown --instrument "cycles": expected time or instructions'),
        ({"bench_equivalence": "lots"}, 'invalid equivalence margin "lots": expected e.g. 5% or 5'),
        ({"bench_time": 0.0}, "--bench-time must be a number above 0, not 0"),
    ],
)
def test_bench_options_the_engine_would_refuse_are_refused_before_the_tui_starts(given, message):
    with pytest.raises(UsageError) as e:
        run_options(Values("tui", **given))
    assert str(e.value) == message


def test_counting_without_valgrind_is_refused_before_the_tui_starts(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UsageError, match="needs valgrind"):
        run_options(Values("tui", instrument="instructions"))


@needs_valgrind
@async_test
async def test_a_group_counted_in_instructions_shows_counts_and_paired_ratios(tmp_path: Path):
    root = copy_fixture("bench_instructions_margin", tmp_path)
    options = run_options(Values("tui", instrument="instructions"))
    app = DbtestApp(root, workers=1, restore_session=False, persist=False, run_options=options)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        app.tree.move_cursor(app.tree.by_key[GROUP])
        await pilot.press("a")
        await run_done(pilot, 1)
        results = {app.state.nodes[k].name: r for k, r in app.state.bench.items()}
        assert {r.get("instrument") for r in results.values()} == {"instructions"}
        plus = results["plus 1%"]["comparison"]
        # The instrument's margin (±0.5%): a 1% change is a difference.
        assert plus["margin"] == 0.005 and plus["verdict"] == "slower", plus
        await wait_for(pilot, lambda: app.details.key == GROUP)
        app.details.show(GROUP)
        text = details_text(app)
    assert "ops/s" not in text, text
    # The statistics table's rows (the chart below has no column rules).
    rows = {line.split()[0]: line for line in text.splitlines() if " instr │" in line}
    # Instructions per call, and the paired ratio with its interval and verdict.
    assert "1.01x more (1.01–1.01) *" in rows["plus"], text
    assert rows["same"].rstrip().endswith("≈"), text
    assert "(baseline)" in rows["base"] and "instr" in rows["base"], text
