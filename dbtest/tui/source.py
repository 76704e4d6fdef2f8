"""Where the TUI gets its tree and its runs: `dbtest.runner` by default.

The app only talks to a `RunSource`, so tests (and the screenshot script) can
inject a scripted source, and the real one stays the runner facade the CLI
uses: no selection or scheduling logic is duplicated here.
"""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator
from concurrent.futures import Future
from typing import Any, Protocol


class RunHandle(Protocol):
    """A started run (`dbtest.runner.Run`)."""

    def aevents(self) -> AsyncIterator[list[dict[str, Any]]]: ...
    def cancel(self) -> None: ...
    def kill(self) -> None: ...


class RunSource(Protocol):
    """Builds options, discovers and starts runs."""

    def options(self, **kwargs: Any) -> Any: ...
    def discover(self, options: Any) -> dict[str, Any]: ...
    def start_run(self, options: Any) -> RunHandle: ...


def flatten(discovered: dict[str, Any]) -> dict[str, Any]:
    """`{"root", "items", "collection_errors"}` from a discovery document,
    whether it lists items flat or nests them as files → suites → items."""
    if "items" in discovered and "files" not in discovered:
        discovered.setdefault("collection_errors", [])
        return discovered
    items: list[dict[str, Any]] = list(discovered.get("items") or [])
    errors: list[dict[str, Any]] = list(discovered.get("collection_errors") or [])
    for f in discovered.get("files") or []:
        if isinstance(f, str):
            continue
        if f.get("error"):
            errors.append(f["error"])
        for suite in f.get("suites") or []:
            for item in suite.get("items") or []:
                # The suite's own line (its `class`), for its row.
                item.setdefault("suite_line", suite.get("line"))
                items.append(item)
        items.extend(f.get("items") or [])
    if isinstance(discovered.get("errors"), list):
        errors.extend(discovered["errors"])
    seen = {(e.get("path"), e.get("line")) for e in errors}
    unique = []
    for e in errors:
        if (e.get("path"), e.get("line")) in seen:
            seen.discard((e.get("path"), e.get("line")))
            unique.append(e)
    return {"root": discovered.get("root"), "items": items, "collection_errors": unique}


class RunnerSource:
    """The real source: `dbtest.runner` (discovery and scheduling in Rust)."""

    def options(self, **kwargs: Any) -> Any:
        from dbtest.runner import RunOptions

        return RunOptions(**{k: v for k, v in kwargs.items() if v is not None})

    def discover(self, options: Any) -> dict[str, Any]:
        """Raises `dbtest._core.UsageError` for a bad filter or configuration."""
        from dbtest import _core, runner

        if hasattr(runner, "discover"):
            return flatten(runner.discover(options))
        data = _core.discover(
            paths=list(options.paths),
            root_dir=options.root,
            pattern=options.pattern,
            tags=list(options.tags or []),
            expr=options.expr,
            mode=options.mode,
        )
        return flatten(json.loads(data))

    def start_run(self, options: Any) -> RunHandle:
        """Raises `dbtest._core.UsageError` for bad options or configuration."""
        from dbtest import runner

        return runner.start_run(options)


def prefetch_discovery(source: RunSource, root: str, paths: list[str]) -> Future[dict[str, Any]]:
    """Start discovering in a background thread now; the app picks the result up."""
    future: Future[dict[str, Any]] = Future()

    def work() -> None:
        try:
            future.set_result(source.discover(source.options(root=root, paths=paths)))
        except BaseException as e:  # noqa: BLE001 - handed to the app, shown there
            future.set_exception(e)

    threading.Thread(target=work, name="dbtest-tui-prefetch", daemon=True).start()
    return future
