"""The worker protocol's contract, both directions, with the real code on
each side: every message kind the Python worker sends, encoded by its
Outbox into its pipe connection, is read by the engine's parser
(`scheduler/protocol.rs`, `Message::parse`) into the same fields; every
request the engine encodes (`Request::to_line`) is decoded by the worker into
the same fields. The engine's side is reached through `dbtest._core._testing`.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest

from dbtest._core import _testing
from dbtest.benchmark.runner import _result as bench_result
from dbtest.execution.records import make_record
from dbtest.outcomes import ORDER
from dbtest.worker import Outbox, PipeConnection, decode_request
from tests.execution.helpers import RECORD_DEFAULTS

REPO = Path(__file__).resolve().parents[2]
PROTOCOL_RS = REPO / "rust_core" / "engine" / "src" / "scheduler" / "protocol.rs"

# What user code and file names can put in a message: non-ASCII of every
# width, quotes and backslashes, newlines, control characters (NUL, ESC, DEL),
# the line and paragraph separators JavaScript parsers choke on, a BOM.
TRICKY = 'é ☃ 𝄞 "q" \\b\n\r\t \x00\x01\x1b[31m\x7f \u2028\u2029 \ufeff end'
TEST_ID = f"tests/t\u00e9st_{TRICKY}.py::Suite::test_x[a-\u2603-{TRICKY}]"
# 64-bit extremes: the engine reads JSON integers as 64-bit ones (a larger
# one in a record's free-form `extra` would come back a float; nothing the
# worker puts there comes near).
U64_MAX = 2**64 - 1
U32_MAX = 2**32 - 1
STACKS = {
    "pid": U32_MAX,
    "signal": 34,
    "path": f"/tmp/dbtest-stacks-{TRICKY}.txt",
    "main": U64_MAX,
    "hide": [f"/site-packages/{TRICKY}/"],
    "callers": ["/work/dbtest/execution/"],
}


def rich_record(outcome: str) -> dict[str, Any]:
    """A record with every field set, as the executor builds it."""
    rec = make_record(
        id=TEST_ID,
        outcome=outcome,
        path=f"tests/{TRICKY}.py",
        line=U32_MAX,
        tags=["db", TRICKY],
        duration=1e-300,
        start=1795248791.1176586,
        attempts=U32_MAX,
        flaky=True,
        strict=True,
        message=f"assert 1 == 2\n{TRICKY}",
        traceback=f"Traceback (most recent call last):\n  {TRICKY}\n",
        leak=f"thread {TRICKY!r} still running",
        extra={
            "title": TRICKY,
            "nested": {"params": [1, -(2**63), U64_MAX, 0.1, None, True, {"k": [TRICKY]}]},
        },
    )
    # What a capture adds (make_record takes them from a TestCapture).
    rec["stdout"] = TRICKY * 50
    rec["stderr"] = "\x00" * 3
    rec["logs"] = [{"level": "WARNING", "logger": TRICKY, "message": TRICKY, "time": 1.5}]
    return rec


# (message, what the engine fills in for fields the worker leaves out)
MESSAGES: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"ev": "ready", "pid": os.getpid()}, {}),
    ({"ev": "ready", "pid": U32_MAX, "stacks": STACKS}, {}),
    # The encoder's fast path (`{"ev":"phase",`, read by the parser's own).
    ({"ev": "phase", "unit": 3, "what": f"import tests/{TRICKY}.py", "sync": True}, {}),
    ({"ev": "phase", "unit": U64_MAX, "what": "fixture db (module)", "sync": False}, {}),
    ({"ev": "phase", "unit": None, "what": "teardown session", "sync": True}, {}),
    (
        {
            "ev": "phase",
            "unit": 3,
            "what": f"setup_suite {TEST_ID}",
            "sync": False,
            "test": TEST_ID,
            "stacks": STACKS,
        },
        {},
    ),
    ({"ev": "phase_end", "unit": 3, "test": TEST_ID}, {}),
    ({"ev": "phase_end", "unit": None, "test": TEST_ID}, {}),
    (
        {
            "ev": "started",
            "unit": 3,
            "id": TEST_ID,
            "start": 1795248791.1176586,
            "timeout": None,
            "attempt": 1,
            "sync": True,
        },
        {},
    ),
    (
        {
            "ev": "started",
            "unit": U64_MAX,
            "id": TEST_ID,
            "start": 0.1,
            "timeout": 1e-9,
            "attempt": U32_MAX,
            "sync": False,
        },
        {},
    ),
    ({"ev": "output", "id": TEST_ID, "stream": "stdout", "data": TRICKY * 1000}, {}),
    ({"ev": "output", "id": TEST_ID, "stream": "stderr", "data": ""}, {}),
    *[
        ({"ev": "retrying", "id": TEST_ID, "attempt": 2, "outcome": outcome}, {})
        for outcome in ORDER
    ],
    # A passing test without output: the fast paths of both sides.
    (
        {
            "ev": "finished",
            "unit": 3,
            "record": make_record(
                id=TEST_ID,
                outcome="passed",
                path="tests/t.py",
                line=3,
                duration=2.5e-05,
                start=17.5,
            ),
        },
        {"record": RECORD_DEFAULTS},
    ),
    *[({"ev": "finished", "unit": 3, "record": rich_record(o)}, {}) for o in ORDER],
    ({"ev": "run_error", "scope": TEST_ID, "message": TRICKY, "traceback": TRICKY}, {}),
    ({"ev": "run_error", "scope": "session", "message": "teardown failed", "traceback": None}, {}),
    ({"ev": "bench_progress", "id": TEST_ID, "phase": "calibrate", "samples": U64_MAX}, {}),
    ({"ev": "bench_progress", "id": TEST_ID, "phase": "memory", "samples": 0}, {}),
    (bench_result("bench_x.py", None, TEST_ID, error=TRICKY), {"process": [], "instrument": None}),
    (
        bench_result(
            f"bench_{TRICKY}.py",
            None,
            TEST_ID,
            group=TRICKY,
            name=f"fast_{TRICKY}",
            params=f"[n-1000-{TRICKY}]",
            is_baseline=True,
            samples=[1e-9, 0.5, 3.0e-7],
            rounds=[0, 1, U32_MAX],
            process=[0, 0, U32_MAX],
            calls_per_sample=U64_MAX,
            memory_peak=U64_MAX,
            instrument="instructions",
        ),
        {},
    ),
    ({"ev": "deselected", "unit": U64_MAX, "id": TEST_ID}, {}),
    ({"ev": "unit_done", "unit": 0}, {}),
    ({"ev": "unit_done", "unit": U64_MAX}, {}),
    ({"ev": "closed", "threads": [TRICKY, "Thread-1 (worker)"]}, {}),
    ({"ev": "closed", "threads": []}, {}),
]


def wire(messages: list[dict[str, Any]]) -> list[str]:
    """The lines the worker writes for `messages`: its Outbox and pipe
    connection, writing into a file in place of the scheduler's pipe."""
    requests_r, requests_w = os.pipe()
    with tempfile.TemporaryFile() as f:
        conn = PipeConnection(requests_r, os.dup(f.fileno()))
        out = Outbox(conn)
        for m in messages:
            out(m)
        del out, conn  # closes the descriptor the connection writes to
        f.seek(0)
        data = f.read()
    os.close(requests_r)
    os.close(requests_w)
    # The scheduler reads bytes; the worker promises them valid UTF-8.
    *lines, last = data.decode("utf-8").split("\n")
    assert last == "", "every message ends with a newline"
    return lines


def without_none(value: Any) -> Any:
    """Absent and null are the same on this protocol (serde's defaults, the
    worker's `.get`): compare without the null fields of objects."""
    if isinstance(value, dict):
        return {k: without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_none(v) for v in value]
    return value


def assert_same(sent: Any, got: Any, where: str) -> None:
    """Field by field, with the JSON types: an int that came back a float,
    or a field one side dropped, is a disagreement."""
    if isinstance(sent, dict):
        assert isinstance(got, dict), f"{where}: {got!r}"
        assert sorted(got) == sorted(sent), f"{where}: fields {sorted(got)} != {sorted(sent)}"
        for k in sent:
            assert_same(sent[k], got[k], f"{where}.{k}")
    elif isinstance(sent, list):
        assert isinstance(got, list) and len(got) == len(sent), f"{where}: {got!r}"
        for i, (s, g) in enumerate(zip(sent, got, strict=True)):
            assert_same(s, g, f"{where}[{i}]")
    else:
        assert type(got) is type(sent) and got == sent, f"{where}: sent {sent!r}, got {got!r}"


def merged(defaults: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    out = dict(message)
    for k, v in defaults.items():
        out[k] = merged(v, out[k]) if isinstance(v, dict) and k in out else out.get(k, v)
    return out


def test_every_message_the_worker_sends_reads_the_same_in_the_engine():
    lines = wire([m for m, _ in MESSAGES])
    assert len(lines) == len(MESSAGES), "a message spilled onto two lines"
    # Both sides' fast paths are among them (`{"ev":"` with no space).
    assert {json.loads(ln)["ev"] for ln in lines if ln.startswith('{"ev":"')} == {
        "started",
        "finished",
        "phase",
    }
    for (message, defaults), line in zip(MESSAGES, lines, strict=True):
        echoed = json.loads(_testing.worker_message_echo(line))
        expected = without_none(merged(defaults, message))
        assert_same(expected, without_none(echoed), message["ev"])


def test_held_messages_are_separate_lines_to_the_engine():
    # The Outbox sends a held `finished` and the next message in one write.
    requests_r, requests_w = os.pipe()
    with tempfile.TemporaryFile() as f:
        conn = PipeConnection(requests_r, os.dup(f.fileno()))
        out = Outbox(conn)
        out.hold({"ev": "unit_done", "unit": 1})
        out({"ev": "unit_done", "unit": 2})
        del out, conn
        f.seek(0)
        lines = f.read().decode("utf-8").splitlines()
    os.close(requests_r)
    os.close(requests_w)
    assert [json.loads(_testing.worker_message_echo(ln))["unit"] for ln in lines] == [1, 2]


def test_undecodable_text_reaches_the_engine_replaced():
    # A lone surrogate (bytes a test printed that were not UTF-8) cannot be
    # JSON the engine accepts: the connection replaces it, once, for all.
    (line,) = wire([{"ev": "output", "id": "t.py::t", "stream": "stdout", "data": "a\udcffb"}])
    assert json.loads(_testing.worker_message_echo(line))["data"] == "a?b"


def test_the_engine_refuses_what_the_worker_must_not_send():
    # Lines the parser must not take for a message: it says why, in one line.
    for line in [
        '{"ev":"finished","unit":3}',
        '{"ev":"started","unit":-1,"id":"t","start":0.0,"attempt":1,"sync":true}',
        f'{{"ev":"unit_done","unit":{2**64}}}',
        '{"ev":"no_such_kind"}',
        "Infinity",
    ]:
        with pytest.raises(ValueError, match="bad worker message") as e:
            _testing.worker_message_echo(line)
        assert "\n" not in str(e.value)


def rust_variants(enum: str) -> set[str]:
    """The variants of `pub enum <enum>` in protocol.rs, as their tags."""
    body = PROTOCOL_RS.read_text().split(f"pub enum {enum} {{", 1)[1].split("\n}", 1)[0]
    names = re.findall(r"^    ([A-Z]\w*)", body, re.M)
    return {re.sub(r"(?<!^)([A-Z])", r"_\1", n).lower() for n in names}


def test_the_contract_covers_every_message_kind_of_both_sides():
    covered = {m["ev"] for m, _ in MESSAGES}
    assert covered == rust_variants("Message")
    sent = set()
    for path in (REPO / "dbtest").rglob("*.py"):
        sent |= set(re.findall(r'"ev": "(\w+)"', path.read_text()))
    assert sent <= covered, sorted(sent - covered)
    assert {r["op"] for r in REQUESTS} == rust_variants("Request")


REQUESTS: list[dict[str, Any]] = [
    {
        "op": "run",
        "unit": U64_MAX,
        "path": f"tests/{TRICKY}.py",
        "ids": [TEST_ID, f"tests/{TRICKY}.py::test_{TRICKY}"],
        "timeout": 0.25,
        "retries": U32_MAX,
        "exclusive": True,
        "kind": "test",
        "bench": {"bench_time": 0.5, "nested": {"params": [U64_MAX, -(2**63), [TRICKY], None]}},
        "refine": {"filter": {"expr": f"db and not {TRICKY!r}", "tags": []}, "ids": [TEST_ID]},
        "fail_budget": U32_MAX,
        "concurrency_cap": 1,
        "setup_timeout": 1e-3,
        "hung": [f"import tests/{TRICKY}.py", f"fixture {TRICKY} (session)"],
        "seed": U64_MAX,
        "keep_order": True,
        "names": {"classes": ["Test*", TRICKY], "functions": ["check_*"]},
    },
    {
        "op": "run",
        "unit": 0,
        "path": "bench_x.py",
        "ids": [],
        "retries": 0,
        "exclusive": False,
        "kind": "bench",
    },
    {"op": "cancel"},
    {"op": "shutdown"},
]


@pytest.mark.parametrize("request_", REQUESTS, ids=lambda r: r["op"])
def test_every_request_the_engine_sends_reads_the_same_in_the_worker(request_):
    line = _testing.worker_request_line(json.dumps(request_))
    assert line.endswith("\n") and line.count("\n") == 1
    assert_same(request_, without_none(decode_request(line)), request_["op"])


def test_the_worker_reads_every_field_of_a_run_request():
    # A field the engine sends that no Python code reads (a renamed one, say)
    # would be silently ignored.
    fields = decode_request(_testing.worker_request_line(json.dumps(REQUESTS[0])))
    source = "\n".join(p.read_text() for p in (REPO / "dbtest").rglob("*.py"))
    unread = [
        k for k in fields if not re.search(rf'request(?:\.get\(|\[)"{k}"|"{k}" in request', source)
    ]
    assert unread == []
