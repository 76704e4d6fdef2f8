"""Runs one benchmark unit in the bench worker: import the file, find the
requested entries, measure each group's entries interleaved (one alone as
before), emit the results.

Request (from the scheduler, `kind: "bench"`):

    {"op": "run", "kind": "bench", "unit": 3, "path": "bench_x.py",
     "ids": ["bench_x.py", "bench_x.py::group", "bench_x.py::group::entry[n=10]"],
     "bench": {"time": 0.5, "min_samples": 20, "warmup": 0.02, "processes": 10,
               "quick": false, "gc": false, "memory": false}}

Every key of `bench` is optional; given keys override the group's own
settings, which override `config` (`{"time", "min_samples", "warmup"}` from
`[tool.dbtest]`), which overrides the defaults (`--quick` replaces the
defaults and the config with the quick preset and then applies the same
rule). With more than one
process, each group's entries are measured in fresh processes one after
the other (`dbtest.benchmark.processes`), which run this same module with
`processes: 1` and `calls: {id: calls per sample}` from the first round.
With `instrument: "instructions"` (and `valgrind`, its path), every
group is measured in such processes, run under callgrind, and counted
there (`dbtest.benchmark.instrument`); the child's request says `child`.

Messages emitted:

    {"ev": "bench_progress", "id", "phase", "samples"}
    {"ev": "bench_result", "id", "path", "group", "name", "params",
     "is_baseline", "samples", "rounds", "calls_per_sample", "error", "memory_peak"}

`rounds[i]` is the round sample i was taken in (dbtest.benchmark.interleave):
samples of a group's entries with the same round were taken side by side.
    {"ev": "run_error", "scope", "message", "traceback"}   (failing teardown)
"""

from __future__ import annotations

import asyncio
import inspect
import traceback
from collections.abc import Callable
from typing import Any

from dbtest import ids as id_grammar
from dbtest.benchmark.group import BenchEntry, BenchmarkGroup, registered_count, registered_since
from dbtest.benchmark.interleave import measure_interleaved
from dbtest.benchmark.measure import (
    DEFAULTS,
    QUICK,
    Measurement,
    Settings,
    measure,
    timer_resolution,
)
from dbtest.benchmark.memory import peak_per_call
from dbtest.benchmark.processes import run_in_processes
from dbtest.execution import watch
from dbtest.execution.outside_loop import outside_loop

Emit = Callable[[dict[str, Any]], Any]


def find_groups(module: Any, registered: list[BenchmarkGroup] = ()) -> list[BenchmarkGroup]:
    """Module-level groups (by scanning globals) plus explicitly registered
    ones, each once, in definition order."""
    found: list[BenchmarkGroup] = []
    for value in list(vars(module).values()) + list(registered):
        if isinstance(value, BenchmarkGroup) and not any(g is value for g in found):
            found.append(value)
    return found


def select_entries(
    path: str, groups: list[BenchmarkGroup], ids: list[str]
) -> tuple[list[BenchEntry], list[str]]:
    """Entries named by `ids` (exact or prefix: `path`, `path::group`,
    `path::group::entry` for all its parameter cases) plus their groups'
    baseline entries, in file order, and the ids that matched nothing."""
    wanted: list[BenchEntry] = []
    unmatched: list[str] = []
    entries = [e for g in groups for e in g.entries]
    for rid in ids:
        hits = []
        for e in entries:
            full = id_grammar.child(path, e.local_id)
            plain = id_grammar.join(path, [e.group.name, e.name])
            if rid in (path, full, plain, id_grammar.child(path, e.group.name)):
                hits.append(e)
        if not hits:
            unmatched.append(rid)
        for e in hits:
            if not any(w is e for w in wanted):
                wanted.append(e)
    # An entry is reported against its group's baseline: measure the baseline
    # too when only other entries were selected, or there is nothing to compare.
    for group in {id(e.group): e.group for e in wanted}.values():
        if group.baseline is None:
            continue
        for e in group.entries:
            if e.name == group.baseline and not any(w is e for w in wanted):
                wanted.append(e)
    order = {id(e): i for i, e in enumerate(entries)}
    wanted.sort(key=lambda e: order[id(e)])
    return wanted, unmatched


def settings_for(group: BenchmarkGroup, options: dict[str, Any]) -> Settings:
    if options.get("instrument"):
        from dbtest.benchmark import instrument

        # Counts, not seconds: the config's times do not apply.
        base = instrument.INSTRUCTIONS_QUICK if options.get("quick") else instrument.INSTRUCTIONS
    elif options.get("quick"):
        base = QUICK
    else:
        config = options.get("config") or {}
        base = DEFAULTS.merged(
            time=config.get("time"),
            min_samples=config.get("min_samples"),
            warmup=config.get("warmup"),
        )
    s = base.merged(
        time=group.time,
        min_samples=group.min_samples,
        warmup=group.warmup,
        processes=getattr(group, "processes", None),
    )
    if group.gc:
        s = s.merged(gc=True)
    return s.merged(
        time=options.get("time"),
        min_samples=options.get("min_samples"),
        warmup=options.get("warmup"),
        gc=options.get("gc") or None,
        processes=options.get("processes"),
    )


def _error_text(e: BaseException) -> str:
    text = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
    return text.strip().splitlines()[0] if text.strip() else type(e).__name__


async def _call_hook(hook: Callable[[], Any], what: str) -> None:
    async def call() -> None:
        result = outside_loop(hook)
        if inspect.isawaitable(result):
            await result

    await watch.phase(what, call, sync=not inspect.iscoroutinefunction(hook))


async def _sync(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


def _result(path: str, entry: BenchEntry | None, rid: str, **fields: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "ev": "bench_result",
        "id": rid,
        "path": path,
        "group": entry.group.name if entry else "",
        "name": entry.name if entry else "",
        "params": entry.params if entry else None,
        "is_baseline": entry.is_baseline if entry else False,
        "samples": [],
        "rounds": [],
        "calls_per_sample": 0,
        "error": None,
        "memory_peak": None,
    }
    d.update(fields)
    return d


async def _emit(emit: Emit, message: dict[str, Any]) -> None:
    result = emit(message)
    if inspect.isawaitable(result):
        await result


def _stamped(emit: Emit, instrument: str) -> Emit:
    """`emit` with every result saying what its samples count."""

    def stamped(message: dict[str, Any]) -> Any:
        if message.get("ev") == "bench_result":
            message = {**message, "instrument": instrument}
        return emit(message)

    return stamped


_unit_lock: asyncio.Lock | None = None


async def run_bench_unit(
    root: str, request: dict[str, Any], emit: Emit, stacks: dict[str, Any] | None = None
) -> None:
    """Run the benchmark entries of one request, one at a time, on the
    running event loop (the one loop async entries are awaited on).

    Units given to the same worker concurrently run one after the other:
    an async entry that yields must not let another entry run meanwhile.
    The import and the groups' hooks are phases (execution/watch.py);
    `stacks` is this process's stack-dump hook, in a measuring process.
    """
    global _unit_lock
    if _unit_lock is None:
        _unit_lock = asyncio.Lock()
    hung = frozenset(request.get("hung") or ())
    watch.unit_watch.set(
        watch.UnitWatch(
            emit, request.get("unit"), request.get("setup_timeout"), hung, stacks=stacks
        )
    )
    async with _unit_lock:
        await _run_unit(root, request, emit)


async def _run_unit(root: str, request: dict[str, Any], emit: Emit) -> None:
    from dbtest.execution.collect import import_file
    from dbtest.execution.item import ImportFailure

    path = request["path"]
    ids = list(request.get("ids") or [path])
    options = dict(request.get("bench") or {})
    for key in ("time", "min_samples", "warmup", "quick", "gc", "memory", "processes"):
        if key not in options and f"bench_{key}" in request:
            options[key] = request[f"bench_{key}"]

    if options.get("instrument"):
        emit = _stamped(emit, options["instrument"])
    before = registered_count()
    try:
        module = await watch.phase(
            f"import {path}", lambda: _sync(outside_loop, import_file, root, path), sync=True
        )
    except ImportFailure as e:
        for rid in ids:
            await _emit(emit, _result(path, None, rid, error=e.message, traceback=e.traceback))
        return
    groups = find_groups(module, registered_since(before))
    entries, unmatched = select_entries(path, groups, ids)
    for rid in unmatched:
        await _emit(emit, _result(path, None, rid, error=f"no benchmark entry matches {rid}"))

    resolution = timer_resolution()
    for group in groups:
        todo = [e for e in entries if e.group is group]
        if not todo:
            continue
        await _run_group(root, path, group, todo, options, resolution, emit)


async def _run_group(
    root: str,
    path: str,
    group: BenchmarkGroup,
    entries: list[BenchEntry],
    options: dict[str, Any],
    resolution: float,
    emit: Emit,
) -> None:
    settings = settings_for(group, options)
    # Counting instructions needs a process under valgrind: never this one.
    counting_here = options.get("instrument") and options.get("child")
    if settings.processes > 1 or (options.get("instrument") and not counting_here):
        await _run_group_in_processes(root, path, group, entries, settings, options, emit)
        return
    scope = id_grammar.child(path, group.name)
    if group.baseline is not None and not any(e.name == group.baseline for e in group.entries):
        names = ", ".join(sorted({e.name for e in group.entries}))
        await _emit(
            emit,
            {
                "ev": "run_error",
                "scope": scope,
                "message": f"baseline {group.baseline!r} is not an entry of group "
                f"{group.name!r} (entries: {names}); nothing is compared",
                "traceback": None,
            },
        )
    for hook in group.setup_hooks:
        try:
            await _call_hook(hook, f"setup of benchmark group {scope}")
        except Exception as e:  # noqa: BLE001 - the user's setup failed: every entry says so
            message = f"group setup failed: {_error_text(e)}"
            tb = traceback.format_exc()
            if isinstance(e, watch.PhaseTimeout):
                message, tb = str(e), e.stack or None
            for entry in entries:
                rid = id_grammar.child(path, entry.local_id)
                await _emit(emit, _result(path, entry, rid, error=message, traceback=tb))
            return
    calls = options.get("calls") or {}
    memory = bool(options.get("memory"))
    try:
        if len(entries) > 1 and not counting_here:
            await _run_interleaved(path, entries, settings, memory, resolution, emit, calls)
        else:
            # Counted instructions do not drift with the machine: the entries
            # are counted one after the other, each with its own batches.
            for entry in entries:
                fixed = calls.get(id_grammar.child(path, entry.local_id))
                await _run_entry(
                    path,
                    entry,
                    settings,
                    memory,
                    resolution,
                    emit,
                    fixed,
                    counting=bool(counting_here),
                )
    finally:
        for hook in group.teardown_hooks:
            try:
                await _call_hook(hook, f"teardown of benchmark group {scope}")
            except Exception as e:  # noqa: BLE001
                await _emit(
                    emit,
                    {
                        "ev": "run_error",
                        "scope": scope,
                        "message": f"group teardown failed: {_error_text(e)}",
                        "traceback": traceback.format_exc(),
                    },
                )


async def _run_entry(
    path: str,
    entry: BenchEntry,
    settings: Settings,
    memory: bool,
    resolution: float,
    emit: Emit,
    calls: int | None = None,
    counting: bool = False,
) -> None:
    rid = id_grammar.child(path, entry.local_id)
    func = entry.bound()
    pending: list[Any] = []

    def progress(phase: str, samples: int) -> None:
        # The worker's emit is synchronous: progress is written as it
        # happens. An async emit is awaited once the entry is measured.
        result = emit({"ev": "bench_progress", "id": rid, "phase": phase, "samples": samples})
        if inspect.isawaitable(result):
            pending.append(result)

    async def flush() -> None:
        while pending:
            await pending.pop(0)

    try:
        if counting:
            from dbtest.benchmark.instrument import count

            m: Measurement = await count(func, settings, progress=progress, calls=calls)
        else:
            m = await measure(func, settings, progress=progress, resolution=resolution, calls=calls)
    except Exception as e:  # noqa: BLE001 - a failing entry records its error; others still run
        await flush()
        await _emit(
            emit, _result(path, entry, rid, error=_error_text(e), traceback=traceback.format_exc())
        )
        return
    await flush()
    await _emit_measured(path, entry, rid, func, m, memory, emit)


async def _emit_measured(
    path: str,
    entry: BenchEntry,
    rid: str,
    func: Callable[[], Any],
    m: Measurement,
    memory: bool,
    emit: Emit,
) -> None:
    """The result of a measured entry, after its memory pass if asked."""
    peak = None
    if memory:
        await _emit(emit, {"ev": "bench_progress", "id": rid, "phase": "memory", "samples": 0})
        try:
            peak = await peak_per_call(func)
        except Exception:  # noqa: BLE001 - it ran fine when timed; report timings anyway
            peak = None
    await _emit(
        emit,
        _result(
            path,
            entry,
            rid,
            samples=m.samples,
            rounds=m.rounds,
            calls_per_sample=m.calls_per_sample,
            memory_peak=peak,
        ),
    )


async def _run_interleaved(
    path: str,
    entries: list[BenchEntry],
    settings: Settings,
    memory: bool,
    resolution: float,
    emit: Emit,
    calls: dict[str, int],
) -> None:
    """A group's entries sampled round-robin (dbtest.benchmark.interleave)."""
    rids = [id_grammar.child(path, e.local_id) for e in entries]
    funcs = [e.bound() for e in entries]
    pending: list[Any] = []

    def progress_of(rid: str) -> Callable[[str, int], None]:
        def progress(phase: str, samples: int) -> None:
            result = emit({"ev": "bench_progress", "id": rid, "phase": phase, "samples": samples})
            if inspect.isawaitable(result):
                pending.append(result)

        return progress

    outcomes = await measure_interleaved(
        funcs,
        settings,
        progress=[progress_of(rid) for rid in rids],
        resolution=resolution,
        calls=[calls.get(rid) for rid in rids],
    )
    while pending:
        await pending.pop(0)
    for entry, rid, func, got in zip(entries, rids, funcs, outcomes, strict=True):
        if isinstance(got, BaseException):
            tb = "".join(traceback.format_exception(got))
            await _emit(emit, _result(path, entry, rid, error=_error_text(got), traceback=tb))
        else:
            await _emit_measured(path, entry, rid, func, got, memory, emit)


async def _run_group_in_processes(
    root: str,
    path: str,
    group: BenchmarkGroup,
    entries: list[BenchEntry],
    settings: Settings,
    options: dict[str, Any],
    emit: Emit,
) -> None:
    """The group's entries measured over `settings.processes` fresh
    processes (dbtest.benchmark.processes); one result per entry."""
    ids = [id_grammar.child(path, e.local_id) for e in entries]
    combined = await run_in_processes(root, path, ids, settings, options, emit)
    for entry, rid in zip(entries, ids, strict=True):
        fields = combined[rid]
        if fields["error"] is not None:
            fields = {**fields, "samples": [], "rounds": [], "process": []}
            fields.update(calls_per_sample=0, memory_peak=None)
        await _emit(emit, _result(path, entry, rid, **fields))
