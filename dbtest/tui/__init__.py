"""`dbtest tui`: an interactive, keyboard-driven runner built on Textual."""

from __future__ import annotations

from typing import Any

__all__ = ["DbtestApp", "make_app"]


def make_app(root: str, paths: list[str] | None = None, **kwargs: Any) -> Any:
    """The app for `root`, with discovery started *before* Textual is imported:
    the Rust walk (GIL released) overlaps the ~0.3 s of imports and mounting."""
    from dbtest.tui.source import RunnerSource, prefetch_discovery

    source = kwargs.pop("source", None) or RunnerSource()
    future = prefetch_discovery(source, root, list(paths or []))
    from dbtest.tui.app import DbtestApp

    return DbtestApp(root, paths or [], source=source, prefetched=future, **kwargs)


def __getattr__(name: str) -> Any:
    if name == "DbtestApp":  # lazy: importing Textual costs ~0.3 s
        from dbtest.tui.app import DbtestApp

        return DbtestApp
    raise AttributeError(name)
