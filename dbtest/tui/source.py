"""Where the TUI gets its tree and its runs: the Rust engine through
`dbtest._core` and `dbtest.runner`.

The app only talks to a `RunSource`, so tests (and the screenshot script) can
inject scripted runs; discovery is always the engine's, and nothing here
selects or schedules.
"""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterable
from concurrent.futures import Future
from typing import Any, Protocol


class Discovered:
    """A discovery the engine holds (`_core.Discovery`): its tree, and the ids
    any filter selects, answered without walking the disk again. File changes
    need a new discovery."""

    def __init__(self, held: Any) -> None:
        self._held = held
        # The engine's document, as `dbtest list --format json` prints it:
        # {"root", "files": [{"path", "suites": [{..., "items"}], "items"}], "errors"}
        # (docs/discovery.md).
        self.tree: dict[str, Any] = json.loads(held.tree_json())

    @property
    def root(self) -> str:
        """The project root the engine found (the tree's paths are relative to it)."""
        return str(self._held.root)

    def select(
        self, pattern: str | None = None, tags: Iterable[str] = (), expr: str | None = None
    ) -> list[str]:
        """Ids of the items the filter selects, in id order. Raises
        `dbtest._core.UsageError` for a malformed expression."""
        return list(self._held.select(pattern=pattern, tags=list(tags), expr=expr))


class RunHandle(Protocol):
    """A started run (`dbtest.runner.Run`)."""

    def aevents(self) -> AsyncIterator[list[dict[str, Any]]]: ...
    def cancel(self) -> None: ...
    def kill(self) -> None: ...


class RunSource(Protocol):
    """Builds options, discovers and starts runs."""

    def options(self, **kwargs: Any) -> Any: ...
    def discover(self, options: Any) -> Discovered: ...
    def start_run(self, options: Any) -> RunHandle: ...


class RunnerSource:
    """The real source: discovery and scheduling in Rust."""

    def options(self, **kwargs: Any) -> Any:
        from dbtest.runner import RunOptions

        return RunOptions(**{k: v for k, v in kwargs.items() if v is not None})

    def discover(self, options: Any) -> Discovered:
        """Walk and parse `options.paths` under `options.root` (once: filters
        then ask the result). Raises `dbtest._core.UsageError` for a bad
        configuration or path."""
        from dbtest import _core

        return Discovered(_core.Discovery(paths=list(options.paths), root_dir=options.root))

    def start_run(self, options: Any) -> RunHandle:
        """Raises `dbtest._core.UsageError` for bad options or configuration."""
        from dbtest import runner

        return runner.start_run(options)


def prefetch_discovery(source: RunSource, root: str, paths: list[str]) -> Future[Discovered]:
    """Start discovering in a background thread now; the app picks the result up."""
    future: Future[Discovered] = Future()

    def work() -> None:
        try:
            future.set_result(source.discover(source.options(root=root, paths=paths)))
        except BaseException as e:  # noqa: BLE001 - handed to the app, shown there
            future.set_exception(e)

    threading.Thread(target=work, name="dbtest-tui-prefetch", daemon=True).start()
    return future
