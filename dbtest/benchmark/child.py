"""A measuring process's entry point: `python -m dbtest.benchmark.child ROOT
REQUEST_JSON`, started by dbtest.benchmark.processes for each round.

Why a module of its own: the child runs the unit (dbtest.benchmark.runner),
which starts the rounds (dbtest.benchmark.processes); the entry point beside
the parent's side made the two modules import each other.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

from dbtest.benchmark.runner import run_bench_unit
from dbtest.execution.stacks import StackDump


def child_main(argv: list[str]) -> int:
    """One round, in a fresh process: `python -m dbtest.benchmark.child
    ROOT REQUEST_JSON`. Messages go to the original stdout; the user's
    prints are sent to stderr so they cannot corrupt the protocol."""
    if len(argv) != 2:
        print("usage: python -m dbtest.benchmark.child ROOT REQUEST_JSON", file=sys.stderr)
        return 2
    root, raw = argv
    request = json.loads(raw)
    out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def emit(message: dict[str, Any]) -> None:
        out.write(json.dumps(message) + "\n")

    # Its phases (the group's hooks) name this process's stack-dump hook:
    # a hook that hangs here shows its own line, not the bench worker's wait.
    dump = StackDump()
    try:
        asyncio.run(run_bench_unit(root, request, emit, stacks=dump.describe()))
    finally:
        dump.close()
    out.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(child_main(sys.argv[1:]))
