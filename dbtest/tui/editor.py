"""Opening a test in the user's editor at its line."""

from __future__ import annotations

import os
import shlex

# Editors that take `file:line` behind a flag instead of `+LINE file`.
_COLON_STYLE = {"code": ["-g"], "code-insiders": ["-g"], "codium": ["-g"], "cursor": ["-g"]}
_COLON_PLAIN = {"subl", "sublime_text", "zed", "hx", "helix"}


def editor_command(path: str, line: int, editor: str | None = None) -> list[str]:
    """The argv that opens `path` at `line` in `$VISUAL`/`$EDITOR` (vi when unset).

    vi, vim, nvim, nano, emacs, micro, kak... take `+LINE file`; VS Code takes
    `-g file:line`; Sublime, Zed and Helix take `file:line`.
    """
    editor = editor or os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    argv = shlex.split(editor)
    if not argv:
        argv = ["vi"]
    name = os.path.basename(argv[0]).lower()
    if name.endswith(".exe"):
        name = name[:-4]
    line = max(1, int(line or 1))
    if name in _COLON_STYLE:
        return [*argv, *_COLON_STYLE[name], f"{path}:{line}"]
    if name in _COLON_PLAIN:
        return [*argv, f"{path}:{line}"]
    return [*argv, f"+{line}", path]
