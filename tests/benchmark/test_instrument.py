"""End to end: `dbtest bench --instrument instructions` counts instructions
under valgrind's callgrind, on a fixture whose entries do known multiples of
the same work; the error paths (no valgrind, an unknown instrument, a
baseline of the other instrument) are one line and exit code 4.

Runs that count need valgrind: without it they are skipped, and say why."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dbtest import _core
from dbtest.cli import exit_codes

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE = os.path.join(REPO, "tests", "fixtures", "bench_instructions")
DBTEST = os.path.join(os.path.dirname(sys.executable), "dbtest")
COUNT = ["--instrument", "instructions"]

needs_valgrind = pytest.mark.skipif(
    shutil.which("valgrind") is None,
    reason="valgrind is not installed (apt-get install valgrind): "
    "the instruction-count mode cannot run here",
)


def dbtest(cwd, *args, path=None):
    env = dict(os.environ, COLUMNS="160", NO_COLOR="1")
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [DBTEST, "bench", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=600
    )


@pytest.fixture
def project(tmp_path):
    shutil.copytree(FIXTURE, tmp_path, dirs_exist_ok=True)
    return tmp_path


def medians(report_path):
    report = json.loads(report_path.read_text())
    return {b["name"]: b for b in report["benchmarks"]}


@needs_valgrind
def test_twice_the_work_counts_twice_the_instructions(project):
    r = dbtest(project, *COUNT, "--json", "out.json", "--markdown", "out.md")
    assert r.returncode == exit_codes.OK, r.stdout + r.stderr
    import jsonschema

    report = json.loads((project / "out.json").read_text())
    jsonschema.validate(
        report, json.loads((Path(REPO) / "docs" / "report-schema.json").read_text())
    )
    entries = medians(project / "out.json")
    assert {e["instrument"] for e in entries.values()} == {"instructions"}
    one, two = entries["one"], entries["two"]
    # sum(range(2000)) is some 300k instructions: a count, not nanoseconds.
    assert 50_000 < one["stats"]["median"] < 5_000_000
    # `speedup` is baseline / entry: two does twice the work.
    ratio = 1 / two["comparison"]["speedup"]
    assert 1.98 < ratio < 2.02, ratio
    assert two["comparison"]["significant"]
    same = 1 / entries["async one"]["comparison"]["speedup"]
    assert 0.97 < same < 1.05, same
    # Two processes of three counted batches each (the mode's defaults).
    assert len(one["samples"]) == 6
    assert "instr" in r.stdout and "2.00x more" in r.stdout
    assert "ops/s" not in r.stdout
    markdown = (project / "out.md").read_text()
    assert " instr |" in markdown and "instructions per call" in markdown


@needs_valgrind
def test_counts_repeat_across_runs_and_gate_on_a_saved_baseline(project):
    r = dbtest(project, *COUNT, "--quick", "--json", "a.json", "--save-baseline", "ci")
    assert r.returncode == exit_codes.OK, r.stdout + r.stderr
    saved = json.loads((project / ".dbtest" / "benchmarks" / "ci.json").read_text())
    assert saved["instrument"] == "instructions"

    r = dbtest(project, *COUNT, "--quick", "--json", "b.json", "--compare", "ci",
               "--fail-on-regression", "1%")  # fmt: skip
    assert r.returncode == exit_codes.OK, r.stdout + r.stderr
    first, second = medians(project / "a.json"), medians(project / "b.json")
    for name in first:
        a, b = first[name]["stats"]["median"], second[name]["stats"]["median"]
        assert abs(b / a - 1) < 0.005, (name, a, b)
    assert "REGRESSION" not in r.stdout

    # `two` now does three times the work: the gate fails on it alone.
    bench = project / "bench_work.py"
    bench.write_text(bench.read_text().replace("    _work()\n    _work()\n",
                                               "    _work()\n    _work()\n    _work()\n"))  # fmt: skip
    r = dbtest(project, *COUNT, "--quick", "--compare", "ci", "--fail-on-regression", "5%")
    assert r.returncode == exit_codes.TESTS_FAILED, r.stdout + r.stderr
    rows = [line for line in r.stdout.splitlines() if "REGRESSION" in line]
    assert len(rows) == 1 and rows[0].split()[0] == "two", r.stdout
    assert "+50.0%" in rows[0]


@needs_valgrind
def test_a_one_percent_change_in_instructions_is_a_difference(tmp_path):
    # The instrument's own default margin (±0.5%), not time's ±2% that would
    # call this "the same within noise".
    shutil.copytree(os.path.join(REPO, "tests", "fixtures", "bench_instructions_margin"), tmp_path,
                    dirs_exist_ok=True)  # fmt: skip
    r = dbtest(tmp_path, *COUNT, "--json", "out.json", "--markdown", "out.md")
    assert r.returncode == exit_codes.OK, r.stdout + r.stderr
    entries = medians(tmp_path / "out.json")
    plus, same = entries["plus 1%"]["comparison"], entries["same"]["comparison"]
    assert 1.005 < 1 / plus["speedup"] < 1.02, plus
    assert plus["margin"] == same["margin"] == 0.005
    assert plus["paired"] and plus["significant"] and not plus["equivalent"], plus
    assert plus["verdict"] == "slower", plus
    # Byte-identical code stays within the margin.
    assert same["verdict"] == "same", same
    assert "±0.5%" in r.stdout and "same within noise (±0.50%" in (tmp_path / "out.md").read_text()
    row = next(line for line in r.stdout.splitlines() if line.lstrip().startswith("plus 1%"))
    assert "1.01x more" in row and "*" in row, r.stdout

    # A margin given on the command line still wins.
    r = dbtest(tmp_path, *COUNT, "--bench-equivalence", "2%", "--json", "wide.json")
    assert r.returncode == exit_codes.OK, r.stdout + r.stderr
    wide = medians(tmp_path / "wide.json")["plus 1%"]["comparison"]
    assert wide["margin"] == 0.02 and wide["verdict"] == "same", wide


@needs_valgrind
@pytest.mark.parametrize(
    ("save", "compare", "saved", "current"),
    [([], COUNT, "time", "instructions"), (COUNT, [], "instructions", "time")],
)
def test_a_baseline_of_the_other_instrument_is_refused(project, save, compare, saved, current):
    r = dbtest(project, "--quick", "--bench-time", "0.02", *save, "--save-baseline", "other")
    assert r.returncode == exit_codes.OK, r.stdout + r.stderr
    r = dbtest(project, "--quick", *compare, "--compare", "other")
    assert r.returncode == exit_codes.USAGE_ERROR, r.stdout + r.stderr
    message = (
        f'dbtest: error: baseline "other" measured {saved}, this run measures {current}: '
        f"compare with a baseline saved with --instrument {current}"
    )
    assert r.stderr.strip() == message
    assert "Traceback" not in r.stdout + r.stderr


def test_without_valgrind_on_path_is_a_one_line_error(project, tmp_path_factory):
    empty = tmp_path_factory.mktemp("no-valgrind")
    r = dbtest(project, *COUNT, path=str(empty))
    assert r.returncode == exit_codes.USAGE_ERROR, r.stdout + r.stderr
    assert r.stderr.strip() == (
        "dbtest: error: --instrument instructions needs valgrind (callgrind), which is not "
        "on PATH: install it (apt-get install valgrind) or measure time"
    )
    assert "Traceback" not in r.stdout + r.stderr


def test_an_unknown_instrument_is_a_one_line_error(project):
    r = dbtest(project, "--instrument", "cycles")
    assert r.returncode == exit_codes.USAGE_ERROR, r.stdout + r.stderr
    assert r.stderr.strip() == (
        'dbtest: error: unknown --instrument "cycles": expected time or instructions'
    )


def test_client_requests_do_nothing_outside_valgrind(tmp_path):
    # Natively the magic sequence is a no-op returning the default.
    assert _core.callgrind_running() == 0
    _core.callgrind_start_instrumentation()
    _core.callgrind_zero_stats()
    _core.callgrind_toggle_collect()
    _core.callgrind_toggle_collect()
    _core.callgrind_dump_stats_at("nothing")
    _core.callgrind_stop_instrumentation()
    with pytest.raises(ValueError, match="cannot read callgrind output"):
        _core.callgrind_totals(str(tmp_path / "callgrind.out.1.1"))
