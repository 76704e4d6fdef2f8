"""The worker's side of the protocol: message encoding and the Outbox."""

from __future__ import annotations

import json
import math

import pytest

from dbtest.worker import Outbox, _encode

FINISHED = {
    "ev": "finished",
    "unit": 7,
    "record": {
        "id": 'tests/t\u00e9st_"q".py::test_a\\b',
        "outcome": "passed",
        "duration": 2.5e-05,
        "start": 1795248791.1176586,
        "path": "tests/t\u00e9st.py",
        "line": 3,
    },
}
STARTED = {
    "ev": "started",
    "unit": 7,
    "id": "tests/t.py::test_\u2603",
    "start": 1795248791.5,
    "timeout": None,
    "attempt": 1,
    "sync": True,
}


@pytest.mark.parametrize("message", [FINISHED, STARTED])
def test_fast_encoding_is_the_json_of_the_message(message):
    line = _encode(message)
    assert "\n" not in line
    expected = {k: v for k, v in message.items() if v is not None}
    assert json.loads(line) == expected


@pytest.mark.parametrize(
    "message",
    [
        {**STARTED, "timeout": 2.0},
        {**STARTED, "unit": None},
        {**FINISHED, "record": {**FINISHED["record"], "stdout": "out"}},
        {**FINISHED, "record": {**FINISHED["record"], "duration": 1}},
        {"ev": "unit_done", "unit": 3},
    ],
)
def test_other_messages_take_the_general_path(message):
    assert json.loads(_encode(message)) == message


def test_non_finite_floats_never_take_the_fast_path():
    for bad in (math.inf, -math.inf, math.nan):
        line = _encode({**STARTED, "start": bad})
        assert line.startswith('{"ev": "started"')  # json.dumps's spacing: the general path


class Recorder:
    def __init__(self) -> None:
        self.writes: list[str] = []

    def send(self, line: str) -> None:
        self.writes.append(line)


def test_outbox_sends_held_messages_with_the_next_one_or_on_flush():
    conn = Recorder()
    out = Outbox(conn)
    out.hold(FINISHED)
    assert conn.writes == []
    out(STARTED)
    assert len(conn.writes) == 1
    assert [json.loads(x)["ev"] for x in conn.writes[0].split("\n")] == ["finished", "started"]
    out.hold(FINISHED)
    out.flush()
    out.flush()  # nothing left: no empty write
    assert len(conn.writes) == 2 and json.loads(conn.writes[1])["ev"] == "finished"
