"""Where dbtest's workers rely on what only some systems have, and what the
others do instead (docs/platforms.md).

`DBTEST_PLATFORM=generic` makes Linux take the paths of a system that has
none of it, so the fallbacks are tested here (tests/e2e/test_platforms.py).
"""

from __future__ import annotations

import os
import sys


def generic() -> bool:
    """Whether to act as a system without fork, selectable pipes or
    signal stack dumps: Windows, or DBTEST_PLATFORM=generic."""
    return sys.platform == "win32" or os.environ.get("DBTEST_PLATFORM") == "generic"


def can_prefork() -> bool:
    """Fork workers from a zygote: Linux only, where the CLI can be their
    subreaper. Elsewhere they are spawned (`python -m dbtest.worker`)."""
    return sys.platform == "linux" and not generic()


def selectable_pipes() -> bool:
    """The worker's event loop can watch its request pipe (Unix selectors).
    Windows' loop cannot: a thread reads the pipe and hands lines over."""
    return not generic()


def stack_dump_signal() -> int | None:
    """The signal the scheduler sends for a stack dump before a kill for a
    time limit: a real-time one on Linux, SIGUSR2 on macOS; None where
    `faulthandler` cannot dump on a signal (Windows): kills come without
    stacks there."""
    import faulthandler
    import signal

    if generic() or not hasattr(faulthandler, "register"):
        return None
    if hasattr(signal, "SIGRTMIN"):
        return int(signal.SIGRTMIN) + 3
    return int(signal.SIGUSR2)
