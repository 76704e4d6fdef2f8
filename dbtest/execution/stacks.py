"""Where user code is stuck: the stack of an async task, and the worker's
stack-dump hook for the scheduler.

A sync hang holds the worker's only thread, so nothing in Python can look
at it: ``faulthandler`` can, from a signal handler that reads the thread
states without the GIL. The worker registers it on a signal and a file it
names in its ``ready`` message; before killing the worker, the scheduler
sends the signal, reads the file and shows the stacks (dbtest's own frames
hidden). An async test or phase cut at its timeout is still on the loop:
its task's await chain is the stack, taken just before it is cancelled.
"""

from __future__ import annotations

import asyncio
import os
import threading
import traceback as _tb
from typing import Any

from dbtest.execution.traceback import caller_prefixes, hidden, hidden_prefixes


async def cancel_with_stack(task: asyncio.Future[Any]) -> str:
    """Cancel a task that overran its budget and wait until it has ended;
    the stack it was awaiting at that moment (see ``task_stack``)."""
    stack = task_stack(task)
    task.cancel()
    try:
        await task
    except BaseException:  # noqa: BLE001 - the cancellation we asked for
        pass
    return stack


def task_stack(task: asyncio.Future[Any]) -> str:
    """The await chain of a suspended task, outermost first, user frames
    only, formatted as a traceback ("" when nothing of the user's is on it)."""
    frames = []
    coro: Any = getattr(task, "get_coro", lambda: None)()
    seen = 0
    while coro is not None and seen < 200:
        seen += 1
        frame = (
            getattr(coro, "cr_frame", None)
            or getattr(coro, "gi_frame", None)
            or getattr(coro, "ag_frame", None)
        )
        if frame is None:
            break
        frames.append((frame, frame.f_lineno))
        coro = (
            getattr(coro, "cr_await", None)
            or getattr(coro, "gi_yieldfrom", None)
            or getattr(coro, "ag_await", None)
        )
    kept = [(f, n) for f, n in frames if not hidden(f.f_code.co_filename)]
    if not kept:
        return ""
    summary = _tb.StackSummary.extract(iter(kept), lookup_lines=True)
    return "Awaiting when it was cancelled (most recent call last):\n" + "".join(
        summary.format()
    ).rstrip("\n")


class StackDump:
    """The worker's stack-dump hook: ``faulthandler`` on a signal, into a
    file of its own; described to the scheduler by ``describe``. None where
    there is no such signal (``dbtest.portability``): the scheduler then
    kills without stacks."""

    def __init__(self) -> None:
        import faulthandler

        from dbtest.portability import stack_dump_signal

        # A real-time signal where there are: no library a test uses listens to one.
        self.signal = stack_dump_signal()
        self._fd = -1
        if self.signal is None:
            return
        # Not `tempfile` (5 ms of every worker's start-up): a new file of
        # our own (O_EXCL: never one somebody prepared), appended to.
        tmp = os.environ.get("TMPDIR") or "/tmp"
        self.path = os.path.join(tmp, f"dbtest-stacks-{os.getpid()}-{os.urandom(4).hex()}.txt")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
        self._fd = os.open(self.path, flags, 0o600)
        faulthandler.register(self.signal, file=self._fd, all_threads=True, chain=False)

    def describe(self) -> dict[str, Any] | None:
        """What the scheduler needs: the signal, the file, the main thread
        (faulthandler names threads by id) and the frames to hide; None
        without a hook."""
        if self.signal is None:
            return None
        return {
            "pid": os.getpid(),
            "signal": int(self.signal),
            "path": self.path,
            "main": threading.main_thread().ident,
            "hide": list(hidden_prefixes()),
            "callers": list(caller_prefixes()),
        }

    def close(self) -> None:
        """At a clean exit: nothing is left behind."""
        import faulthandler

        if self.signal is None:
            return
        faulthandler.unregister(self.signal)
        os.close(self._fd)
        try:
            os.unlink(self.path)
        except OSError:
            pass
