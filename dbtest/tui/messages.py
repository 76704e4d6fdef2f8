"""Messages the TUI's workers and widgets post to the app."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from dbtest.tui.source import Discovered


class TreeLoaded(Message):
    """Discovery finished: the engine holds it, with its tree (`discovered.tree`)."""

    def __init__(self, discovered: Discovered) -> None:
        super().__init__()
        self.discovered = discovered


class DiscoveryFailed(Message):
    """Discovery itself failed (bad configuration, unreadable root)."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message


class FilterChanged(Message):
    """The user edited the filter box."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class FilterResult(Message):
    """The engine's answer for a filter: the matching ids, or the error to show inline."""

    def __init__(self, generation: int, ids: list[str] | None, error: str | None = None) -> None:
        super().__init__()
        self.generation = generation
        self.ids = ids
        self.error = error


class RunEvents(Message):
    """One batch of events from the run's stream, applied at once."""

    def __init__(self, run_serial: int, events: list[dict[str, Any]]) -> None:
        super().__init__()
        self.run_serial = run_serial
        self.events = events


class RunEnded(Message):
    """The event stream of a run ended (normally, or with an error)."""

    def __init__(self, run_serial: int, error: str | None = None) -> None:
        super().__init__()
        self.run_serial = run_serial
        self.error = error


class FilesChanged(Message):
    """Watch mode saw Python files under the root change (root-relative paths)."""

    def __init__(self, paths: list[str]) -> None:
        super().__init__()
        self.paths = paths
