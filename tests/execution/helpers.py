"""Shared helpers: run fixture projects in-process and index the results."""

from __future__ import annotations

import os
from typing import Any

from dbtest.execution import run_in_process

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures")


def run(project: str, path: str, ids: list[str] | None = None, **req: Any) -> list[dict[str, Any]]:
    return run_in_process(
        os.path.join(FIXTURES, project), [{"path": path, "ids": ids or [path], **req}]
    )


def records(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {}
    for e in events:
        if e["ev"] == "finished":
            assert e["record"]["id"] not in out, f"two records for {e['record']['id']}"
            out[e["record"]["id"]] = RECORD_DEFAULTS | e["record"]
    return out


# What the Rust side fills in for the fields the wire record leaves out.
RECORD_DEFAULTS: dict[str, Any] = {
    "flaky": False, "strict": False, "attempts": 1, "stdout": "", "stderr": "",
    "logs": [], "tags": [],
}  # fmt: skip
