"""What a test leaves running after it ends (cargo-nextest's LEAK).

A non-daemon thread still alive keeps the worker from exiting; a child
process may hold the worker's output pipes. Either is noted on the record
of the test that started it, never a hang (the worker's teardown deadline
still bounds its exit, and its process group is killed when it ends).

Free for the common case: a test shorter than ``MIN_DURATION`` cannot have
started a thread or a process worth noting and is not looked at; for the
others, the checks are a thread count and one ``waitid`` call, and only
when those change does the worker list threads or processes.
"""

from __future__ import annotations

import os
import threading

# Starting a thread costs ~50 µs; a process far more.
MIN_DURATION = 50e-6


class Leaks:
    """The threads and child processes the worker already knows of."""

    def __init__(self) -> None:
        self._threads = {t.ident for t in threading.enumerate()}
        self._count = threading.active_count()
        self._children: set[int] = set()
        self._had_children = False

    def check(self) -> str | None:
        """What appeared since the last look and is still running, as a
        note for the record; None when nothing did."""
        notes = []
        if threading.active_count() != self._count:
            for t in threading.enumerate():
                if t.ident not in self._threads:
                    self._threads.add(t.ident)
                    if not t.daemon and t.is_alive():
                        notes.append(f"thread {t.name!r} (non-daemon) still running")
            self._count = threading.active_count()
        has = _has_children()
        # Listing processes costs a walk of /proc: only when children
        # appear where there were none (a long-lived child of a wider
        # fixture hides later ones; its process group ends them anyway).
        if has and not self._had_children:
            for pid, name in _live_children():
                if pid not in self._children:
                    self._children.add(pid)
                    notes.append(f"child process {pid} ({name}) still running")
        self._had_children = has
        return "; ".join(notes) if notes else None

    def absorb(self) -> None:
        """Take what runs now as known (after a wider fixture's setup: what
        it starts is its own, not the test's)."""
        self.check()


def _has_children() -> bool:
    waitid = getattr(os, "waitid", None)
    if waitid is None:
        return False
    try:
        # WNOWAIT: a child that ended stays for its owner to reap.
        waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return False
    except OSError:
        return False
    return True


def _live_children() -> list[tuple[int, str]]:
    """(pid, name) of this process's children that still run (Linux)."""
    me = os.getpid()
    out = []
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return out
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                stat = f.read().decode("utf-8", "replace")
        except OSError:
            continue
        name, _, rest = stat.partition("(")[2].rpartition(")")
        fields = rest.split()
        if len(fields) >= 2 and fields[1] == str(me) and fields[0] not in ("Z", "X"):
            out.append((pid, name))
    return out
