"""`dbtest tui`: an interactive, keyboard-driven runner built on Textual."""

from __future__ import annotations

__all__ = ["DbtestApp"]


def __getattr__(name: str):  # noqa: ANN202 - lazy: importing Textual costs ~100 ms
    if name == "DbtestApp":
        from dbtest.tui.app import DbtestApp

        return DbtestApp
    raise AttributeError(name)
