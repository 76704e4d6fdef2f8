"""The runner against the performance targets of issue 4, compared in one run
with pytest (+ pytest-asyncio), pytest-xdist and karva when they are installed.

Every figure is the whole-process wall time of a fresh command (default
settings, output to a file) on a corpus from `perf/workloads_runner.py`, the
median of `--repeat` timed runs after one untimed warm-up run (which also fills
dbtest's and karva's duration caches, as in everyday use). Workloads:

- `async`: 100 async tests awaiting `asyncio.sleep(0.01)`, 10 files;
- `cpu`: 40 tests of a pure-Python loop calibrated to ~10 ms, 4 files;
- `trivial`: 10,000 trivial tests in 1,000 files;
- `huge`: 100,000 tests in 10,000 files, with peak memory;
- `overhead`: scheduler overhead per test, the marginal cost of a test under
  `dbtest -j 1` minus its marginal cost run directly by the executor
  (`dbtest.execution.run_in_process`) in one process.

`--doc` rewrites the "Runner" section of docs/performance.md with the results.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from perf import workloads_runner as wl
from perf.run import Row, user_env

DESCRIPTION = "runner wall time (async, cpu, 10k, 100k, overhead) vs pytest, xdist, karva"

WORKLOADS = ("async", "cpu", "trivial", "huge", "overhead")
REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "performance.md"
BIN = Path(sys.executable).parent


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--repeat", type=int, default=9, help="timed runs per figure (median)")
    p.add_argument(
        "--slow-repeat", type=int, default=3, help="timed runs for pytest/xdist on 10k tests"
    )
    p.add_argument("--huge-repeat", type=int, default=2, help="timed runs of the 100k case")
    p.add_argument(
        "--cpu-repeat",
        type=int,
        default=15,
        help="timed runs of the CPU-bound suite (its ratios are the noisiest figures)",
    )
    p.add_argument(
        "--only", default=",".join(WORKLOADS), help=f"comma list of {', '.join(WORKLOADS)}"
    )
    p.add_argument("--no-compare", action="store_true", help="dbtest only")
    p.add_argument(
        "--quick", action="store_true", help="3 runs, no 100k case, no pytest on 10k (~2 min)"
    )
    p.add_argument("--doc", action="store_true", help="rewrite the Runner section of the doc")


# --- running commands -------------------------------------------------------


@dataclass
class Tool:
    """A command line to compare, or why it cannot run here."""

    label: str
    argv: list[str] | None
    missing: str = ""


def _exe(name: str) -> str | None:
    p = BIN / name
    return str(p) if p.exists() else shutil.which(name)


def _has_module(mod: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(mod) is not None


def _env() -> dict[str, str]:
    env = user_env()
    # karva finds its `karva-worker` binary on PATH or in $VIRTUAL_ENV only.
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(BIN.parent)
    env.pop("CI", None)
    env.pop("PYTEST_ADDOPTS", None)
    return env


BARE_1 = "no runner, 1 process"
BARE_2 = "no runner, 2 processes"


def tools(kind: str, *, compare: bool) -> list[Tool]:
    """The commands for a workload; `kind` is async, cpu or trivial."""
    dbtest = _exe("dbtest")
    out = [Tool("dbtest", [dbtest, "--headless"] if dbtest else None, "not installed")]
    if kind == "cpu":
        out = [
            Tool("dbtest -j 1", [dbtest, "--headless", "-j", "1"] if dbtest else None),
            Tool("dbtest -j 2", [dbtest, "--headless", "-j", "2"] if dbtest else None),
        ]
    if kind in ("cpu", "trivial") and dbtest:
        # The same with every worker spawned, none forked (docs/architecture.md).
        spawned = ["env", "DBTEST_PREFORK=0"]
        out += [Tool(f"{t.label}, DBTEST_PREFORK=0", [*spawned, *t.argv]) for t in out if t.argv]
    if kind == "cpu":
        # The machine's ceiling: the same files with no runner (perf/bare_parallel.py).
        bare = [sys.executable, str(Path(__file__).with_name("bare_parallel.py")), "."]
        out += [
            Tool(BARE_1, [*bare, "--processes", "1"]),
            Tool(BARE_2, [*bare, "--processes", "2"]),
        ]
    if not compare:
        return out
    pytest = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"]
    if kind == "async" and not _has_module("pytest_asyncio"):
        out.append(Tool("pytest + pytest-asyncio", None, "pytest-asyncio not installed"))
    elif _has_module("pytest"):
        label = "pytest + pytest-asyncio" if kind == "async" else "pytest"
        out.append(Tool(label, pytest))
    else:
        out.append(Tool("pytest", None, "not installed"))
    if _has_module("xdist") and _has_module("pytest"):
        out.append(Tool("pytest-xdist -n 2", [*pytest, "-n", "2"]))
    else:
        out.append(Tool("pytest-xdist -n 2", None, "not installed"))
    karva = _exe("karva")
    if karva and _exe("karva-worker"):
        # karva runs one worker per core by default, like dbtest.
        out.append(Tool("karva", [karva, "test"]))
        if kind == "cpu":
            out.append(Tool("karva -n 1", [karva, "test", "-n", "1"]))
    else:
        out.append(Tool("karva", None, "not installed"))
    return out


class Failed(Exception):
    """A command exited non-zero or did not run every test."""


def run_once(argv: list[str], cwd: Path, expect: int) -> float:
    """Wall time (s) of one run; raises Failed unless it exits 0 with `expect` passed."""
    with tempfile.TemporaryFile() as out:
        t = time.perf_counter()
        rc = subprocess.run(
            argv, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=_env()
        ).returncode
        wall = time.perf_counter() - t
        out.seek(0)
        text = out.read().decode(errors="replace")
    passed = max((int(n) for n in re.findall(r"(\d+) passed", text)), default=-1)
    if rc != 0 or passed != expect:
        tail = " | ".join(text.strip().splitlines()[-3:])[:200]
        raise Failed(f"rc={rc}, {passed} passed of {expect}: {tail}")
    return wall


def measure(tool: Tool, cwd: Path, expect: int, repeat: int) -> tuple[float | None, str, int]:
    """(median s or None, note, runs) of a tool on a corpus, after one warm-up run."""
    return measure_interleaved([tool], cwd, expect, [repeat])[0]


def measure_interleaved(
    tools: list[Tool], cwd: Path, expect: int, repeats: list[int]
) -> list[tuple[float | None, str, int]]:
    """`measure` for several tools at once: after a warm-up run of each,
    their timed runs take turns (one of each, `repeats[i]` for tool i), so a
    burst of load on a shared machine touches every tool a little instead
    of one tool's whole block."""
    samples: list[list[float]] = [[] for _ in tools]
    notes = ["" for _ in tools]
    live = []
    for i, tool in enumerate(tools):
        if tool.argv is None or None in tool.argv:
            notes[i] = tool.missing or "not installed"
            continue
        try:
            run_once(tool.argv, cwd, expect)
        except Failed as e:
            notes[i] = f"failed: {e}"
            continue
        live.append(i)
    for k in range(max(repeats, default=0)):
        for i in list(live):
            if k >= repeats[i]:
                continue
            argv = tools[i].argv
            assert argv is not None
            try:
                samples[i].append(run_once(argv, cwd, expect))
            except Failed as e:
                notes[i] = f"failed: {e}"
                samples[i] = []
                live.remove(i)
    return [
        (statistics.median(got), "", len(got)) if got else (None, notes[i], 0)
        for i, got in enumerate(samples)
    ]


def _progress(line: str) -> None:
    # Results print at the end; this shows a long run is moving.
    print(f"  .. {line}", file=sys.stderr, flush=True)


# --- memory of a process tree -----------------------------------------------


def _tree_rss_kb(root_pid: int) -> int:
    """Sum of VmRSS (kB) over `root_pid` and all its descendants, from /proc."""
    parent: dict[int, int] = {}
    rss: dict[int, int] = {}
    page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: split after the last ")".
        fields = stat[stat.rfind(b")") + 2 :].split()
        pid = int(d)
        parent[pid] = int(fields[1])
        rss[pid] = int(fields[21]) * page_kb
    total, stack = 0, [root_pid]
    children: dict[int, list[int]] = {}
    for pid, ppid in parent.items():
        children.setdefault(ppid, []).append(pid)
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, ()))
    return total


def run_with_memory(argv: list[str], cwd: Path, expect: int) -> tuple[float, int, int]:
    """(wall s, peak tree RSS kB sampled every 50 ms, max RSS kB of the CLI process
    and of its largest reaped descendant (wait4's ru_maxrss))."""
    with tempfile.TemporaryFile() as out:
        t = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=_env())
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.05):
                peak[0] = max(peak[0], _tree_rss_kb(proc.pid))

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        done.set()
        th.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode(errors="replace")
    passed = max((int(n) for n in re.findall(r"(\d+) passed", text)), default=-1)
    if proc.returncode != 0 or passed != expect:
        tail = " | ".join(text.strip().splitlines()[-3:])[:200]
        raise Failed(f"rc={proc.returncode}, {passed} passed of {expect}: {tail}")
    return wall, peak[0], usage.ru_maxrss


# --- workloads ---------------------------------------------------------------


def _compare_rows(
    title: str, root: Path, expect: int, kind: str, args: argparse.Namespace, repeat: int
) -> list[Row]:
    rows = []
    compared = tools(kind, compare=not args.no_compare)
    repeats = [
        args.slow_repeat if kind == "trivial" and t.label.startswith("pytest") else repeat
        for t in compared
    ]
    measured = measure_interleaved(compared, root, expect, repeats)
    for tool, (med, note, runs) in zip(compared, measured, strict=True):
        _progress(f"{title}: {tool.label}: " + (f"{med:.3f} s" if med is not None else note))
        rows.append(
            Row(
                f"{title}: {tool.label}",
                med * 1e3 if med is not None else float("nan"),
                unit="ms",
                runs=runs,
                note=note,
                extra={"tool": tool.label, "workload": kind, "argv": tool.argv and tool.argv[1:]},
            )
        )
    return rows


def _get(rows: list[Row], label: str) -> float | None:
    for r in rows:
        if r.extra.get("tool") == label and r.median == r.median:  # not NaN
            return r.median
    return None


def bench_async(args: argparse.Namespace) -> list[Row]:
    root = wl.async_sleep(10, 10, 0.01)
    rows = _compare_rows("100 async sleeps", root, 100, "async", args, args.repeat)
    rows[0].target = 250.0
    return rows


def bench_cpu(args: argparse.Namespace) -> list[Row]:
    root, iters = wl.cpu(4, 10, 0.01)
    rows = _compare_rows("40 cpu tests", root, 40, "cpu", args, args.cpu_repeat)
    for r in rows:
        r.note = (r.note + f" loop={iters} iterations").strip()
    j1, j2, karva = _get(rows, "dbtest -j 1"), _get(rows, "dbtest -j 2"), _get(rows, "karva")
    b1, b2 = _get(rows, BARE_1), _get(rows, BARE_2)
    if j1 and j2:
        rows.append(
            Row(
                "40 cpu tests: wall -j 2 / -j 1",
                j2 / j1,
                unit="x",
                runs=args.cpu_repeat,
                target=round(1 / 1.8, 3),
                note=f"speed-up {j1 / j2:.2f}x (target >= 1.8x)",
            )
        )
    if b1 and b2:
        # What two processes give over one on this machine, with no runner.
        rows.append(
            Row(
                "40 cpu tests: machine ceiling, no runner 2 / 1",
                b2 / b1,
                unit="x",
                runs=args.cpu_repeat,
                note=f"speed-up {b1 / b2:.2f}x: the best any runner can show here",
            )
        )
    karva1 = _get(rows, "karva -n 1")
    if karva and karva1:
        rows.append(
            Row(
                "40 cpu tests: karva 2 / 1",
                karva / karva1,
                unit="x",
                runs=args.cpu_repeat,
                note=f"speed-up {karva1 / karva:.2f}x",
            )
        )
    if j2 and karva:
        rows.append(
            Row(
                "40 cpu tests: wall dbtest / karva",
                j2 / karva,
                unit="x",
                runs=args.cpu_repeat,
                target=1.0,
                note="default workers both",
            )
        )
    return rows


def bench_trivial(args: argparse.Namespace) -> list[Row]:
    root = wl.trivial(1000, 10)
    if args.quick:
        args = argparse.Namespace(**{**vars(args), "slow_repeat": 1})
    rows = _compare_rows("10k trivial", root, 10_000, "trivial", args, args.repeat)
    db, karva = _get(rows, "dbtest"), _get(rows, "karva")
    if db and karva:
        rows.append(
            Row(
                "10k trivial: wall dbtest / karva",
                db / karva,
                unit="x",
                runs=args.repeat,
                target=0.5,
            )
        )
    return rows


def bench_huge(args: argparse.Namespace) -> list[Row]:
    root = wl.trivial(10_000, 10)
    dbtest = _exe("dbtest")
    if not dbtest:
        return [Row("100k tests: dbtest", float("nan"), note="not installed")]
    argv = [dbtest, "--headless"]
    try:
        run_with_memory(argv, root, 100_000)  # warm-up: page cache, duration cache
        samples = [run_with_memory(argv, root, 100_000) for _ in range(args.huge_repeat)]
    except Failed as e:
        return [Row("100k tests: dbtest", float("nan"), note=f"failed: {e}")]
    n = len(samples)
    return [
        Row("100k tests: dbtest wall", statistics.median(s[0] for s in samples) * 1e3, runs=n),
        Row(
            "100k tests: peak RSS, whole tree",
            max(s[1] for s in samples) / 1024,
            unit="MB",
            runs=n,
            note="sum of VmRSS over the CLI and its workers, sampled every 50 ms",
        ),
        Row(
            "100k tests: max RSS, largest process",
            max(s[2] for s in samples) / 1024,
            unit="MB",
            runs=n,
            note="ru_maxrss from wait4 (= /usr/bin/time -v): CLI or a worker",
        ),
    ]


_DIRECT = """\
import sys
from dbtest.execution import run_in_process
root, files = sys.argv[1], sys.argv[2:]
events = run_in_process(root, [{"path": f, "ids": [f]} for f in files])
ok = sum(1 for e in events if e.get("ev") == "finished" and e["record"]["outcome"] == "passed")
print(f"{ok} passed")
"""


def bench_overhead(args: argparse.Namespace) -> list[Row]:
    """Marginal per-test cost under `dbtest -j 1` minus the executor's own, in µs."""
    dbtest = _exe("dbtest")
    if not dbtest:
        return [Row("overhead per test", float("nan"), unit="us", note="not installed")]
    sizes = [(100, 10), (1000, 10)]
    walls: dict[str, list[float]] = {"dbtest": [], "direct": [], "discover": []}
    counts = []
    from dbtest import _core  # noqa: F401 - fail early if the extension is missing

    for files, per in sizes:
        root = wl.trivial(files, per)
        n = files * per
        counts.append(n)
        rel = wl.test_files(root)
        direct = Tool("direct", [sys.executable, "-c", _DIRECT, str(root), *rel])
        db = Tool("dbtest -j 1", [dbtest, "--headless", "-j", "1"])
        for key, tool in (("dbtest", db), ("direct", direct)):
            med, note, _ = measure(tool, root, n, args.repeat)
            if med is None:
                return [Row("overhead per test", float("nan"), unit="us", note=f"{key}: {note}")]
            walls[key].append(med)
        walls["discover"].append(_discover_ms(root, args.repeat) / 1e3)
    dn = counts[1] - counts[0]
    d_db = walls["dbtest"][1] - walls["dbtest"][0]
    d_direct = walls["direct"][1] - walls["direct"][0]
    d_disc = walls["discover"][1] - walls["discover"][0]
    marginal = (d_db - d_direct) / dn * 1e6
    sched = (d_db - d_direct - d_disc) / dn * 1e6
    fixed = (walls["dbtest"][1] - walls["direct"][1]) / counts[1] * 1e6
    detail = {
        "sizes": counts,
        "dbtest_j1_s": walls["dbtest"],
        "direct_s": walls["direct"],
        "discover_s": walls["discover"],
    }
    return [
        Row(
            "overhead per test: scheduler + protocol",
            sched,
            unit="us",
            runs=args.repeat,
            target=50.0,
            note="marginal, 1k->10k tests, discovery+parse subtracted",
            extra=detail,
        ),
        Row(
            "overhead per test: incl. discovery+parse",
            marginal,
            unit="us",
            runs=args.repeat,
            note="marginal, 1k->10k tests",
            extra=detail,
        ),
        Row(
            "overhead per test: whole run / N",
            fixed,
            unit="us",
            runs=args.repeat,
            note="(dbtest -j 1 - direct) / 10k, incl. fixed start-up",
            extra=detail,
        ),
    ]


def _discover_ms(root: Path, repeat: int) -> float:
    """Median engine time (ms) of discovery + static parse of a corpus, in this process."""
    import json

    from dbtest import _core

    samples = []
    for _ in range(repeat + 1):
        t = time.perf_counter()
        json.loads(_core.discover(root_dir=str(root)))
        samples.append((time.perf_counter() - t) * 1e3)
    return statistics.median(samples[1:])


def breakdown() -> list[Row]:
    """Fixed start-up costs that every dbtest run pays, for the doc."""
    dbtest = _exe("dbtest")
    py = sys.executable
    cases = [
        ("python -c pass", [py, "-c", "pass"]),
        (
            "import the run path (CLI start-up to start_run)",
            [py, "-c", "import dbtest.cli.run_args, dbtest.cli.run_exec, dbtest.runner"],
        ),
        ("import rich + the console (after start_run)", [py, "-c", "import dbtest.cli.console"]),
        ("import typer (--help, declined command lines)", [py, "-c", "import typer"]),
        ("import asyncio", [py, "-c", "import asyncio"]),
        (
            "import the worker's modules (the zygote's work)",
            [py, "-c", "import dbtest.execution.executor, dbtest.worker, runpy"],
        ),
        ("worker start + shutdown", [py, "-c", _WORKER]),
        ("git rev-parse HEAD", ["git", "rev-parse", "HEAD"]),
    ]
    if dbtest:
        cases.append(("dbtest run --help", [dbtest, "run", "--help"]))
    rows = []
    for name, argv in cases:
        samples = []
        for _ in range(6):
            t = time.perf_counter()
            subprocess.run(argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            samples.append((time.perf_counter() - t) * 1e3)
        rows.append(Row(f"start-up: {name}", statistics.median(samples[1:]), runs=5))
    return rows


_WORKER = """\
import subprocess, sys
p = subprocess.Popen([sys.executable, "-m", "dbtest.worker"], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE)
p.stdout.readline()
p.stdin.write(b'{"op": "shutdown"}\\n'); p.stdin.close(); p.wait()
"""


def run(args: argparse.Namespace) -> list[Row]:
    if args.quick:
        args.repeat = min(args.repeat, 3)
        args.cpu_repeat = min(args.cpu_repeat, 3)
        args.slow_repeat = 1
    only = [w.strip() for w in args.only.split(",") if w.strip()]
    bad = [w for w in only if w not in WORKLOADS]
    if bad:
        raise SystemExit(f"bench_runner: unknown workload {bad[0]!r}; choose from {WORKLOADS}")
    if args.quick and "huge" in only:
        only.remove("huge")
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    rows: list[Row] = []
    fns = {
        "async": bench_async,
        "cpu": bench_cpu,
        "trivial": bench_trivial,
        "huge": bench_huge,
        "overhead": bench_overhead,
    }
    for name in only:
        rows += fns[name](args)
    rows += breakdown()
    elapsed = time.perf_counter() - t0
    load1 = os.getloadavg()[0]
    print(f"  (benchmark took {elapsed:.0f} s; 1-min load average {load0:.2f} -> {load1:.2f})")
    if args.doc:
        write_doc(rows, args, (load0, load1), elapsed)
    return rows


# --- the doc -------------------------------------------------------------------


def _fmt(r: Row) -> str:
    if r.median != r.median:
        return "—"
    if r.unit == "ms":
        return f"{r.median / 1e3:.2f} s" if r.median >= 1000 else f"{r.median:.0f} ms"
    if r.unit == "x":
        return f"{r.median:.2f}"
    return f"{r.median:.1f} {r.unit.replace('us', 'µs')}"


def render(
    rows: list[Row], args: argparse.Namespace, load: tuple[float, float], took: float
) -> str:
    """The Runner section as Markdown."""
    today = dt.date.today().isoformat()
    cmd = "python -m perf.run runner --doc" + (" --quick" if args.quick else "")
    import platform

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    lines = [
        "## Runner",
        "",
        f"Measured {today} on a {cpus}-core Linux machine (Python {platform.python_version()}),"
        f" 1-minute load average {load[0]:.1f} before and {load[1]:.1f} after"
        " (the machine is shared: figures are medians, read them as such).",
        f"Reproduce with `{cmd}` (or `make perf` for every benchmark); the run took {took:.0f} s.",
        "",
        "Every figure is the whole-process wall time of a fresh command with default settings"
        " (dbtest `--headless`, output to a file), the median of the runs shown after one"
        " untimed warm-up run, the tools of a workload taking turns run by run, on corpora"
        " generated by `perf/workloads_runner.py` under `perf/corpora/`. Tests are plain module-level functions, so pytest, pytest-xdist and"
        " karva run the same files (pytest-asyncio in `asyncio_mode = auto`).",
        "",
        "| figure | result | runs | target | verdict | note |",
        "|---|---:|---:|---|---|---|",
    ]
    for r in rows:
        target = ""
        if r.target is not None:
            target = f"≤ {r.target:g} {r.unit.replace('us', 'µs')}".replace(" x", "")
        lines.append(f"| {r.name} | {_fmt(r)} | {r.runs} | {target} | {r.verdict} | {r.note} |")
    lines += ["", _METHOD.strip(), "", _PROFILE.strip(), ""]
    return "\n".join(lines)


_METHOD = """
How to read it:

- `wall -j 2 / -j 1` is the time ratio (target ≤ 0.556, i.e. a speed-up of at
  least 1.8x); `wall dbtest / karva` is the ratio of medians (≤ 0.5 on 10k tests,
  ≤ 1 on the CPU-bound suite).
- **No runner, 1 / 2 processes** (`perf/bare_parallel.py`) run the CPU-bound
  files with nothing but one interpreter and a fork; their ratio, the
  "machine ceiling", is the best speed-up any runner can show on this
  machine during the run, and it moves with the load of the shared host.
- **Peak memory (100k)**: "whole tree" samples `/proc/*/stat` every 50 ms and
  sums the resident set of the `dbtest` CLI process and all its descendants
  (the workers); "largest process" is `ru_maxrss` from `wait4` on the CLI, which
  is what `/usr/bin/time -v` prints as "Maximum resident set size": the largest
  of the CLI and its reaped workers, not their sum.
- **Scheduler overhead per test**: the same trivial corpora of 1,000 (100 files)
  and 10,000 tests (1,000 files) are run by `dbtest --headless -j 1` and
  directly by the executor in one process (`python -c` calling
  `dbtest.execution.run_in_process` with one request per file). The marginal
  cost per test is the difference of the two slopes,
  `((dbtest(10k) - dbtest(1k)) - (direct(10k) - direct(1k))) / 9,000`, which
  cancels fixed start-up costs (CLI import, worker spawn). The first row also
  subtracts the slope of discovery + static parse (`_core.discover`, in
  process), leaving scheduling, the worker protocol, event delivery and the
  console; the second keeps it; the third is the plain
  `(dbtest(10k) - direct(10k)) / 10,000`, fixed costs included.
- **Start-up** rows are the fixed costs behind the small workloads: each is the
  median wall time of a bare command.
"""


_PROFILE = """
### Where the time goes, what was fixed, what is left

Profiled with `perf record` (per process and thread), `py-spy`, cProfile of
the executor over the 1,000-file corpus in one process, `strace -c` and the
`start`/`duration`/`worker` fields of the JSON report. On 10,000 trivial
tests, before this round: 1.2 s wall and ~2 s of CPU (workers 62%, CLI 24%,
scheduler thread 11%). What changed, in order of effect:

- **Executor fast path** (`dbtest/execution/executor.py::_attempt_plain`): a
  sync test with no fixtures and no per-test hooks runs inline, without a
  task, fixture scopes or the sync lock. Items of undecorated tests skip the
  marks machinery; capture buffers are created on first write. Executor cost
  per trivial test: ~55 to ~31 µs of CPU, import included.
- **Cheaper protocol.** Wire records leave out fields at their default; the
  two per-test messages are formatted directly (`json.dumps` cost ~4 µs
  each) and read by the scheduler without serde's buffering of tagged enums;
  a passing test's `finished` travels with the next `started` in one write
  (never held across user code: `dbtest/worker.py::Outbox`); requests are read
  on the worker's event loop instead of a thread that took the GIL.
- **Less for the CLI to do.** Common command lines are parsed without typer
  (`dbtest/cli/run_args.py`; ~45 ms); the console reads lean progress events
  and the report's highlights instead of every record (the report's
  `json.loads` alone was 27 ms); event batches gather for 5 ms instead of
  waking Python ~2,500 times; git is asked for the commit on a thread.
- **Scheduler.** A full worker no longer scans 256 queued units for every
  message (~10 M closure calls); exclusive units are sent ahead by recorded
  work (up to 16 while under 20 ms) and round-robin, so workers no longer
  starve while the scheduler waits for a core (0.45 to 0.41 s); chunks of
  module-level functions are sized by recorded duration, so 10 ms tests
  travel one by one and spread evenly at the end.
- **Exits.** Workers and the CLI `gc.freeze()` before exiting: the last
  collection walked every object of 1,000 test modules (20 ms to 5 ms).
- **Start-up.** No `typing` import before the workers are started, no
  `unittest` import in workers that do not use it; the run starts before
  rich is imported, and a plain passing run never imports it.
- **Forked workers** (third session; `dbtest/cli/prefork.py`,
  docs/architecture.md). A spawned worker needs ~60 ms before its first
  test (the interpreter, then ~50 ms of imports, most of it asyncio), and
  with `-j 2` two of them and the CLI shared two cores. Now the CLI forks a
  zygote right after its interpreter starts; the zygote imports the worker's
  modules once, on the other core, and forks the workers. Interleaved A/B
  against `DBTEST_PREFORK=0` (every worker spawned), medians of 20 runs
  each (15 for 10k), load 1.1-1.7: 40 CPU-bound tests `-j 1` 513 against
  524 ms and `-j 2` 298 against 316 ms (speed-up 1.72x against 1.66x in
  that session), 10k trivial tests 352 against 389 ms. The
  `DBTEST_PREFORK=0` rows above are the same comparison within this run;
  with 5 runs each, a 10-20 ms difference on the CPU-bound suite is within
  the noise of this machine.

What is left, and why one target is still missed:

- **`-j 2` / `-j 1` on 40 CPU-bound tests (1.8x): missed; at best at the
  edge of what this machine gives.** The harness also runs the same four
  files with no runner at all (`perf/bare_parallel.py`: one interpreter
  imports them and calls the 40 functions; with two processes it forks,
  and each child takes two files). No runner can beat that, so its
  speed-up, the "machine ceiling" row, is the most any runner can show
  here at that moment. Two busy processes on this VM's two vCPUs do not do
  twice the work of one, and how far from it depends on the host: over the
  fourth session's runs (the doc runs and interleaved runs of 25-30 each)
  the ceiling measured 1.46x-1.85x, dbtest 1.41x-1.72x, karva 1.40x-1.59x.
  What separates dbtest from the ceiling is a fixed cost: `dbtest -j 1`
  and `-j 2` take 30-60 ms longer than the bare script. With the table's
  figures, 1.8x needs that extra cost under ~16 ms
  (`(465 + x) / (251 + x) >= 1.8`). The first test starts 76-92 ms after
  the process (the JSON report's `start` fields against the process's
  start), and the zygote's imports are that path: the CLI reaches
  `start_run` at 40-47 ms, while the zygote, forked at ~14 ms, needs the
  worker's modules, `import asyncio` alone costing 45-60 ms on this VM
  (the `start-up` rows). With an asyncio loop in every worker, as the
  runner issue asks, the extra cost cannot go below that import; only
  workers that skip asyncio for sync-only work (a second, synchronous
  executor) could, and then only on a quiet host.
- **10k trivial tests at half of karva's time: met on a quiet machine, at
  the line on a busy one.** 0.46x with forked workers in the third
  session (0.49-0.50x before them). In the fourth session it measured
  0.46x with the host quiet (the table's run) and 0.52x-0.57x with it busy
  (the machine ceiling at 1.46x-1.62x, the bare one-process run up to 40%
  slower than in quiet runs): dbtest's run keeps both cores busy (CLI, scheduler and two
  workers; ~0.7 s of CPU for 0.4 s of wall time), so CPU taken by
  neighbours lengthens it more than karva's, whose wall time is mostly
  serial. An interleaved A/B of this code against the third session's
  (its Python package at commit 79d06a0, 15 runs each) gave 443 against
  463 ms: the change in ratio is the machine, not a regression. The step
  before forking was the
  console: without colour, a passing run no longer imports rich (~40 ms of
  CPU) or has it render 10,000 progress characters (~40 ms), CPU that the
  workers need (0.47 to 0.39 s). Per test, a worker spends ~9 µs importing
  and collecting (1,000 modules) and ~13 µs running and reporting (of which
  ~9 µs is the floor of capture, two messages and a write); the CLI and the
  scheduler thread take ~25% of the CPU on top. karva runs tests inside its
  own process, with no protocol in between; dbtest's worker processes are
  what isolate crashes and hangs, and every result crosses a pipe before the
  next test starts, so that none is lost.
"""


def write_doc(
    rows: list[Row], args: argparse.Namespace, load: tuple[float, float], took: float
) -> None:
    """Replace (or append) the `## Runner` section of docs/performance.md only."""
    section = render(rows, args, load, took)
    text = DOC.read_text() if DOC.exists() else "# Performance\n"
    m = re.search(r"^## Runner\s*$", text, flags=re.M)
    if m:
        nxt = re.search(r"^## ", text[m.end() :], flags=re.M)
        end = m.end() + nxt.start() if nxt else len(text)
        text = text[: m.start()] + section + ("\n" if nxt else "") + text[end:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOC.write_text(text.rstrip("\n") + "\n")
    print(f"  -> {DOC}")
