"""Spreading an entry's samples over several fresh processes, as pyperf does.

Why: a process's speed is offset by several percent for its whole life
(memory layout, hash seed, and on a VM whatever the host does). The
samples of one process all share that offset, so taking more of them does
not average it out; taking them from several processes does. On the
development VM, pyperf's two values per process agree within 0.1% while
its processes differ by up to 28% (docs/performance.md).

How: the bench worker imports the file and selects the entries as before,
then, for each group, runs `processes` rounds one after the other. A round
is a fresh `python -m dbtest.benchmark.child` process that runs the
group's setup hooks, measures the selected entries interleaved for their
share of the time and samples (dbtest.benchmark.interleave), runs the
teardown hooks and exits. The first round
calibrates the calls per sample; later rounds reuse that number. The bench
worker only waits meanwhile, so nothing runs at the same time as a
benchmark. Each entry gets one result: the samples of every round, in
order. The memory pass (`--bench-memory`) runs in the last round.

The child's protocol: the request is one JSON argument; messages are JSON
lines on the child's original stdout (the runner's messages). The user's
own prints go to stderr, whose last lines explain a child that crashed.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import tempfile
from collections import deque
from collections.abc import Callable
from typing import Any

from dbtest.benchmark.measure import Settings
from dbtest.execution import watch

Emit = Callable[[dict[str, Any]], Any]

_STDERR_LINES = 20


async def run_in_processes(
    root: str,
    path: str,
    ids: list[str],
    settings: Settings,
    options: dict[str, Any],
    emit: Callable[[dict[str, Any]], Any],
) -> dict[str, dict[str, Any]]:
    """Measure the entries `ids` (one group's, in order) over
    `settings.processes` fresh processes; return each id's combined result
    fields (`samples`, `rounds` and `process`: each sample's round and
    process index, `calls_per_sample`, `error`, `traceback`, `memory_peak`). Progress and run errors are passed to `emit` as they
    arrive, progress counting the samples of the earlier rounds too."""
    rounds = max(1, settings.processes)
    share = settings.per_process()
    combined: dict[str, dict[str, Any]] = {
        rid: {
            "samples": [],
            "rounds": [],
            "process": [],
            "calls_per_sample": 0,
            "error": None,
            "memory_peak": None,
        }
        for rid in ids
    }
    seen_errors: set[str] = set()
    for r in range(rounds):
        live = [rid for rid in ids if combined[rid]["error"] is None]
        if not live:
            break
        bench = {
            "time": share.time,
            "min_samples": share.min_samples,
            "warmup": share.warmup,
            "gc": settings.gc,
            "processes": 1,
            "memory": bool(options.get("memory")) and r == rounds - 1,
            "calls": {
                rid: combined[rid]["calls_per_sample"]
                for rid in live
                if combined[rid]["calls_per_sample"]
            },
        }
        if options.get("instrument"):
            # Counted in the child, which runs under callgrind (instrument.py).
            bench.update(instrument=options["instrument"], child=True)
        request = {"op": "run", "kind": "bench", "path": path, "ids": live, "bench": bench}
        reported: set[str] = set()
        # In announcement order; `sampling`: the entries sampled interleaved.
        started: list[str] = []
        sampling: set[str] = set()

        async def on_message(
            message: dict[str, Any],
            reported: set[str] = reported,
            started: list[str] = started,
            sampling: set[str] = sampling,
            r: int = r,
        ) -> None:
            ev = message.get("ev")
            rid = message.get("id")
            if ev == "bench_progress" and rid in combined:
                if rid in started:
                    started.remove(rid)
                started.append(rid)
                if message.get("phase") == "sampling":
                    sampling.add(rid)
                done = len(combined[rid]["samples"])
                phase = message.get("phase")
                if phase == "done" and r < rounds - 1:
                    phase = "sampling"  # more rounds to come
                await _emit(
                    emit,
                    {
                        **message,
                        "phase": phase,
                        "samples": done + int(message.get("samples", 0)),
                    },
                )
            elif ev == "bench_result" and rid in combined and rid not in reported:
                reported.add(rid)
                entry = combined[rid]
                if message.get("error"):
                    entry["error"] = message["error"]
                    entry["traceback"] = message.get("traceback")
                    return
                got = message.get("samples") or []
                entry["samples"].extend(got)
                # Which process and round each sample came from: the engine
                # pairs a group's samples by both.
                where = message.get("rounds") or []
                entry["rounds"].extend(where if len(where) == len(got) else range(len(got)))
                entry["process"].extend([r] * len(got))
                entry["calls_per_sample"] = entry["calls_per_sample"] or int(
                    message.get("calls_per_sample") or 0
                )
                if message.get("memory_peak") is not None:
                    entry["memory_peak"] = message["memory_peak"]
            elif ev == "phase":
                # The child's hooks are phases of the bench worker's unit.
                watching = watch.unit_watch.get()
                if watching is not None:
                    await _emit(emit, {**message, "unit": watching.unit})
            elif ev == "run_error":
                # Every round runs the same hooks: say a failure once.
                key = f"{message.get('scope')}\0{message.get('message')}"
                if key not in seen_errors:
                    seen_errors.add(key)
                    await _emit(emit, message)

        code, tail = await _run_child(
            root, request, on_message, r, options.get("valgrind") if bench.get("child") else None
        )
        missing = [rid for rid in live if rid not in reported]
        # A crash fails the entry it happened in: the last one announced
        # while entries are calibrated and warmed up one at a time, every
        # one sampled when it came during the interleaved rounds (which of
        # them cannot be told). The others are measured by the next rounds.
        # A crash before any entry started (the import, say) fails them all:
        # it would recur.
        blamed = [rid for rid in missing if rid in sampling]
        if not blamed:
            blamed = [rid for rid in started[-1:] if rid in missing]
        crashed = blamed or missing
        if crashed:
            why = f"the measuring process (round {r + 1} of {rounds}) exited with code {code}"
            if tail:
                why += f": {tail[-1]}"
            for rid in crashed:
                combined[rid]["error"] = why
                combined[rid]["traceback"] = "\n".join(tail) or None
    for fields in combined.values():
        if fields["error"] is None and not fields["samples"]:
            fields["error"] = "no samples: every measuring process exited before this entry"
    return combined


async def _emit(emit: Emit, message: dict[str, Any]) -> None:
    result = emit(message)
    if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
        await result


def _child_env(round_index: int) -> dict[str, str]:
    """The environment of round `round_index` (0-based)."""
    # The child must import this same dbtest, wherever the worker found it.
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ)
    env["PYTHONPATH"] = here + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    # The hash seed sets the layout of every dict, and with it a process's
    # speed: on the development VM a ~100 ns function varied 18% between
    # processes with random seeds and 2% with one fixed seed. Round r uses
    # seed r + 1 in every run, so each run averages over the same layouts
    # and two runs differ by the code, not by the draw of seeds. A seed the
    # user set is kept.
    env.setdefault("PYTHONHASHSEED", str(round_index + 1))
    return env


async def _run_child(
    root: str,
    request: dict[str, Any],
    on_message: Callable[[dict[str, Any]], Any],
    round_index: int = 0,
    valgrind: str | None = None,
) -> tuple[int, list[str]]:
    """Run one round (under callgrind with `valgrind`); feed its messages to
    `on_message`; return its exit code and the last lines of its stderr."""
    env = _child_env(round_index)
    prefix: list[str] = []
    scratch = None
    if valgrind:
        from dbtest.benchmark import instrument

        scratch = tempfile.mkdtemp(prefix="dbtest-callgrind-")
        prefix = instrument.command(valgrind, scratch)
        env[instrument.OUT_DIR_ENV] = scratch
    proc = await asyncio.create_subprocess_exec(
        *prefix,
        sys.executable,
        "-m",
        "dbtest.benchmark.child",
        root,
        json.dumps(request),
        cwd=root,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        limit=1 << 26,  # a result line holds every sample
    )
    tail: deque[str] = deque(maxlen=_STDERR_LINES)

    async def drain_stderr() -> None:
        assert proc.stderr is not None
        async for raw in proc.stderr:
            line = raw.decode(errors="replace").rstrip()
            if line:
                tail.append(line)

    stderr_task = asyncio.ensure_future(drain_stderr())
    try:
        assert proc.stdout is not None
        async for raw in proc.stdout:
            try:
                message = json.loads(raw)
            except ValueError:
                continue  # not ours: nothing else writes here, but never crash on it
            if isinstance(message, dict):
                result = on_message(message)
                if asyncio.iscoroutine(result):
                    await result
        code = await proc.wait()
        await stderr_task
    finally:
        if proc.returncode is None:
            # Cancelled (Ctrl-C, fail-fast): the round must not outlive us.
            proc.kill()
            await proc.wait()
        stderr_task.cancel()
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    return code, list(tail)
