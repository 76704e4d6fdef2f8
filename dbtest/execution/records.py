"""Build ``TestRecord`` dicts: exactly the fields of ``dbtest_engine::record::TestRecord``
(``worker`` omitted; the scheduler fills it)."""

from __future__ import annotations

from typing import Any

from dbtest.execution.capture import TestCapture, sanitize

RECORD_FIELDS = (
    "id", "outcome", "flaky", "strict", "duration", "start", "attempts", "message",
    "traceback", "stdout", "stderr", "logs", "path", "line", "tags", "extra",
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
) -> dict[str, Any]:
    """A record dict; ``message``/``traceback`` are omitted when None, like the Rust serializer."""
    rec: dict[str, Any] = {
        "id": id,
        "outcome": outcome,
        "flaky": flaky,
        "strict": strict,
        "duration": float(duration),
        "start": float(start),
        "attempts": int(attempts),
        "stdout": capture.text("stdout") if capture else "",
        "stderr": capture.text("stderr") if capture else "",
        "logs": list(capture.logs) if capture else [],
        "path": path,
        "line": int(line),
        "tags": sorted(set(tags or [])),
    }
    if message is not None:
        rec["message"] = sanitize(message)
    if traceback is not None:
        rec["traceback"] = sanitize(traceback)
    ex = dict(extra or {})
    if capture is not None and capture.logs_dropped:
        ex["logs_dropped"] = capture.logs_dropped
    if ex:
        rec["extra"] = ex
    return rec
