"""Outcome names and styles shared by every Python view (console, TUI). The
engine's `record::Outcome` is the source of truth; these mirror it, and the
engine's summary words (`report::summary`) come with the roles styled here."""

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


# How a view styles each role the engine gives a piece of summary text
# (`report::summary::Role`; a test checks this covers `_core.summary_roles()`).
ROLE_STYLE = {
    "": "",
    "passed": "green",
    "failed": "red",
    "error": "red",
    "timeout": "red",
    "crashed": "red",
    "skipped": "yellow",
    "xfailed": "yellow",
    "xpassed": "yellow",
    "cancelled": "magenta",
    "flaky": "yellow",
    "collection_error": "red",
    "run_error": "red",
    "benchmark": "cyan",
    "benchmark_error": "red",
    "regression": "red",
    "coverage_under": "red",
    "slow": "yellow",
    "leaked": "yellow",
    "uncollected": "yellow",
    "no_tests": "yellow",
    "verdict_passed": "bold green",
    "verdict_failed": "bold red",
    "verdict_interrupted": "bold magenta",
}


def is_failure(record: Mapping[str, Any]) -> bool:
    """Does this record make the run fail?"""
    outcome = record.get("outcome")
    return outcome in FAILING or (outcome == "xpassed" and bool(record.get("strict")))


def count(n: int, noun: str) -> str:
    """`1 run error`, `2 run errors`: how the views say how many."""
    return f"{n} {noun}" + ("s" if n != 1 else "")
