"""The working directory around user code: a test may change it, or even
delete the directory it moved to, and the next test must not notice."""

from __future__ import annotations

import os


def current() -> str | None:
    """The working directory, or None when it no longer exists."""
    try:
        return os.getcwd()
    except OSError:
        return None


def restore(cwd: str | None, home: str) -> None:
    """Back to `cwd` (where the user code started) if it moved away or its
    directory is gone; to `home` (the project root) if `cwd` itself is gone."""
    if cwd is not None and current() == cwd:
        return
    try:
        os.chdir(cwd if cwd is not None else home)
    except OSError:
        os.chdir(home)
