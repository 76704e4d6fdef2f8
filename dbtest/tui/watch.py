"""Watch mode's file watcher: polls the mtimes of `*.py` files under the root.

Polling (every ~0.5 s, in a worker thread) needs no new dependency and works
the same on every filesystem, including network mounts where inotify does not.
"""

from __future__ import annotations

import os
from pathlib import Path

# Directories that never hold the project's own sources.
SKIP_DIRS = frozenset(
    {"__pycache__", "node_modules", "target", "venv", "site-packages", "build", "dist"}
)


def snapshot(root: str | os.PathLike[str]) -> dict[str, tuple[int, int]]:
    """`{relative/path.py: (mtime_ns, size)}` for every Python file under `root`."""
    out: dict[str, tuple[int, int]] = {}
    root = os.fspath(root)
    stack = [root]
    while stack:
        d = stack.pop()
        try:
            entries = list(os.scandir(d))
        except OSError:
            continue
        for e in entries:
            try:
                if e.is_dir(follow_symlinks=False):
                    if not e.name.startswith(".") and e.name not in SKIP_DIRS:
                        stack.append(e.path)
                elif e.name.endswith(".py") and e.is_file(follow_symlinks=False):
                    st = e.stat(follow_symlinks=False)
                    rel = os.path.relpath(e.path, root).replace(os.sep, "/")
                    out[rel] = (st.st_mtime_ns, st.st_size)
            except OSError:
                continue  # deleted between scandir and stat
    return out


def changed(old: dict[str, tuple[int, int]], new: dict[str, tuple[int, int]]) -> list[str]:
    """Paths added, removed or modified between two snapshots, sorted."""
    keys = old.keys() | new.keys()
    return sorted(k for k in keys if old.get(k) != new.get(k))


class Watcher:
    """Remembers the last snapshot; `poll()` returns what changed since."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._last = snapshot(self.root)

    def poll(self) -> list[str]:
        new = snapshot(self.root)
        diff = changed(self._last, new)
        self._last = new
        return diff
