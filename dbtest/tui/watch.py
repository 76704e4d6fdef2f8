"""Watch mode's file watcher: the engine's (`dbtest._core.Watcher`), the one
`dbtest --watch` uses: the operating system's file events, debounced, with
dbtest's caches, version control, virtualenvs and editor files left out."""

from __future__ import annotations

import os

# The quiet time after a change before it is given, as `--watch-delay`'s default.
DEFAULT_DELAY_MS = 200


class Watcher:
    """The files under `root` as they change; `wait()` gives each debounced batch."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        delay_ms: int = DEFAULT_DELAY_MS,
        outputs: list[str] | None = None,
    ) -> None:
        from dbtest import _core

        self._inner = _core.Watcher(os.fspath(root), delay_ms, list(outputs or []))

    def wait(self, timeout: float = 0.25) -> list[str]:
        """The changed files (root-relative, sorted) of the next batch, or []
        when none came within `timeout` seconds."""
        return self._inner.next_change(timeout) or []
