"""Forking the run's workers from one zygote instead of starting each with
`python -m dbtest.worker` (Linux).

Why: a fresh worker needs ~60 ms on the development VM before it can run a
test: ~13 ms for the interpreter and ~50 ms importing asyncio and the
executor. Every worker paid it, on the same cores as the CLI, and the
first test waited for it.

How: the CLI, right after its interpreter starts and before its own
imports, forks a zygote. The zygote imports the worker's modules once
(while the CLI imports its own on another core), then forks every worker
from itself, writes their pids on a status pipe and exits. Each worker runs
`dbtest.worker` exactly as `python -m` would: same directory, environment,
`sys.argv`, `sys.path[0]` and `__main__`, its own process group, the
protocol on fds 0 and 1, its output on fd 2. The CLI is the workers'
subreaper, so once the zygote has exited they are its children: the
scheduler waits for them and reads how they ended (a signal, an exit code)
as it does for spawned ones, and a crashed worker's replacement is spawned
as before. Anything unusual (another OS, `DBTEST_PLATFORM=generic`, threads already
running, `DBTEST_PREFORK=0`) keeps the spawned workers.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn

# Descriptors of one worker's three pipes: (read, write) pairs.
Pipes = tuple[tuple[int, int], tuple[int, int], tuple[int, int]]


def prefork(workers: int | None, capture: bool, env: list[tuple[str, str]] | None = None) -> bool:
    """Fork the coming run's workers, with `env` added to their environment
    (the run request's `worker_env`); False when it cannot (the caller then
    starts them with `python -m dbtest.worker`)."""
    from dbtest.portability import can_prefork

    if not can_prefork() or os.environ.get("DBTEST_PREFORK") == "0":
        return False
    # fork() copies only the calling thread: with others running, a lock
    # they hold would stay locked forever in the children.
    if len(os.listdir("/proc/self/task")) != 1:
        return False
    # With fd 0, 1 or 2 closed, a pipe could take its number, and a worker
    # would close it again when it sets up its own.
    try:
        for fd in (0, 1, 2):
            os.fstat(fd)
    except OSError:
        return False
    from dbtest import _core

    plan = _core.prefork_plan(sys.executable, workers, capture, env or [])
    if plan is None or not _core.become_subreaper():
        return False
    n, root, env = plan
    pipes: list[Pipes] = [(os.pipe(), os.pipe(), os.pipe()) for _ in range(n)]
    status_r, status_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(status_r)
        _zygote(pipes, status_w, root, env)
    # The children's ends belong to the children now.
    os.close(status_w)
    for (req_r, _), (_, proto_w), (_, out_w) in pipes:
        os.close(req_r)
        os.close(proto_w)
        os.close(out_w)
    parent_ends = [(req_w, proto_r, out_r) for (_, req_w), (proto_r, _), (out_r, _) in pipes]
    _core.adopt_forked(sys.executable, root, env, pid, status_r, parent_ends)
    return True


def _zygote(pipes: list[Pipes], status_w: int, root: str, env: list[tuple[str, str]]) -> NoReturn:
    """Import the worker's modules once, fork the workers, report their
    pids, exit. On any failure it reports none, and the run spawns them."""
    debug = bool(os.environ.get("DBTEST_DEBUG"))
    try:
        os.setpgid(0, 0)  # the terminal's Ctrl-C is for the CLI to handle
        # Not the user's terminal: an import warning has nowhere to go (a
        # worker's own output goes to its pipes). DBTEST_DEBUG keeps stderr.
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1) if debug else (0, 1, 2):
            os.dup2(null, fd)
        os.close(null)
        for (_, req_w), (proto_r, _), (out_r, _) in pipes:
            os.close(req_w)
            os.close(proto_r)
            os.close(out_r)
        os.chdir(root)
        os.environ.update(env)
        import gc
        import runpy  # noqa: F401 - imported here once, for every worker

        import dbtest.execution.executor  # noqa: F401
        import dbtest.worker  # noqa: F401

        if os.environ.get("DBTEST_COV"):
            # Once for every worker; each starts its own measurement.
            import coverage  # noqa: F401

        # What the zygote imported lives as long as the workers: kept out of
        # their collections, which would otherwise walk it (and copy the
        # pages they touch) again in every worker.
        gc.freeze()
        pids = []
        for index in range(len(pipes)):
            pid = os.fork()
            if pid == 0:
                _worker(pipes, index, status_w, root)
            pids.append(pid)
        os.write(status_w, (" ".join(map(str, pids)) + "\n").encode())
    except BaseException:  # noqa: BLE001 - the CLI falls back to spawning
        if debug:
            import traceback

            traceback.print_exc()
        os._exit(1)
    os._exit(0)


def _worker(pipes: list[Pipes], index: int, status_w: int, root: str) -> NoReturn:
    """Become `python -m dbtest.worker` on the index-th worker's pipes."""
    code = 1
    try:
        os.setpgid(0, 0)  # a kill of the worker's group must not reach the CLI
        (req_r, _), (_, proto_w), (_, out_w) = pipes[index]
        os.dup2(req_r, 0)
        os.dup2(proto_w, 1)
        os.dup2(out_w, 2)
        # Nothing else of ours stays open: a pipe end left in a worker keeps
        # another worker from ever reading end-of-file.
        os.close(status_w)
        for (r, _), (_, w1), (_, w2) in pipes:
            for fd in (r, w1, w2):
                os.close(fd)
        _fresh_stdio()
        sys.argv = ["-m"]  # as `python -m`, until runpy names the module
        sys.path[0] = root  # `python -m` puts its working directory first
        import runpy

        # As `python -m`, the module runs once, as __main__: the copy the
        # zygote imported (for its imports) would make runpy warn.
        sys.modules.pop("dbtest.worker", None)
        runpy.run_module("dbtest.worker", run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:  # noqa: BLE001 - printed as the interpreter would
        import traceback

        traceback.print_exc()
    finally:
        _exit(code)


# The CLI's stream objects, kept alive so they are never finalized (and
# flushed) in a worker.
_OLD_STREAMS: list[object] = []


def _fresh_stdio() -> None:
    """Stream objects for fds 1 and 2 made as the interpreter makes them at
    start-up for pipes: buffered unless `-u`/PYTHONUNBUFFERED, stderr
    line-buffered and with backslashreplace."""
    import io

    _OLD_STREAMS.extend([sys.stdout, sys.stderr])
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    errors = getattr(sys.stdout, "errors", None) or "strict"
    # -u and PYTHONUNBUFFERED made the CLI's own streams unbuffered: raw files.
    unbuffered = isinstance(getattr(sys.__stdout__, "buffer", None), io.FileIO)

    def stream(fd: int, errors: str, line_buffering: bool) -> io.TextIOWrapper:
        raw = io.FileIO(fd, "w", closefd=False)
        buffer: io.RawIOBase | io.BufferedWriter = raw if unbuffered else io.BufferedWriter(raw)
        text = io.TextIOWrapper(
            buffer,  # type: ignore[arg-type]
            encoding=encoding,
            errors=errors,
            line_buffering=line_buffering and not unbuffered,
            write_through=unbuffered,
        )
        text.mode = "w"  # type: ignore[misc]
        return text

    sys.stdout = sys.__stdout__ = stream(1, errors, False)
    sys.stderr = sys.__stderr__ = stream(2, "backslashreplace", True)


def _exit(code: int) -> NoReturn:
    """End a worker as the interpreter would, without unwinding into the
    CLI's frames: wait for non-daemon threads, run atexit, flush, exit."""
    try:
        threading = sys.modules.get("threading")
        if threading is not None:
            threading._shutdown()  # type: ignore[attr-defined]
        import atexit

        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
    except BaseException:  # noqa: BLE001, S110 - exiting regardless
        pass
    os._exit(code)
