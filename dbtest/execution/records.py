"""Build ``TestRecord`` dicts: the fields of ``dbtest_engine::record::TestRecord``
(``worker`` omitted, the scheduler fills it; fields at their serde default
omitted too)."""

from __future__ import annotations

from typing import Any

from dbtest.execution.capture import TestCapture, sanitize

RECORD_FIELDS = (
    "id", "outcome", "flaky", "strict", "duration", "start", "attempts", "message",
    "traceback", "stdout", "stderr", "logs", "path", "line", "tags", "leak", "extra",
)  # fmt: skip


def make_record(
    *,
    id: str,  # noqa: A002
    outcome: str,
    path: str,
    line: int = 0,
    tags: list[str] | None = None,
    duration: float = 0.0,
    start: float = 0.0,
    attempts: int = 1,
    flaky: bool = False,
    strict: bool = False,
    message: str | None = None,
    traceback: str | None = None,
    capture: TestCapture | None = None,
    extra: dict[str, Any] | None = None,
    leak: str | None = None,
) -> dict[str, Any]:
    """A record dict on the wire: fields at their default (no output, one
    attempt, not flaky...) are left out, as the Rust side fills them in;
    this halves what 10,000 passing tests cost to encode and parse."""
    rec: dict[str, Any] = {
        "id": id,
        "outcome": outcome,
        "duration": float(duration),
        "start": float(start),
        "path": path,
        "line": int(line),
    }
    if tags:
        rec["tags"] = sorted(set(tags))
    if flaky:
        rec["flaky"] = True
    if strict:
        rec["strict"] = True
    if attempts != 1:
        rec["attempts"] = int(attempts)
    if capture is not None:
        for stream in ("stdout", "stderr"):
            text = capture.text(stream)
            if text:
                rec[stream] = text
        if capture.logs:
            rec["logs"] = list(capture.logs)
    if message is not None:
        rec["message"] = sanitize(message)
    if traceback is not None:
        rec["traceback"] = sanitize(traceback)
    if leak is not None:
        rec["leak"] = sanitize(leak)
    ex = dict(extra) if extra else {}
    if capture is not None and capture.logs_dropped:
        ex["logs_dropped"] = capture.logs_dropped
    if ex:
        rec["extra"] = ex
    return rec
