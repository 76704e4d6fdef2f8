"""The worker: runs the units the scheduler sends it, on one event loop.

Started by the Rust scheduler as ``python -m dbtest.worker`` (one per slot),
or as a thread of the CLI's own process with ``--in-process``. It speaks the
protocol of docs/architecture.md: JSON lines in, JSON lines out.

In a process, the protocol is moved off file descriptors 0 and 1 before
anything else runs, and fd 1 is pointed at fd 2 (a pipe the scheduler reads),
so nothing a test writes, even with ``os.write(1, ...)``, can corrupt it.
"""

from __future__ import annotations

import asyncio
import json
import json.encoder
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, Protocol

from dbtest import ids as id_grammar
from dbtest.execution import coverage
from dbtest.outcomes import is_failure


class Connection(Protocol):
    """Where requests come from and messages go to."""

    def recv(self) -> str | None:
        """Next request line, or None when the scheduler is gone."""

    def send(self, line: str) -> None:
        """Send one message line (without the newline)."""


class PipeConnection:
    """The protocol on two private file descriptors.

    Requests are read by the event loop itself (`fileno`, `read_lines`): a
    thread blocked on the pipe would take the GIL from the tests every time
    a request arrives, and a request cannot be acted on before the loop runs
    anyway. Where the loop cannot watch a pipe (Windows, see
    `dbtest.portability`), `selectable` is False and a thread reads the
    pipe (`recv`), as for an in-process connection.
    """

    def __init__(self, in_fd: int, out_fd: int, selectable: bool = True) -> None:
        self._in_fd = in_fd
        self.selectable = selectable
        if selectable:
            os.set_blocking(in_fd, False)
        self._partial = b""
        self._out = os.fdopen(out_fd, "wb", buffering=0)
        self._lock = threading.Lock()

    def fileno(self) -> int:
        """The descriptor requests arrive on (non-blocking)."""
        return self._in_fd

    def read_lines(self) -> list[str] | None:
        """The complete lines that can be read now; None once the scheduler is gone."""
        try:
            data = os.read(self._in_fd, 1 << 16)
        except (BlockingIOError, InterruptedError):
            return []
        if not data:
            return None
        *lines, self._partial = (self._partial + data).split(b"\n")
        return [line.decode("utf-8", "replace") for line in lines]

    def recv(self) -> str | None:
        """The next request line, blocking (the reading thread's, when not
        `selectable`); None once the scheduler is gone."""
        while b"\n" not in self._partial:
            data = os.read(self._in_fd, 1 << 16)
            if not data:
                return None
            self._partial += data
        line, _, self._partial = self._partial.partition(b"\n")
        return line.decode("utf-8", "replace")

    def send(self, line: str) -> None:
        # Lone surrogates (from surrogateescape'd bytes) cannot cross as JSON
        # the Rust side accepts: replace them here, once, for every message.
        data = line.encode("utf-8", "replace") + b"\n"
        with self._lock:
            self._out.write(data)


_str = json.encoder.encode_basestring  # the C encoder of one JSON string
# Bound once: a test that replaces json.loads/json.dumps (and does not put
# them back) must not leave its worker deaf to requests, hanging the run.
_loads = json.loads
_dumps = json.dumps
_PLAIN_RECORD = ("id", "outcome", "duration", "start", "path", "line")
_STARTED = ("ev", "unit", "id", "start", "timeout", "attempt", "sync")
_PHASE = ("ev", "unit", "what", "sync")


def _encode(message: dict[str, Any]) -> str:
    """One protocol line. The two messages every test sends, ``started`` and
    the ``finished`` of a passing test without output, are formatted directly:
    ``json.dumps`` costs ~4 µs each, a third of a trivial test's whole cost."""
    ev = message.get("ev")
    unit = message.get("unit")
    if type(unit) is int:
        if ev == "finished":
            r = message["record"]
            d, t = r["duration"], r["start"]
            if tuple(r) == _PLAIN_RECORD and _finite(d) and _finite(t):
                return (
                    f'{{"ev":"finished","unit":{unit},"record":{{"id":{_str(r["id"])},'
                    f'"outcome":{_str(r["outcome"])},"duration":{d!r},"start":{t!r},'
                    f'"path":{_str(r["path"])},"line":{int(r["line"])}}}}}'
                )
        elif ev == "phase" and tuple(message) == _PHASE:
            # One per file imported: as common as a test in a suite of tiny files.
            return (
                f'{{"ev":"phase","unit":{unit},"what":{_str(message["what"])},'
                f'"sync":{"true" if message["sync"] else "false"}}}'
            )
        elif ev == "started" and message["timeout"] is None and tuple(message) == _STARTED:
            t = message["start"]
            if _finite(t):
                return (
                    f'{{"ev":"started","unit":{unit},"id":{_str(message["id"])},'
                    f'"start":{t!r},"attempt":{int(message["attempt"])},'
                    f'"sync":{"true" if message["sync"] else "false"}}}'
                )
    return _dumps(message, ensure_ascii=False, default=str)


def decode_request(line: str) -> dict[str, Any] | None:
    """One request line from the scheduler (`Request::to_line`), or None for
    a blank or unreadable one."""
    line = line.strip()
    if not line:
        return None
    try:
        return _loads(line)
    except ValueError:
        return None


def _finite(value: Any) -> bool:
    """A finite float, whose repr is valid JSON (``x - x`` is NaN for inf and NaN)."""
    return type(value) is float and value - value == 0.0


def serve(
    conn: Connection | PipeConnection,
    root: str | None = None,
    capture: bool | None = None,
    stacks: dict[str, Any] | None = None,
) -> None:
    """Run units until the scheduler says ``shutdown`` or goes away.

    ``capture`` defaults to the environment's ``DBTEST_CAPTURE`` (set by the
    scheduler for ``-s``); ``stacks`` describes the stack-dump hook the
    scheduler may use before killing this worker (see execution/stacks.py)."""
    root = root or os.getcwd()
    if capture is None:
        capture = os.environ.get("DBTEST_CAPTURE", "1") != "0"
    # Not made the thread's current loop: a sync test that asks for one
    # (`asyncio.get_event_loop()`) gets its own, as it would under pytest,
    # not this running one, which it could not run (see outside_loop).
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(_serve(conn, root, capture, stacks))
    finally:
        try:
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()


async def _serve(
    conn: Connection | PipeConnection, root: str, capture: bool, stacks: dict[str, Any] | None
) -> None:
    from dbtest.execution.executor import Executor

    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

    emit = Outbox(conn)
    stop = _Stop()

    def live_output(test_id: str, stream: str, text: str) -> None:
        emit({"ev": "output", "id": test_id, "stream": stream, "data": text})

    def post(request: dict[str, Any] | None) -> bool:
        try:
            loop.call_soon_threadsafe(inbox.put_nowait, request)
        except RuntimeError:  # the loop is closed: the worker has finished
            return False
        return True

    def read_requests() -> None:
        # In-process: the connection can only block, so a thread reads it.
        while True:
            line = conn.recv()
            if line is None:
                post(None)
                return
            request = decode_request(line)
            if request is not None and request.get("op") == "cancel":
                stop.requested.set()  # seen by `poll` between two tests
            if request is not None and not post(request):
                return

    reading = True
    selectable = isinstance(conn, PipeConnection) and conn.selectable

    def on_readable() -> None:
        nonlocal reading
        if not reading:
            return
        lines = conn.read_lines()
        if lines is None:
            reading = False
            loop.remove_reader(conn.fileno())
            inbox.put_nowait(None)
            return
        for line in lines:
            request = decode_request(line)
            if request is not None:
                if request.get("op") == "cancel":
                    stop.now(executor, gate)
                inbox.put_nowait(request)

    def poll() -> None:
        # Between two tests of a unit, which may run back to back without
        # the loop getting control: act on a `cancel` already sent.
        if stop.due():
            if selectable:
                on_readable()
            elif stop.requested.is_set():
                stop.now(executor, gate)

    if selectable:
        loop.add_reader(conn.fileno(), on_readable)
    else:
        threading.Thread(target=read_requests, name="dbtest-requests", daemon=True).start()
    executor = Executor(root, capture=capture, live_output=live_output)
    executor.poll = poll
    tasks: set[asyncio.Task[None]] = set()
    # Exclusive units (with sync tests) run one at a time, in arrival order:
    # the scheduler sends the next one ahead so no round trip sits between them.
    gate = _Gate()

    def on_failure() -> None:
        if stop.failed():
            stop.now(executor, gate)
            task = loop.create_task(executor.cancel())  # async tests running now
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    emit.on_failure = on_failure
    ready: dict[str, Any] = {"ev": "ready", "pid": os.getpid()}
    if stacks is not None:
        ready["stacks"] = stacks
    emit(ready)

    while True:
        request = await inbox.get()
        op = request.get("op") if request else None
        if op == "run":
            stop.budget(request.get("fail_budget"))
            task = loop.create_task(_run_unit(executor, root, request, emit, gate))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        elif op == "cancel":
            gate.cancelled = True
            await executor.cancel()
        elif op == "shutdown":
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            await _close(executor, emit)
            # `--cov`: the data file is complete before `closed`, after which
            # the CLI may combine it (a no-op without coverage).
            if isinstance(conn, PipeConnection):
                coverage.stop()
            # Teardown is done; what the exit still waits for is named, so a
            # worker the scheduler must kill is explained (in-process, the
            # threads are the CLI's, and nothing is killed).
            lingering = _lingering_threads() if isinstance(conn, PipeConnection) else []
            emit({"ev": "closed", "threads": lingering})
            return
        elif request is None:
            # The scheduler is gone: stop what runs and leave.
            await executor.cancel()
            for task in tasks:
                task.cancel()
            return


class _Stop:
    """When a worker stops starting tests on its own: a `cancel` it has
    read but the loop has not handled yet, or `--max-fail` reached by its
    own failures (each unit says how many the run had left when it was
    sent: `fail_budget`)."""

    POLL_INTERVAL = 0.002  # seconds between two reads of the request pipe

    def __init__(self) -> None:
        self.requested = threading.Event()
        self.done = False
        self.own_failures = 0
        self.stop_at: int | None = None
        self._last_poll = 0.0

    def budget(self, left: int | None) -> None:
        if left is not None:
            limit = self.own_failures + int(left)
            self.stop_at = limit if self.stop_at is None else min(self.stop_at, limit)

    def failed(self) -> bool:
        """Count one failure of ours; True when that exhausts the budget."""
        self.own_failures += 1
        return self.stop_at is not None and self.own_failures >= self.stop_at

    def due(self) -> bool:
        now = time.monotonic()
        if now - self._last_poll < self.POLL_INTERVAL:
            return False
        self._last_poll = now
        return True

    def now(self, executor: Any, gate: _Gate) -> None:
        if not self.done:
            self.done = True
            gate.cancelled = True
            executor.stop_starting()


class Outbox:
    """Sends messages to the scheduler, one write per message, except that
    the executor may *hold* a ``finished`` message until its next message.

    The executor holds one only between two tests of a suite run serially,
    where nothing of the user's runs before the next ``started`` (and it
    flushes before teardown hooks): so a crash can never lose a result,
    while a run of trivial tests costs one write and one wake-up of the
    scheduler per test instead of two.
    """

    def __init__(self, conn: Connection | PipeConnection) -> None:
        self._conn = conn
        self._held: list[str] = []
        # Output of a test's own threads is sent from those threads.
        self._lock = threading.Lock()
        # Called for every failing result sent (`--max-fail` in the worker).
        self.on_failure: Callable[[], None] | None = None
        # `--cov`: told of each test's start and end (contexts, flushes).
        self.coverage = coverage.current

    def _watch(self, message: dict[str, Any]) -> None:
        if self.coverage is not None:
            self.coverage.saw(message)
        if (
            self.on_failure is not None
            and message.get("ev") == "finished"
            and is_failure(message["record"])
        ):
            self.on_failure()

    def __call__(self, message: dict[str, Any]) -> None:
        self._watch(message)
        line = _encode(message)
        with self._lock:
            if self._held:
                self._held.append(line)
                line = "\n".join(self._held)
                self._held.clear()
            self._conn.send(line)

    def hold(self, message: dict[str, Any]) -> None:
        """Send `message` with the next one (or at `flush`)."""
        self._watch(message)
        line = _encode(message)
        with self._lock:
            self._held.append(line)

    def flush(self) -> None:
        """Send what is held now."""
        with self._lock:
            if self._held:
                line = "\n".join(self._held)
                self._held.clear()
                self._conn.send(line)


class _Gate:
    """Orders exclusive units; after a cancel, queued units do not start."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()  # FIFO: waiters acquire in arrival order
        self.cancelled = False


async def _run_unit(
    executor: Any,
    root: str,
    request: dict[str, Any],
    emit: Callable[[dict[str, Any]], None],
    gate: _Gate,
) -> None:
    if request.get("exclusive"):
        try:
            async with gate.lock:
                if gate.cancelled:
                    # Never started: the scheduler records these as cancelled.
                    return
                await _execute_unit(executor, root, request, emit)
        finally:
            # Held until the next unit, which runs alone too, says what it
            # does first (its import, usually), or until the loop is idle:
            # one write, one wake-up of the scheduler, where there were two.
            # Nothing of the user's runs before either.
            done = {"ev": "unit_done", "unit": request.get("unit", 0)}
            if isinstance(emit, Outbox):
                emit.hold(done)
                asyncio.get_running_loop().call_soon(emit.flush)
            else:
                emit(done)
    else:
        try:
            await _execute_unit(executor, root, request, emit)
        finally:
            emit({"ev": "unit_done", "unit": request.get("unit", 0)})


def _refine(
    root: str, request: dict[str, Any], emit: Callable[[dict[str, Any]], None]
) -> list[str]:
    """Decide the ids whose tags are computed at import: import the file,
    apply the run's filter to the real items, keep the matching ones (by
    their real ids) and report the others as deselected."""
    from dbtest import _core
    from dbtest.execution import names
    from dbtest.execution.collect import collect_file
    from dbtest.execution.item import ImportFailure
    from dbtest.execution.outside_loop import outside_loop

    refine = request["refine"]
    undecided = set(refine.get("ids", ()))
    # An import: a phase (see execution/watch.py), ended by what follows.
    emit(
        {
            "ev": "phase",
            "unit": request.get("unit"),
            "what": f"import {request['path']}",
            "sync": True,
        }
    )
    try:
        rules = names.of(request.get("names"))
        items = outside_loop(collect_file, root, request["path"], rules)
    except ImportFailure:
        return list(request["ids"])  # the executor reports the import error
    spec = _dumps(refine["filter"])
    ids: list[str] = []
    for q in request["ids"]:
        if q not in undecided:
            ids.append(q)
            continue
        under = [it for it in items if id_grammar.is_under(it["id"], q)]
        if not under:
            ids.append(q)  # not found after import: the executor says so
            continue
        chosen = [
            it["id"]
            for it, ok in zip(under, _core.filter_items(spec, _dumps(under)), strict=True)
            if ok
        ]
        if chosen:
            ids.extend(chosen)
        else:
            emit({"ev": "deselected", "unit": request.get("unit", 0), "id": q})
    return ids


async def _execute_unit(
    executor: Any, root: str, request: dict[str, Any], emit: Callable[[dict[str, Any]], None]
) -> None:
    try:
        if request.get("refine"):
            ids = _refine(root, request, emit)
            if not ids:
                return
            request = {**request, "ids": ids}
        if request.get("kind") == "bench":
            from dbtest.benchmark.runner import run_bench_unit

            await run_bench_unit(root, request, emit)
        else:
            await executor.run_unit(request, emit)
    except BaseException as e:  # noqa: BLE001 - a bug of ours must not lose the unit
        emit(
            {
                "ev": "run_error",
                "scope": request.get("path", "worker"),
                "message": f"dbtest worker error: {type(e).__name__}: {e}",
                "traceback": traceback.format_exc(),
            }
        )
        if isinstance(e, asyncio.CancelledError):
            raise


def _lingering_threads() -> list[str]:
    """Names of the non-daemon threads still running: the interpreter's exit waits for them."""
    main = threading.main_thread()
    return [t.name for t in threading.enumerate() if t is not main and not t.daemon]


async def _close(executor: Any, emit: Callable[[dict[str, Any]], None]) -> None:
    try:
        await executor.close()
    except BaseException as e:  # noqa: BLE001
        emit(
            {
                "ev": "run_error",
                "scope": "session",
                "message": f"teardown failed: {type(e).__name__}: {e}",
                "traceback": traceback.format_exc(),
            }
        )


def serve_in_thread(
    conn: Any, root: str, capture: bool = True, env: list[tuple[str, str]] | None = None
) -> threading.Thread:
    """``--in-process``: run the worker loop in a thread of this process.

    ``conn`` is the engine's in-memory connection (``recv``/``send``/``close``);
    ``env`` is what a worker process would find in its environment (the
    pytest configuration's ``xfail_strict``, ``filterwarnings``...): set in
    this process, as the tests would see it there.
    """
    if env:
        from dbtest.compat import settings

        os.environ.update(env)
        settings.load()

    def target() -> None:
        how = "exit code 0"
        # Tests run in the project root, as in a worker process; the CLI's
        # own directory is back before the run ends (reports are written after).
        cwd = os.getcwd()
        try:
            os.chdir(root)
            serve(conn, root, capture)
        except BaseException as e:  # noqa: BLE001 - reported to the scheduler as the exit
            how = f"in-process worker failed: {type(e).__name__}: {e}"
        finally:
            try:
                os.chdir(cwd)
            except OSError:
                pass
            conn.close(how)

    thread = threading.Thread(target=target, name="dbtest-worker", daemon=True)
    thread.start()
    return thread


def main() -> None:
    """Entry point of ``python -m dbtest.worker``."""
    # Move the protocol to private descriptors before anything can print.
    from dbtest.portability import selectable_pipes

    conn = PipeConnection(os.dup(0), os.dup(1), selectable=selectable_pipes())
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)  # a test that reads stdin gets EOF, not our requests
    os.close(null)
    os.dup2(2, 1)  # raw writes to fd 1 land in the scheduler's output pipe
    sys.stdin = open(0, encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115

    import faulthandler

    from dbtest.execution.stacks import StackDump

    # A segfault prints the Python stack to fd 2: the crashed test's output.
    faulthandler.enable(file=sys.__stderr__, all_threads=False)
    dump = StackDump()
    # Before any test module is imported (`--cov`; the root is the cwd).
    coverage.start_from_env(os.getcwd())
    try:
        serve(conn, stacks=dump.describe())
    except KeyboardInterrupt:
        pass
    finally:
        dump.close()
        coverage.stop()
    # The interpreter's last garbage collection walks every object of every
    # test module (20 ms with 1,000 modules, on the scheduler's wait): there
    # is nothing left for it to free that the exit would not.
    import gc

    gc.freeze()
    sys.stdout.flush()
    sys.stderr.flush()


if __name__ == "__main__":
    main()
