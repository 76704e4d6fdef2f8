"""Report documents for the report tests, built the way the engine writes them.

`make_report()` covers every outcome, unicode and hostile names and output
(`|`, backticks, `<script>`, `]]>`, control characters, a lone surrogate as a
JSON escape), collection and run errors, and benchmarks.
"""

from __future__ import annotations

import copy
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "docs" / "report-schema.json"
XSD = ROOT / "tests" / "reports" / "junit.xsd"
START = 1732170000.0
OUTCOMES = [
    "passed",
    "failed",
    "error",
    "skipped",
    "xfailed",
    "xpassed",
    "timeout",
    "crashed",
    "cancelled",
]


def record(id_: str, outcome: str, line: int, duration: float, **kw: object) -> dict:
    """One TestRecord as the worker sends it."""
    path = id_.split("::", 1)[0]
    r = {
        "id": id_,
        "outcome": outcome,
        "flaky": False,
        "strict": False,
        "duration": duration,
        "start": START + line,
        "attempts": 1,
        "stdout": "",
        "stderr": "",
        "logs": [],
        "path": path,
        "line": line,
        "tags": [],
        "worker": 1,
    }
    r.update(kw)
    return r


def summary_of(report: dict) -> dict:
    """The summary the engine computes: counts by outcome; run errors + collection errors."""
    s = {k: 0 for k in ["total", *OUTCOMES, "flaky"]}
    for t in report["tests"]:
        s["total"] += 1
        s[t["outcome"]] += 1
        s["flaky"] += bool(t["flaky"])
    s["run_errors"] = len(report["run_errors"]) + len(report["collection_errors"])
    return s


def make_report() -> dict:
    """A full report (as a dict) with hostile content everywhere."""
    a, h, u = "tests/test_a.py", "tests/test_hostile.py", "tests/ünï/test_ü.py"
    tests = [
        record(f"{a}::test_ok", "passed", 1, 0.01),
        record(
            f"{a}::test_fail",
            "failed",
            2,
            0.5,
            message="AssertionError: 1 != 2",
            traceback="Traceback (most recent call last):\n  ...\nAssertionError",
            stdout="\x1b[31mred\x1b[0m\n",
            stderr="err\n",
        ),
        record(f"{a}::test_error", "error", 3, 0.02, message="RuntimeError: boom"),
        record(f"{a}::test_skip", "skipped", 4, 0.0, message="no db"),
        record(f"{a}::test_xfail", "xfailed", 5, 0.0, message="bug"),
        record(f"{a}::test_xpass", "xpassed", 6, 0.0),
        record(f"{a}::test_xpass_strict", "xpassed", 7, 0.0, strict=True),
        record(f"{a}::Slow::test_timeout", "timeout", 8, 2.0, message="timed out after 2 s"),
        record(
            f"{a}::Slow::test_crash",
            "crashed",
            9,
            1.0,
            message="worker crashed",
            extra={"signal": 11},
        ),
        record(f"{a}::Slow::test_cancel", "cancelled", 10, 0.0, worker=None),
        record(f"{a}::test_flaky", "passed", 11, 0.3, flaky=True, attempts=2),
        record(f"{u}::Ünï::test_名前[😀]", "passed", 1, 0.04),
        record(f"{h}::test_pipe[a|b]", "failed", 1, 0.05, message="x | y\nz"),
        record(f"{h}::test_tick[`x```]", "failed", 2, 0.06, message="```", traceback="````"),
        record(
            f"{h}::test_html[<script>alert(1)</script>]",
            "error",
            3,
            0.07,
            message="<b>&amp;</b> ]]> <![CDATA[",
            stdout="</details>]]>\n",
        ),
        record(
            f"{h}::test_ctrl[\x07]",
            "failed",
            4,
            0.08,
            message="nul\x00 esc\x1b del\x7f c1\x9b \ufffe\uffff",
            stdout="bad \udcff bytes\n",
            stderr="\x0b\x0c\r\n",
        ),
    ]
    report = {
        "schema_version": 1,
        "meta": {
            "dbtest_version": "0.1.0",
            "python": "3.11.9",
            "platform": "Linux-x86_64",
            "start": START,
            "duration": 3.5,
            "workers": 3,
            "command": ["dbtest", "--headless"],
            "selection": {"paths": [], "tags": [], "mode": "all"},
            "interrupted": False,
        },
        "summary": {},
        "tests": tests,
        "collection_errors": [
            {"path": "tests/test_bad.py", "line": 1, "message": "SyntaxError <x>"}
        ],
        "run_errors": [{"scope": f"{a}::Slow", "message": "teardown failed | x"}],
        "benchmarks": [],
    }
    report["summary"] = summary_of(report)
    return report


def dumps(report: dict) -> str:
    """JSON as the worker writes it: ASCII, so a lone surrogate is the escape `\\udcff`."""
    return json.dumps(report, ensure_ascii=True, indent=1)


def split(report: dict, shards: list[list[str]], durations: list[float]) -> list[dict]:
    """Shard reports of `report`: each shard has the listed test ids, every
    shard reports the collection errors, the first shard the run errors, and
    the workers are spread so that they sum to the original."""
    out = []
    for i, ids in enumerate(shards):
        r = copy.deepcopy(report)
        r["tests"] = [t for t in report["tests"] if t["id"] in set(ids)]
        r["run_errors"] = report["run_errors"] if i == 0 else []
        r["meta"]["duration"] = durations[i]
        r["meta"]["workers"] = 1
        r["meta"]["selection"]["partition"] = f"slice:{i + 1}/{len(shards)}"
        r["summary"] = summary_of(r)
        out.append(r)
    return out
