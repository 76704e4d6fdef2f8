"""Whether the CLI's output is coloured: the NO_COLOR and FORCE_COLOR
conventions, else only on a terminal. Kept free of imports so that every
command can ask it before loading rich."""

from __future__ import annotations

import os


def want_color(stream: object) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
