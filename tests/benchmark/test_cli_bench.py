"""End to end: `dbtest bench` on the example group, in every format, and the
baseline round trip with the regression gate."""

import json
import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(REPO, "examples", "benchmarks", "bench_serialization.py")
DBTEST = os.path.join(os.path.dirname(sys.executable), "dbtest")
FAST = ["--quick", "--bench-time", "0.02", "--bench-warmup", "0"]


def dbtest(cwd, *args):
    env = dict(os.environ, COLUMNS="140", NO_COLOR="1")
    return subprocess.run(
        [DBTEST, "bench", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300
    )


@pytest.fixture
def project(tmp_path):
    shutil.copy(EXAMPLE, tmp_path / "bench_serialization.py")
    return tmp_path


def test_console_json_markdown_junit(project):
    r = dbtest(
        project,
        *FAST,
        "--bench-memory",
        "--json",
        "out.json",
        "--markdown",
        "out.md",
        "--junit",
        "out.xml",
    )
    assert r.returncode == 0, r.stderr
    assert "5x faster" in r.stdout or "x faster" in r.stdout
    assert "serialize one record" in r.stdout
    report = json.loads((project / "out.json").read_text())
    entries = {b["id"].split("::")[-1]: b for b in report["benchmarks"]}
    assert set(entries) == {
        "json",
        "pickle",
        "marshal",
        "repr",
        "json (async source)",
        "json batch[n=1]",
        "json batch[n=4]",
    }
    pickle = entries["pickle"]
    assert pickle["stats"]["samples"] == len(pickle["samples"]) >= 10
    assert pickle["comparison"]["against"].endswith("::json")
    # pickle is several times faster than json on any machine.
    assert pickle["comparison"]["speedup"] > 1.5 and pickle["comparison"]["significant"]
    assert entries["json"]["is_baseline"] and "comparison" not in entries["json"]
    # --bench-memory: the 4-record batch allocates more than the 1-record one.
    assert entries["json batch[n=4]"]["memory_peak"] > entries["json batch[n=1]"]["memory_peak"] > 0
    assert "xychart-beta" in (project / "out.md").read_text()
    assert (project / "out.xml").read_text().startswith("<?xml")


def test_baseline_round_trip_and_regression_gate(project):
    r = dbtest(project, *FAST, "--save-baseline", "main")
    assert r.returncode == 0, r.stderr
    saved = json.loads((project / ".dbtest" / "benchmarks" / "main.json").read_text())
    assert saved["name"] == "main" and saved["machine"]["cpu_count"] >= 1
    assert len(saved["entries"]) == 7

    # Make one entry 10x slower: the gate must fail and name it, only it.
    path = project / "bench_serialization.py"
    source = path.read_text()
    slow = source.replace(
        "    pickle.dumps(RECORD, protocol=pickle.HIGHEST_PROTOCOL)\n",
        "    for _ in range(10):\n        pickle.dumps(RECORD, protocol=pickle.HIGHEST_PROTOCOL)\n",
    )
    assert slow != source
    path.write_text(slow)
    r = dbtest(project, *FAST, "--compare", "main", "--fail-on-regression", "50%")
    assert r.returncode == 1, r.stdout + r.stderr
    out = r.stdout + r.stderr
    assert "REGRESSION" in out and "pickle" in out

    # The same comparison without a gate only reports.
    r = dbtest(project, *FAST, "--compare", "main")
    assert r.returncode == 0, r.stderr


def test_unknown_baseline_is_a_one_line_error_before_anything_is_measured(project):
    out = project / "r.json"
    r = dbtest(project, *FAST, "--compare", "nope", "--json", str(out))
    assert r.returncode == 4
    assert r.stderr.startswith("dbtest: error: no saved baseline") and r.stderr.count("\n") == 1
    assert r.stdout == "" and not out.exists()  # no table: nothing was measured
    r = dbtest(project, *FAST, "--save-baseline", "bad/name")
    assert r.returncode == 4 and "invalid baseline name" in r.stderr and r.stdout == ""


def test_default_settings_measure_in_fresh_processes_end_to_end(project):
    # No --quick: the default rounds (fresh processes) feed the same report.
    import jsonschema

    r = dbtest(project, "--bench-time", "0.05", "--bench-warmup", "0", "--json", "out.json")
    assert r.returncode == 0, r.stderr
    report = json.loads((project / "out.json").read_text())
    schema = json.loads(open(os.path.join(REPO, "docs", "report-schema.json")).read())
    jsonschema.validate(report, schema)
    entries = {b["id"].split("::")[-1]: b for b in report["benchmarks"]}
    assert len(entries) == 7
    for b in entries.values():
        assert b.get("error") is None
        # min_samples (20) spread over 10 rounds: at least 2 from each.
        assert b["stats"]["samples"] == len(b["samples"]) >= 20
    assert entries["pickle"]["comparison"]["speedup"] > 1.5


@pytest.mark.parametrize("n", [2, 3])
def test_bench_processes_sets_how_many_fresh_processes_measure(tmp_path, n):
    fixture = os.path.join(REPO, "tests", "fixtures", "bench_processes", "bench_procs.py")
    shutil.copy(fixture, tmp_path / "bench_procs.py")
    log = tmp_path / "procs.log"
    args = ["--bench-processes", str(n), "--bench-time", "0.03", "--bench-warmup", "0"]
    env = dict(os.environ, COLUMNS="140", NO_COLOR="1", DBTEST_PROCS_LOG=str(log))
    r = subprocess.run(
        [DBTEST, "bench", *args], cwd=tmp_path, capture_output=True, text=True, env=env,
        timeout=300,
    )  # fmt: skip
    # The fixture's crashing entry and failing teardown make the run fail.
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    setups = {line.split()[1] for line in log.read_text().splitlines() if line.startswith("setup")}
    assert len(setups) == n  # the "procs" group set up once in each fresh process


def test_bench_settings_come_from_the_config_unless_given(project):
    (project / "pyproject.toml").write_text(
        "[tool.dbtest]\nbench-time = 0.01\nbench-warmup = 0\nbench-min-samples = 150\n"
    )
    out = project / "r.json"
    r = dbtest(project, "--bench-processes", "1", "--json", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    samples = {b["name"]: b["stats"]["samples"] for b in json.loads(out.read_text())["benchmarks"]}
    # 150 is far above what 10 ms of measuring gives by itself.
    assert samples and set(samples.values()) == {150}, samples
    # The command line wins over the config.
    r = dbtest(project, "--bench-processes", "1", "--bench-min-samples", "170", "--json", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    samples = {b["name"]: b["stats"]["samples"] for b in json.loads(out.read_text())["benchmarks"]}
    assert set(samples.values()) == {170}, samples


def test_one_parametrized_entry_can_be_run_by_its_id(tmp_path):
    (tmp_path / "bench_p.py").write_text(
        "from dbtest import BenchmarkGroup\n\ng = BenchmarkGroup('p')\n\n\n"
        "@g.add('sz', params={'n': [1, 2]})\ndef sz(n):\n    pass\n"
    )
    out = tmp_path / "r.json"
    r = dbtest(tmp_path, *FAST, "--json", str(out), "bench_p.py::p::sz[n=2]")
    assert r.returncode == 0, r.stdout + r.stderr
    assert [b["id"] for b in json.loads(out.read_text())["benchmarks"]] == [
        "bench_p.py::p::sz[n=2]"
    ]
