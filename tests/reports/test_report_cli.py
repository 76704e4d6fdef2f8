"""`dbtest report merge` and `dbtest report render` through the real CLI, on
report files constructed by splitting one run's report into shards."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from lxml import etree

from tests.reports.reportlib import SCHEMA, XSD, dumps, make_report, split, summary_of

USAGE_ERROR = 4


def dbtest(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dbtest", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def write(path: Path, report: dict) -> str:
    path.write_text(dumps(report), encoding="ascii")
    return str(path)


@pytest.fixture
def shards(tmp_path: Path) -> tuple[str, list[str]]:
    """The full report and three shard reports of it, as files."""
    full = make_report()
    ids = [t["id"] for t in full["tests"]]
    parts = [ids[0::3], ids[1::3], ids[2::3]]
    # The slowest shard took as long as the single run; workers sum to its 3.
    reports = split(full, parts, [1.0, full["meta"]["duration"], 2.0])
    paths = [write(tmp_path / f"report-{i + 1}.json", r) for i, r in enumerate(reports)]
    return write(tmp_path / "full.json", full), paths


def render(path: str, fmt: str, cwd: Path) -> str:
    p = dbtest("report", "render", path, "--format", fmt, cwd=cwd)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_merge_then_render_equals_unsharded(tmp_path: Path, shards) -> None:
    full, parts = shards
    p = dbtest("report", "merge", *parts, "-o", "all.json", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stdout == ""
    merged = json.loads((tmp_path / "all.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text())).validate(merged)
    original = json.loads(render(full, "json", tmp_path))

    assert merged["meta"]["merged_from"] == ["report-1.json", "report-2.json", "report-3.json"]
    assert merged["summary"] == original["summary"] == summary_of(original)
    assert merged["tests"] == sorted(original["tests"], key=lambda t: t["id"])
    assert merged["collection_errors"] == original["collection_errors"]  # deduplicated
    assert merged["meta"]["duration"] == original["meta"]["duration"]  # the slowest shard
    assert merged["meta"]["workers"] == original["meta"]["workers"]
    assert "partition" not in merged["meta"]["selection"]

    all_json = str(tmp_path / "all.json")
    # Markdown and console: identical except the line that says "merged from".
    for fmt, meta_line in (("markdown", "<sub>"), ("console", "dbtest ")):
        a = [
            ln
            for ln in render(all_json, fmt, tmp_path).splitlines()
            if not ln.startswith(meta_line)
        ]
        b = [ln for ln in render(full, fmt, tmp_path).splitlines() if not ln.startswith(meta_line)]
        assert a == b, fmt
    # JUnit: byte-identical.
    assert render(all_json, "junit", tmp_path) == render(full, "junit", tmp_path)


def test_render_junit_to_file_is_valid(tmp_path: Path, shards) -> None:
    full, _ = shards
    p = dbtest("report", "render", full, "--format", "junit", "-o", "junit.xml", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    data = (tmp_path / "junit.xml").read_bytes()
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    assert schema.validate(etree.fromstring(data)), schema.error_log
    assert ET.fromstring(data).get("tests") == str(len(make_report()["tests"]) + 2)


def test_render_defaults_to_console(tmp_path: Path, shards) -> None:
    full, _ = shards
    out = render(full, "console", tmp_path)
    p = dbtest("report", "render", full, cwd=tmp_path)
    assert p.returncode == 0 and p.stdout == out
    assert "\x1b" not in out and out.rstrip().splitlines()[-1].startswith("FAILED: ")


def test_invalid_utf8_in_a_report_file_is_replaced(tmp_path: Path) -> None:
    report = make_report()
    report["tests"][0]["stdout"] = "MARK"
    data = dumps(report).encode().replace(b"MARK", b"ok \xff\xfe end")
    (tmp_path / "r.json").write_bytes(data)
    out = json.loads(render(str(tmp_path / "r.json"), "json", tmp_path))
    assert out["tests"][0]["stdout"] == "ok \ufffd\ufffd end"


def one_line_error(p: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert p.returncode == USAGE_ERROR, (p.returncode, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dbtest: error: "), p.stderr
    for n in needles:
        assert n in lines[0], lines[0]


def test_merge_refuses_duplicate_ids(tmp_path: Path, shards) -> None:
    _, parts = shards
    p = dbtest("report", "merge", parts[0], parts[1], parts[0], "-o", "all.json", cwd=tmp_path)
    one_line_error(p, "is in both report-1.json and report-1.json", "shards overlap")
    assert not (tmp_path / "all.json").exists()


def test_merge_refuses_other_schema_version(tmp_path: Path, shards) -> None:
    _, parts = shards
    future = json.loads(Path(parts[1]).read_text())
    future["schema_version"] = 2
    other = write(tmp_path / "future.json", future)
    p = dbtest("report", "merge", parts[0], other, "-o", "all.json", cwd=tmp_path)
    one_line_error(p, "future.json", "schema version 2 is not supported")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["render", "missing.json"], "cannot read report missing.json"),
        (["render", "garbage.json"], "not a JSON document"),
        (
            ["render", "good.json", "--format", "html"],
            "--format must be one of console, json, markdown, junit, not 'html'",
        ),
        (["merge", "good.json", "garbage.json"], "garbage.json: not a JSON document"),
        (["render", "good.json", "-o", "no/such/dir/out.md"], "cannot write report to"),
    ],
)
def test_errors_are_one_line(tmp_path: Path, args: list[str], needle: str) -> None:
    (tmp_path / "garbage.json").write_text("{ not json")
    write(tmp_path / "good.json", make_report())
    one_line_error(dbtest("report", *args, cwd=tmp_path), needle)
