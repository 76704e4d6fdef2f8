"""Sharding and reports end to end: four shards through the real CLI merge
into a report equal in content to a single run, and an interrupted or killed
run leaves a complete, valid report."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from lxml import etree

from tests.conftest import DBTEST, FIXTURES, interrupt_dbtest, run_dbtest, wait_for_file

DOCS = Path(__file__).resolve().parents[2] / "docs"
XSD = Path(__file__).resolve().parents[1] / "reports" / "junit.xsd"


def content(report: dict) -> dict:
    """What must not depend on how the run was split."""
    return {
        "summary": {k: v for k, v in report["summary"].items()},
        "tests": {
            t["id"]: (t["outcome"], t.get("message"), t["attempts"], t["stdout"])
            for t in report["tests"]
        },
        "collection_errors": report["collection_errors"],
    }


@pytest.mark.parametrize("kind", ["slice", "hash"])
def test_four_shards_merge_into_the_single_run(tmp_path, kind):
    root = tmp_path / "proj"
    shutil.copytree(FIXTURES / "shard_project", root)
    single = run_dbtest(["--headless", "-q", "--json", "single.json"], root)
    assert single.returncode == 1, single.stdout + single.stderr
    shards = []
    for i in range(1, 5):
        name = f"shard-{i}.json"
        proc = run_dbtest(
            ["--headless", "-q", "--partition", f"{kind}:{i}/4", "--json", name], root
        )
        assert proc.returncode in (0, 1), proc.stdout + proc.stderr
        shards.append(name)
    merged = run_dbtest(["report", "merge", *shards, "-o", "all.json"], root)
    assert merged.returncode == 0, merged.stderr

    one = json.loads((root / "single.json").read_text())
    all_ = json.loads((root / "all.json").read_text())
    assert content(all_) == content(one)
    assert len(all_["meta"]["merged_from"]) == 4

    # Rendered again, the merged report shows the same tests and outcomes.
    a = run_dbtest(["report", "render", "all.json", "--format", "junit"], root).stdout
    b = run_dbtest(["report", "render", "single.json", "--format", "junit"], root).stdout
    assert _junit_cases(a) == _junit_cases(b)
    a = run_dbtest(["report", "render", "all.json", "--format", "markdown"], root).stdout
    b = run_dbtest(["report", "render", "single.json", "--format", "markdown"], root).stdout
    assert a.splitlines()[0] == b.splitlines()[0]  # the verdict and counts
    assert _id_lines(a) == _id_lines(b)


def _junit_cases(xml: str) -> list[tuple[str, str, str]]:
    cases = []
    for case in ET.fromstring(xml).iter("testcase"):
        kinds = sorted(child.tag for child in case)
        cases.append((case.get("classname", ""), case.get("name", ""), ",".join(kinds)))
    return sorted(cases)


def _id_lines(markdown: str) -> set[str]:
    """Table rows naming a test, without their duration column."""
    import re

    # The "All tests" section: "Slowest tests" depends on timing by design.
    section = markdown.split("### All tests", 1)[1]
    rows = [ln for ln in section.splitlines() if ln.startswith("|") and "::" in ln]
    return {re.sub(r"\d+(\.\d+)?\s?(ms|s|µs)", "T", ln) for ln in rows}


def test_interrupted_run_writes_complete_valid_reports(tmp_path):
    root = tmp_path / "proj"
    shutil.copytree(FIXTURES / "runner_slow", root)
    proc = interrupt_dbtest(
        [
            "--headless",
            "-j",
            "1",
            "--async-concurrency",
            "1",
            "--json",
            "r.json",
            "--junit",
            "r.xml",
            "--markdown",
            "r.md",
        ],
        root,
        tmp_path / "running",
    )
    assert proc.returncode == 2
    # One worker, one test at a time: the first ran, the others never started.
    assert [p.name for p in (tmp_path / "running").iterdir()] == ["test_slow_0"]

    report = json.loads((root / "r.json").read_text())
    schema = json.loads((DOCS / "report-schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(report)
    assert report["summary"]["cancelled"] >= 3
    assert etree.XMLSchema(etree.parse(str(XSD))).validate(etree.parse(str(root / "r.xml")))
    cases = ET.parse(root / "r.xml").getroot().iter("testcase")
    assert len(list(cases)) == 4
    assert "cancelled" in (root / "r.md").read_text()


def test_killed_run_leaves_the_previous_report_intact(tmp_path):
    # The engine's testing hook stops the write of r.json half-way through its
    # contents and writes the marker: the run is killed in the middle of
    # writing the report, which a non-atomic write would leave truncated.
    root = tmp_path / "proj"
    shutil.copytree(FIXTURES / "runner_slow", root)
    previous = '{"previous": true}'
    (root / "r.json").write_text(previous)
    marker = tmp_path / "write-paused"
    proc = subprocess.Popen(
        [str(DBTEST), "--headless", "--json", "r.json", "tests/test_slow.py::test_slow_0"],
        cwd=root,
        env={**os.environ, "DBTEST_TESTING_PAUSE_WRITE": f"r.json:{marker}"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    wait_for_file(marker, proc)
    proc.kill()
    proc.communicate(timeout=60)
    assert (root / "r.json").read_text() == previous
    assert [p.name for p in root.iterdir() if p.name.startswith("r.json")] == ["r.json"]
    # The half-written new report is in the temporary file the kill left.
    (temp,) = [p for p in root.iterdir() if p.name.startswith(".r.json.")]
    partial = temp.read_text()
    assert partial.startswith("{") and '"schema_version"' in partial
    with pytest.raises(json.JSONDecodeError):
        json.loads(partial)


def test_run_report_flags_stdout_output_and_github_summary(tmp_path):
    root = tmp_path / "proj"
    shutil.copytree(FIXTURES / "shard_project", root)
    # --format markdown on stdout: the report only; the console goes to stderr.
    md = run_dbtest(["--headless", "--format", "markdown"], root)
    assert md.returncode == 1
    assert md.stdout.startswith("## ") and "dbtest" in md.stdout.splitlines()[0]
    assert "\x1b[" not in md.stdout
    assert "passed" in md.stderr  # the summary line
    # --output writes the chosen format instead; --junit adds another in the same run.
    summary = root / "summary.md"
    summary.write_text("# earlier step\n")
    proc = run_dbtest(
        [
            "--headless",
            "--format",
            "json",
            "-o",
            "out.json",
            "--junit",
            "out.xml",
            "--github-summary",
        ],
        root,
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert proc.returncode == 1
    # The console, with its summary, and nothing of the JSON.
    assert proc.stdout.rstrip().splitlines()[-1].startswith("FAILED: ")
    assert '"schema_version"' not in proc.stdout
    report = json.loads((root / "out.json").read_text())
    assert report["summary"]["total"] == len(report["tests"])
    assert ET.parse(root / "out.xml").getroot().tag == "testsuites"
    appended = summary.read_text()
    assert appended.startswith("# earlier step\n") and "## " in appended


def test_an_empty_shard_passes_but_an_empty_selection_does_not(tmp_path):
    root = tmp_path / "p"
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_one.py").write_text("def test_only():\n    pass\n")
    codes = {}
    for shard in ("1/3", "2/3", "3/3"):
        proc = run_dbtest(["--headless", "--partition", f"slice:{shard}"], root)
        codes[shard] = proc.returncode
    # One test, three shards: one shard runs it, the other two are empty.
    assert sorted(codes.values()) == [0, 0, 0], codes
    # A filter that matches nothing fails every shard, as it fails a plain run.
    proc = run_dbtest(["--headless", "-k", "nomatch", "--partition", "slice:1/2"], root)
    assert proc.returncode == 5, proc.stdout + proc.stderr
