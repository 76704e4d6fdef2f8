"""The renderers through `dbtest._core`: JSON against the JSON Schema, JUnit
against the XSD and the standard-library parser, Markdown and console
hygiene with hostile input, partition and atomic-write bindings."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import jsonschema
import pytest
from lxml import etree

from dbtest import _core
from dbtest._core import _testing
from tests.reports.reportlib import OUTCOMES, ROOT, SCHEMA, XSD, dumps, make_report

FORBIDDEN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def xsd() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def test_json_validates_against_schema(validator: jsonschema.Draft202012Validator) -> None:
    out = json.loads(_core.render_report(dumps(make_report()), "json"))
    validator.validate(out)
    # The lone surrogate became U+FFFD; everything else survived unchanged.
    ctrl = next(t for t in out["tests"] if t["id"].endswith("test_ctrl[\x07]"))
    assert ctrl["stdout"] == "bad \ufffd bytes\n"
    assert ctrl["message"] == "nul\x00 esc\x1b del\x7f c1\x9b \ufffe\uffff"


def test_golden_json_validates(validator: jsonschema.Draft202012Validator) -> None:
    golden = ROOT / "rust_core/engine/tests/golden/report.json"
    validator.validate(json.loads(golden.read_text()))


def test_schema_rejects_what_the_engine_never_writes(
    validator: jsonschema.Draft202012Validator,
) -> None:
    good = json.loads(_core.render_report(dumps(make_report()), "json"))
    for mutate in (
        lambda r: r["tests"][0].update(outcome="weird"),
        lambda r: r.update(schema_version=2),
        lambda r: r["meta"].pop("start"),
        lambda r: r["tests"][0].update(message=None),
        lambda r: r["summary"].update(unknown=1),
    ):
        bad = json.loads(json.dumps(good))
        mutate(bad)
        assert not validator.is_valid(bad)


def test_junit_validates_and_parses(xsd: etree.XMLSchema) -> None:
    report = make_report()
    xml = _core.render_report(dumps(report), "junit")
    assert not FORBIDDEN_XML.search(xml)
    doc = etree.fromstring(xml.encode())
    assert xsd.validate(doc), xsd.error_log
    root = ET.fromstring(xml)  # the standard library parser accepts it too
    cases = root.findall("./testsuite/testcase")
    # Every test plus one case per collection error and run error.
    assert len(cases) == len(report["tests"]) + 2
    assert int(root.get("tests")) == len(cases)
    for attr, tag in (("failures", "failure"), ("errors", "error"), ("skipped", "skipped")):
        assert int(root.get(attr)) == len(root.findall(f"./testsuite/testcase/{tag}"))
        assert int(root.get(attr)) == sum(int(s.get(attr)) for s in root.findall("testsuite"))
    s = report["summary"]
    assert len(root.findall(".//failure")) == s["failed"] + 1  # + strict xpassed
    assert len(root.findall(".//error")) == s["error"] + s["timeout"] + s["crashed"] + 2
    assert len(root.findall(".//skipped")) == s["skipped"] + s["xfailed"] + s["cancelled"]
    # Hostile names come back intact as text.
    names = {c.get("name") for c in cases}
    assert "test_html[<script>alert(1)</script>]" in names
    assert "test_pipe[a|b]" in names
    assert "test_ctrl[\\x07]" in names  # the control char is shown, not emitted
    html = next(c for c in cases if c.get("name").startswith("test_html"))
    assert html.find("error").get("message") == "<b>&amp;</b> ]]> <![CDATA["
    assert html.find("system-out").text == "</details>]]>\n"
    suites = [t.get("name") for t in root.findall("testsuite")]
    assert suites == sorted(suites)


def test_xsd_is_not_vacuous(xsd: etree.XMLSchema) -> None:
    xml = _core.render_report(dumps(make_report()), "junit")
    for old, new in (
        ('tests="', 'tests="x'),
        (' classname="', ' klass="'),
        ('time="', 'time="-'),
        ("<skipped ", "<skip "),
    ):
        bad = etree.fromstring(xml.replace(old, new, 1).encode())
        assert not xsd.validate(bad), (old, new)


def test_markdown_is_escaped() -> None:
    md = _core.render_report(dumps(make_report()), "markdown")
    assert not UNPRINTABLE.search(md)
    prose, in_code = [], None
    for line in md.splitlines():
        ticks = len(line) - len(line.lstrip("`"))
        if in_code is None and ticks >= 3:
            in_code = ticks
        elif in_code is not None and ticks >= in_code and not line.strip("`"):
            in_code = None
        elif in_code is None:
            prose.append(line)
    assert in_code is None, "unclosed code block"
    text = "\n".join(prose)
    assert "<script>" not in text and "<b>" not in text and "</details>]]>" not in text
    for table in re.split(r"\n(?!\|)", text):
        rows = [r for r in table.splitlines() if r.startswith("|")]
        widths = {len(re.findall(r"(?<!\\)\|", re.sub(r"\\\\", "", r))) for r in rows}
        assert len(widths) <= 1, table
    assert md.startswith("## ❌ dbtest: failed")
    assert "### Failures (" in md and "### Slowest tests" in md and "### All tests" in md


def test_console_has_no_control_codes() -> None:
    text = _core.render_report(dumps(make_report()), "console")
    assert not UNPRINTABLE.search(text)
    assert "\\x1b[31mred\\x1b[0m" in text
    last = text.rstrip().splitlines()[-1]
    assert last.startswith("FAILED: ") and "(16 tests in 3.50 s)" in last


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ("{", "not a JSON document"),
        ("[]", "not an object"),
        ('{"schema_version": 2}', "report schema version 2 is not supported"),
        ('{"schema_version": 1, "meta": {}}', "invalid dbtest report"),
    ],
)
def test_bad_reports_are_one_line_value_errors(doc: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as e:
        _core.render_report(doc, "json")
    assert "\n" not in str(e.value)


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="--format must be one of"):
        _core.render_report(dumps(make_report()), "html")


def test_every_outcome_is_covered() -> None:
    assert {t["outcome"] for t in make_report()["tests"]} == set(OUTCOMES)


def items(ids: list[str]) -> str:
    out = []
    for i in ids:
        path, _, rest = i.partition("::")
        suite, _, name = rest.rpartition("::")
        out.append(
            {
                "id": i,
                "kind": "test",
                "style": "suite" if suite else "function",
                "path": path,
                "suite": suite or None,
                "name": name,
                "line": 1,
            }
        )
    return json.dumps(out)


def test_partition_ids_cover_every_test_once() -> None:
    ids = [f"t{f}.py::S{s}::test_{k}" for f in range(4) for s in range(3) for k in range(4)]
    ids += [f"t{f}.py::test_fn{k}" for f in range(4) for k in range(5)]
    for kind in ("slice", "hash"):
        for n in range(1, 7):
            shards = [
                _testing.partition_ids(items(ids), f"{kind}:{m}/{n}") for m in range(1, n + 1)
            ]
            flat = [i for s in shards for i in s]
            assert sorted(flat) == sorted(ids)
            for s in shards:  # suites are never split
                suites = {i.rsplit("::", 1)[0] for i in s if i.count("::") == 2}
                for other in shards:
                    if other is not s:
                        assert not suites & {
                            i.rsplit("::", 1)[0] for i in other if i.count("::") == 2
                        }


def test_partition_balances_by_duration() -> None:
    ids = [f"t.py::test_{k}" for k in range(9)]
    durations = {i: 1.0 for i in ids}
    durations["t.py::test_0"] = 8.0
    first = _testing.partition_ids(items(ids), "slice:1/2", durations)
    assert first == ["t.py::test_0"]


def test_partition_errors_and_auto(monkeypatch: pytest.MonkeyPatch) -> None:
    for bad in ("slice:3/2", "hash:0/2", "slice:1-2", "chunks:1/2"):
        with pytest.raises(ValueError) as e:
            _testing.parse_partition(bad)
        assert "\n" not in str(e.value)
    for var in ("CI_NODE_INDEX", "CI_NODE_TOTAL", "DBTEST_SHARD_INDEX", "DBTEST_SHARD_TOTAL"):
        monkeypatch.delenv(var, raising=False)
    assert _testing.parse_partition("auto") == "slice:1/1"
    monkeypatch.setenv("DBTEST_SHARD_INDEX", "2")
    monkeypatch.setenv("DBTEST_SHARD_TOTAL", "4")
    assert _testing.parse_partition("auto") == "slice:2/4"
    monkeypatch.setenv("CI_NODE_INDEX", "3")
    monkeypatch.setenv("CI_NODE_TOTAL", "5")
    assert _testing.parse_partition("auto") == "slice:3/5"


def test_write_atomic(tmp_path) -> None:
    target = tmp_path / "r.json"
    target.write_text("old contents that are longer")
    _core.write_atomic(str(target), "new ✓")
    assert target.read_text(encoding="utf-8") == "new ✓"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]
    with pytest.raises(OSError, match="cannot write report to"):
        _core.write_atomic(str(tmp_path / "missing" / "r.json"), "x")
