"""Samples spread over several fresh processes (dbtest.benchmark.processes):
one result per entry with the samples of every round, calibration reused,
crashes and hook failures reported once; and the settings behind it."""

import asyncio
import math
import os

import pytest

from dbtest.benchmark.group import BenchmarkGroup
from dbtest.benchmark.measure import DEFAULTS, QUICK, Settings
from dbtest.benchmark.runner import run_bench_unit, settings_for

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "fixtures", "bench_processes"))
P = "bench_procs.py::"


def run(ids, log, **options):
    out = []
    request = {"op": "run", "kind": "bench", "unit": 1, "path": "bench_procs.py", "ids": ids}
    # Tiny time: every round stops at its share of min_samples exactly.
    request["bench"] = {"time": 1e-6, "warmup": 0.0, **options}
    old = os.environ.get("DBTEST_PROCS_LOG")
    os.environ["DBTEST_PROCS_LOG"] = str(log)
    try:
        asyncio.run(run_bench_unit(ROOT, request, out.append))
    finally:
        if old is None:
            del os.environ["DBTEST_PROCS_LOG"]
        else:
            os.environ["DBTEST_PROCS_LOG"] = old
    return out


def events(log):
    return [line.split() for line in log.read_text().splitlines()]


@pytest.fixture(scope="module")
def three_rounds(tmp_path_factory):
    log = tmp_path_factory.mktemp("procs") / "log.txt"
    ids = [
        P + "procs::small",
        P + "procs::async small",
        P + "crashes::crash",
        P + "crashes::after crash",
    ]
    out = run(ids, log, processes=3, min_samples=6)
    return out, events(log)


def test_one_result_per_entry_with_samples_from_every_process(three_rounds):
    out, log = three_rounds
    results = [m for m in out if m["ev"] == "bench_result"]
    assert [r["id"] for r in results] == [
        P + "procs::small",
        P + "procs::async small",
        P + "crashes::crash",
        P + "crashes::after crash",
    ]
    # The worker imports the file once to select entries; each round is a
    # fresh process that imports it, runs setup, measures and tears down.
    me = str(os.getpid())
    rounds = [pid for ev, pid in log if ev == "setup"]
    assert len(rounds) == 3 and len(set(rounds)) == 3 and me not in rounds
    # The crash was in another group's rounds: this group's all tore down.
    assert [pid for ev, pid in log if ev == "teardown"] == rounds
    for rid in (P + "procs::small", P + "procs::async small"):
        r = next(m for m in results if m["id"] == rid)
        assert r["error"] is None and r["calls_per_sample"] >= 1
        # 6 samples over 3 processes: exactly 2 from each round, each sample
        # with its process and its round there.
        assert len(r["samples"]) == 6 and all(s > 0 for s in r["samples"])
        assert r["process"] == [0, 0, 1, 1, 2, 2] and r["rounds"] == [0, 1] * 3


def seeds_by_round(log):
    """The hash seed each round's process ran with, in round order."""
    rounds = [pid for ev, pid in log if ev == "setup"]
    seed = {pid: ev.removeprefix("seed-") for ev, pid in log if ev.startswith("seed-")}
    return [seed[pid] for pid in rounds]


def test_round_r_runs_with_hash_seed_r_plus_1_in_every_run(three_rounds):
    # The same layouts in every run: runs differ by the code, not the seeds.
    _, log = three_rounds
    assert seeds_by_round(log) == ["1", "2", "3"]


def test_a_hash_seed_the_user_set_is_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONHASHSEED", "7")
    log = tmp_path / "log.txt"
    run([P + "procs::small"], log, processes=2, min_samples=2)
    assert seeds_by_round(events(log)) == ["7", "7"]


def test_progress_counts_samples_across_rounds_and_is_done_once(three_rounds):
    out, _ = three_rounds
    progress = [m for m in out if m["ev"] == "bench_progress" and m["id"] == P + "procs::small"]
    assert [m["phase"] for m in progress].count("done") == 1
    assert progress[-1]["phase"] == "done" and progress[-1]["samples"] == 6
    # The later rounds reuse the first round's calls per sample: no calibration.
    assert [m["phase"] for m in progress].count("calibrating") == 1


def test_a_crashing_process_fails_its_entry_not_the_others(three_rounds):
    out, log = three_rounds
    results = {m["id"]: m for m in out if m["ev"] == "bench_result"}
    crash = results[P + "crashes::crash"]
    assert crash["samples"] == [] and crash["calls_per_sample"] == 0
    assert crash["error"].startswith("the measuring process (round 1 of 3) exited with code 3")
    # Never reached in round 1; measured by rounds 2 and 3 (2 samples each).
    after = results[P + "crashes::after crash"]
    assert after["error"] is None and len(after["samples"]) == 4


def test_a_failing_teardown_is_reported_once_not_once_per_round(tmp_path):
    out = run([P + "bad teardown"], tmp_path / "log.txt", processes=3, min_samples=3)
    errors = [m for m in out if m["ev"] == "run_error"]
    assert len(errors) == 1 and "teardown exploded" in errors[0]["message"]
    (fine,) = [m for m in out if m["ev"] == "bench_result"]
    assert fine["error"] is None and len(fine["samples"]) == 3


def test_one_process_measures_in_the_worker_itself(tmp_path):
    log = tmp_path / "log.txt"
    out = run([P + "procs::small"], log, processes=1, min_samples=2)
    (r,) = [m for m in out if m["ev"] == "bench_result"]
    assert r["error"] is None and len(r["samples"]) == 2
    assert {pid for _, pid in events(log)} == {str(os.getpid())}


def test_default_settings_values():
    assert DEFAULTS == Settings(
        time=0.5, min_samples=20, warmup=0.02, sample_time=0.001, gc=False, processes=10
    )
    assert QUICK.processes == 1 and QUICK.time == 0.1 and QUICK.min_samples == 10


def test_per_process_share_splits_time_and_count_not_warmup():
    share = DEFAULTS.per_process()
    assert share.processes == 1
    assert share.time == pytest.approx(DEFAULTS.time / DEFAULTS.processes)
    assert share.min_samples == math.ceil(DEFAULTS.min_samples / DEFAULTS.processes)
    assert share.warmup == DEFAULTS.warmup
    odd = Settings(min_samples=7, processes=3).per_process()
    assert odd.min_samples == 3  # never fewer than asked in total


def test_processes_precedence_and_validation():
    g = BenchmarkGroup("g", processes=2)
    assert settings_for(g, {}).processes == 2
    assert settings_for(g, {"processes": 4}).processes == 4
    assert settings_for(g, {"quick": True}).processes == 2  # the group's own choice stays
    assert settings_for(BenchmarkGroup("h"), {"quick": True}).processes == 1
    with pytest.raises(ValueError, match="processes must be an integer >= 1"):
        BenchmarkGroup("bad", processes=0)


def test_a_file_that_fails_to_import_in_the_rounds_fails_every_entry(tmp_path, monkeypatch):
    # The worker imports it (it is the pid named); fresh processes cannot.
    monkeypatch.setenv("DBTEST_PROCS_IMPORT_ONLY_IN", str(os.getpid()))
    out = run([P + "procs::small", P + "procs::async small"], tmp_path / "log.txt", processes=2)
    results = [m for m in out if m["ev"] == "bench_result"]
    assert len(results) == 2
    for r in results:
        assert r["samples"] == [] and "not importable in a fresh process" in r["error"]


def test_cancelling_the_worker_kills_the_running_round(tmp_path, monkeypatch):
    log = tmp_path / "log.txt"
    monkeypatch.setenv("DBTEST_PROCS_LOG", str(log))
    request = {
        "op": "run",
        "kind": "bench",
        "path": "bench_procs.py",
        "ids": [P + "procs::small"],
        "bench": {"time": 600.0, "warmup": 0.0, "processes": 2},
    }

    async def main():
        task = asyncio.ensure_future(run_bench_unit(ROOT, request, lambda m: None))
        # Wait (bounded by the round's 300 s share) until the round is measuring.
        while not (log.exists() and "setup" in log.read_text()):
            await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    (pid,) = [int(p) for ev, p in events(log) if ev == "setup"]
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # killed and reaped, not left running


def test_config_settings_rank_below_the_group_and_the_command_line():
    config = {"config": {"time": 2.0, "min_samples": 50, "warmup": 0.1}}
    plain = settings_for(BenchmarkGroup("plain"), config)
    assert (plain.time, plain.min_samples, plain.warmup) == (2.0, 50, 0.1)
    own = settings_for(BenchmarkGroup("own", time=0.3, min_samples=7), config)
    assert (own.time, own.min_samples, own.warmup) == (0.3, 7, 0.1)
    cli = settings_for(BenchmarkGroup("own", time=0.3), {**config, "time": 0.05})
    assert cli.time == 0.05
    # --quick replaces the defaults and the config alike.
    quick = settings_for(BenchmarkGroup("q"), {**config, "quick": True})
    assert (quick.time, quick.min_samples) == (0.1, 10)
