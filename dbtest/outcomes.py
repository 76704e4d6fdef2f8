"""Outcome names shared by every Python view (console, TUI). The engine's
`record::Outcome` is the source of truth; these mirror it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Display order: good news first, then what needs attention.
ORDER = (
    "passed",
    "failed",
    "error",
    "timeout",
    "crashed",
    "skipped",
    "xfailed",
    "xpassed",
    "cancelled",
)

# Outcomes that make a run fail (a strict `xpassed` does too).
FAILING = frozenset({"failed", "error", "timeout", "crashed"})


def is_failure(record: Mapping[str, Any]) -> bool:
    """Does this record make the run fail?"""
    outcome = record.get("outcome")
    return outcome in FAILING or (outcome == "xpassed" and bool(record.get("strict")))


def count(n: int, noun: str) -> str:
    """`1 run error`, `2 run errors`: how the views say how many."""
    return f"{n} {noun}" + ("s" if n != 1 else "")
