"""`dbtest tui`: the Textual application that ties the widgets to the model
and to the run source (the Rust engine through `dbtest.runner`)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import App, ComposeResult, SuspendNotSupported, SystemCommand
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Input, Tree

from dbtest._core import UsageError
from dbtest.tui import keys
from dbtest.tui.coverage import CoverageRuns
from dbtest.tui.details import DetailsPane
from dbtest.tui.editor import editor_command
from dbtest.tui.filter_bar import FilterBar, parse_filter
from dbtest.tui.help_screen import HelpScreen
from dbtest.tui.messages import (
    DiscoveryFailed,
    FilesChanged,
    FilterChanged,
    FilterResult,
    RunEnded,
    RunEvents,
    TreeLoaded,
)
from dbtest.tui.source import Discovered, RunHandle, RunnerSource, RunSource
from dbtest.tui.state import Change, TuiState, load_session, save_session
from dbtest.tui.status_bar import StatusBar
from dbtest.tui.tag_picker import TagPicker
from dbtest.tui.tree import TestTree
from dbtest.tui.watch import Watcher

# Repaint at most this often while events stream in: applying events to the
# model is cheap, repainting the tree for each one of 10,000 is not.
UI_FLUSH_INTERVAL = 0.05
FILTER_DEBOUNCE = 0.15


class DbtestApp(App[int]):
    """The interactive runner. `source` supplies discovery and runs (the real
    engine by default); everything else is local state and widgets."""

    TITLE = "dbtest"
    CSS_PATH = "styles.tcss"

    # Made from the one table of keys (help, palette and docs/tui.md too).
    BINDINGS: ClassVar[list[BindingType]] = list(keys.bindings())

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        paths: Iterable[str] = (),
        *,
        pattern: str | None = None,
        expr: str | None = None,
        tags: Iterable[str] | None = None,
        workers: int | None = None,
        source: RunSource | None = None,
        restore_session: bool = True,
        persist: bool = True,
        watch_delay_ms: int = 200,
        clock: Callable[[], float] = time.monotonic,
        prefetched: Future[Discovered] | None = None,
        coverage: Any = None,
        run_options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        # Options every run takes, from the command line (`dbtest tui
        # --instrument instructions`, `--bench-time 2`): `RunOptions` names.
        self.run_options = dict(run_options or {})
        # `--cov` (`dbtest.cli.coverage_setup.CovSettings`): runs are measured.
        self.coverage = CoverageRuns(coverage) if coverage is not None else None
        self.root_dir = Path(root or os.getcwd()).resolve()
        self.paths = list(paths)
        self.worker_count = workers
        self.source: RunSource = source or RunnerSource()
        self.persist = persist
        # Watch mode's debounce: one rerun for an editor's several writes.
        self.watch_delay_ms = watch_delay_ms
        # True once watch mode's watcher is in place (a save from then on is seen).
        self.watch_armed = False
        # Injectable so snapshot tests get the same elapsed times every time.
        self.clock = clock
        self._prefetched = prefetched
        self.state = TuiState()
        self.active_run: RunHandle | None = None
        self.run_serial = 0
        self.watching = False
        self.tree_ready = False
        # The engine's discovery the tree was built from; filters ask it.
        self.discovery: Discovered | None = None
        # Where the engine found the config: the tree's paths are relative to
        # it, which is not the directory the TUI started in when that is a
        # subdirectory of the project.
        self.project_root = self.root_dir
        self.tree_shown_at: float | None = None
        self._pending: Change | None = None
        self._flush_timer: Any = None
        self._filter_gen = 0
        # The generation whose answer the tree shows (tests wait on it).
        self.filter_applied = 0
        self._after_discovery: list[Callable[[], None]] = []
        # Files watch mode saw change during a run: rerun once it ends.
        self._watch_rerun: set[str] | None = None
        self._session = load_session(self.root_dir) if restore_session else {}
        if pattern or expr:
            self.state.filter_text = f"-E {expr}" if expr else str(pattern)
        else:
            self.state.filter_text = str(self._session.get("filter") or "")
        self._cli_tags = list(tags) if tags else None

    # ------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        yield FilterBar(id="filter-bar")
        with Horizontal(id="main"):
            yield TestTree(self.state, id="tree")
            yield DetailsPane(self.state, id="details")
        yield StatusBar(id="status")
        yield Footer()

    def on_mount(self) -> None:
        bar = self.query_one(FilterBar)
        bar.set_text(self.state.filter_text)
        bar.show_tags(self._cli_tags or [])
        self.query_one(TestTree).focus()
        self.set_interval(0.5, self._tick)
        self._discover()

    @property
    def tree(self) -> TestTree:
        return self.query_one(TestTree)

    @property
    def details(self) -> DetailsPane:
        return self.query_one(DetailsPane)

    # ---------------------------------------------------------- discovery

    @work(thread=True, exclusive=True, group="discover")
    def _discover(self) -> None:
        try:
            prefetched, self._prefetched = self._prefetched, None
            if prefetched is not None:
                discovered = prefetched.result()
            else:
                opts = self.source.options(root=str(self.root_dir), paths=self.paths)
                discovered = self.source.discover(opts)
        except UsageError as e:
            self.post_message(DiscoveryFailed(str(e)))
            return
        except Exception as e:  # noqa: BLE001 - shown in the UI, not a traceback
            self.post_message(DiscoveryFailed(f"{type(e).__name__}: {e}"))
            return
        self.post_message(TreeLoaded(discovered))

    def on_tree_loaded(self, message: TreeLoaded) -> None:
        first = not self.tree_ready
        self.discovery = message.discovered
        self.project_root = Path(message.discovered.root)
        self.state.load(message.discovered.tree)
        if first:
            self.state.restore_session(self._session)
            if self._cli_tags is not None:
                self.state.tags = self._cli_tags
            self.query_one(FilterBar).show_tags(self.state.tags)
        self.tree_ready = True
        self._repopulate()
        if self.tree_shown_at is None:
            self.tree_shown_at = time.monotonic()
        self._update_status()
        self._apply_filter()
        self.details.show(self.tree.cursor_key or self._first_key())
        callbacks, self._after_discovery = self._after_discovery, []
        for cb in callbacks:
            cb()

    def on_discovery_failed(self, message: DiscoveryFailed) -> None:
        self.notify(message.message, title="discovery failed", severity="error", timeout=10)
        self._after_discovery = []

    def _repopulate(self) -> None:
        """Rebuild the tree's rows, then show the details of whatever row the
        cursor is on once it has settled: filtering or a rediscovery may have
        hidden the row it was on without any highlight event."""
        self.tree.populate()
        self.call_after_refresh(self._sync_details)

    def _sync_details(self) -> None:
        key = self.tree.cursor_key
        if key is not None and key != self.details.key:
            self.details.show(key)

    def _first_key(self) -> str | None:
        return self.state.root.children[0].key if self.state.root.children else None

    # ------------------------------------------------------------- filter

    @on(FilterChanged)
    def _filter_changed(self, message: FilterChanged) -> None:
        self.state.filter_text = message.text
        self._filter_gen += 1
        gen = self._filter_gen
        self.set_timer(FILTER_DEBOUNCE, partial(self._apply_filter, gen))

    def _apply_filter(self, gen: int | None = None) -> None:
        """Ask the engine which items the filter and tags select."""
        if gen is not None and gen != self._filter_gen:
            return  # the user typed again since
        if not self.tree_ready:
            return
        self._filter_gen += 1
        pattern, expr = parse_filter(self.state.filter_text)
        if pattern is None and expr is None and not self.state.tags:
            self.filter_applied = self._filter_gen
            self.query_one(FilterBar).show_error(None)
            if self.state.visible is not None:
                self.state.set_visible(None)
                self._repopulate()
            return
        self._run_filter(self._filter_gen, pattern, expr, list(self.state.tags))

    @work(thread=True, exclusive=True, group="filter")
    def _run_filter(self, gen: int, pattern: str | None, expr: str | None, tags: list[str]) -> None:
        """The held discovery answers: no walk, no parse (the GIL is released meanwhile)."""
        if self.discovery is None:
            return
        try:
            ids = self.discovery.select(pattern=pattern, tags=tags, expr=expr)
        except UsageError as e:
            self.post_message(FilterResult(gen, None, str(e)))
            return
        except Exception as e:  # noqa: BLE001 - shown inline, the TUI must not die
            self.post_message(FilterResult(gen, None, f"{type(e).__name__}: {e}"))
            return
        self.post_message(FilterResult(gen, ids))

    def on_filter_result(self, message: FilterResult) -> None:
        if message.generation != self._filter_gen:
            return
        self.filter_applied = message.generation
        bar = self.query_one(FilterBar)
        if message.error is not None:
            bar.show_error(message.error)
            return
        bar.show_error(None)
        self.state.set_visible(message.ids)
        self._repopulate()

    # --------------------------------------------------------------- runs

    def start(self, ids: list[str] | None, label: str, **select: Any) -> bool:
        """Start a run of `ids` (None: everything the filter shows), further
        narrowed by `select` (`changed="HEAD"`, `changed_paths=[...]`: only
        what those changes affect, as the engine selects for `--changed`)."""
        if self.active_run is not None:
            self.notify("a run is in progress: s stops it", severity="warning")
            return False
        kwargs: dict[str, Any] = {"root": str(self.root_dir), "paths": self.paths}
        if ids is None:
            pattern, expr = parse_filter(self.state.filter_text)
            kwargs.update(pattern=pattern, expr=expr, tags=list(self.state.tags))
        else:
            kwargs["ids"] = ids
        if self.worker_count is not None:
            kwargs["workers"] = self.worker_count
        kwargs.update(self.run_options)
        kwargs.update(select)
        try:
            if self.coverage is not None:
                self.coverage.options(kwargs)  # a report folder gone since: said, not raised
            run = self.source.start_run(self.source.options(**kwargs))
        except UsageError as e:
            self.notify(str(e), title="cannot run", severity="error", timeout=8)
            return False
        self.active_run = run
        self.run_serial += 1
        self.sub_title = label
        self._consume(run, self.run_serial)
        return True

    @work(exclusive=True, group="run")
    async def _consume(self, run: RunHandle, serial: int) -> None:
        """Forward the run's event batches to the UI, one message per batch."""
        try:
            async for batch in run.aevents():
                self.post_message(RunEvents(serial, list(batch)))
        except Exception as e:  # noqa: BLE001 - the run failed, the TUI must not
            self.post_message(RunEnded(serial, f"{type(e).__name__}: {e}"))
            return
        self.post_message(RunEnded(serial))

    def on_run_events(self, message: RunEvents) -> None:
        if message.run_serial != self.run_serial:
            return
        change = self.state.apply(message.events, now=self.clock())
        if self._pending is None:
            self._pending = change
        else:
            self._pending.merge(change)
        if change.finished or change.started:
            self._flush_ui()
        elif self._flush_timer is None:
            self._flush_timer = self.set_timer(UI_FLUSH_INTERVAL, self._flush_ui)

    def _flush_ui(self) -> None:
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None
        change, self._pending = self._pending, None
        if change is None:
            return
        if change.structure:
            self._repopulate()
        else:
            self.tree.refresh_keys(change.ids)
        self.details.refresh_if_affected(change.ids)
        self._update_status()
        if change.finished:
            self._run_finished()

    def on_run_ended(self, message: RunEnded) -> None:
        if message.run_serial != self.run_serial:
            return
        self._flush_ui()
        if message.error:
            self.notify(message.error, title="run failed", severity="error", timeout=10)
        if self.state.progress.running:
            # The stream ended without run_finished (engine error): close the run.
            self.state.apply(
                [{"type": "run_finished", "summary": {}, "interrupted": True}], now=self.clock()
            )
            self.tree.refresh_keys(set(self.state.last_run_ids))
            self._update_status()
        if self.coverage is not None:
            # Here, before a watch rerun empties the data directory again.
            root = getattr(self.active_run, "root", None) or self.project_root
            self.state.progress.coverage = self.coverage.finish(str(root))
            self._update_status()
        self.active_run = None
        self.sub_title = ""
        pending, self._watch_rerun = self._watch_rerun, None
        if pending:
            self._rerun_changed(sorted(pending))

    def _run_finished(self) -> None:
        if self.persist:
            save_session(self.root_dir, self.state)
        p = self.state.progress
        failed = len(self.state.last_failures)
        if p.interrupted:
            self.notify(f"stopped: {p.done} of {p.total} finished", severity="warning")
        elif failed:
            self.notify(
                f"{failed} failed: n jumps to the next failure, f reruns them", severity="error"
            )
        else:
            self.notify(f"{p.done} finished, no failures")

    def _update_status(self) -> None:
        self.query_one(StatusBar).update_from(self.state.progress, self.watching, self.clock())

    def _tick(self) -> None:
        if self.state.progress.running:
            self._update_status()

    # ------------------------------------------------------------ actions

    def _cursor_node(self):  # type: ignore[no-untyped-def]
        key = self.tree.cursor_key
        return self.state.nodes.get(key) if key is not None else None

    def action_run_selection(self) -> None:
        """Run the selected tests, or the highlighted node when none is selected."""
        if self.state.selected:
            # What you see is what runs: a selection the filter or tags hide
            # would run out of sight, its failures beyond `n`.
            chosen = [leaf for leaf in self.state.leaves if leaf.key in self.state.selected]
            ids = [leaf.key for leaf in chosen if self.state.is_visible(leaf)]
            hidden = len(chosen) - len(ids)
            if not ids:
                self.notify(
                    f"the {hidden} selected tests are hidden by the filter or tags",
                    severity="warning",
                )
                return
            if hidden:
                self.notify(f"{hidden} selected tests hidden by the filter are not run")
            self.start(ids, f"{len(ids)} selected")
            return
        node = self._cursor_node()
        if node is None:
            self.notify("nothing to run", severity="warning")
            return
        ids = [leaf.key for leaf in self.state.leaves_under(node, visible_only=True)]
        if not ids:
            self.notify("nothing to run under this node", severity="warning")
            return
        self.start(ids, node.key)

    def action_run_all(self) -> None:
        """Run everything the current filter and tags show."""
        self.start(None, "all")

    def action_run_changed(self) -> None:
        """Run only what the working tree's changes affect (`dbtest --changed`)."""
        if self.start(None, "changed since HEAD", changed="HEAD"):
            selected = getattr(self.active_run, "selected", None)
            if selected == 0:
                self.notify("nothing the working tree's changes affect is shown")

    def action_rerun_failures(self) -> None:
        """Rerun the failures of the last run."""
        if self.active_run is not None:
            self.notify("a run is in progress: s stops it", severity="warning")
            return
        ids = list(self.state.last_failures) or [n.key for n in self.state.failures()]
        if not ids:
            self.notify("no failures to rerun")
            return
        self.start(ids, f"{len(ids)} failures")

    def action_toggle_select(self) -> None:
        node = self._cursor_node()
        if node is None or node.kind == "error":
            return
        changed = self.state.toggle(node)
        self.tree.refresh_keys(changed)
        self.details.refresh_if_affected(changed)

    def action_clear_selection(self) -> None:
        self.tree.refresh_keys(self.state.clear_selection())

    def action_focus_filter(self) -> None:
        self.query_one("#filter-input", Input).focus()

    def action_focus_tree(self) -> None:
        self.tree.focus()

    def action_pick_tags(self) -> None:
        def chosen(tags: list[str] | None) -> None:
            if tags is None:
                return
            self.state.tags = tags
            self.query_one(FilterBar).show_tags(tags)
            self._apply_filter()

        self.push_screen(TagPicker(self.state.all_tags(), self.state.tags), chosen)

    def action_stop(self) -> None:
        """Stop the run: cancel (pending tests become cancelled); again: kill."""
        if self.active_run is None:
            return
        p = self.state.progress
        if p.cancelling:
            self.active_run.kill()
            self.notify("killing the workers")
        else:
            p.cancelling = True
            self.active_run.cancel()
            self.notify("stopping: s again kills the workers")
        self._update_status()

    def action_escape(self) -> None:
        if isinstance(self.focused, Input):
            self.tree.focus()
        elif self.active_run is not None:
            self.action_stop()
        else:
            self.tree.focus()

    def _jump_failure(self, step: int) -> None:
        failures = [n for n in self.state.failures() if self.state.is_visible(n)]
        if not failures:
            self.notify("no failures")
            return
        keys = [n.key for n in failures]
        order = {leaf.key: i for i, leaf in enumerate(self.state.leaves)}
        cur = self.tree.cursor_key
        pos = order.get(cur or "", -1)
        if step > 0:
            nxt = next((k for k in keys if order[k] > pos), keys[0])
        else:
            nxt = next((k for k in reversed(keys) if order[k] < pos), keys[-1])
        self.tree.reveal(nxt)
        self.details.show(nxt)

    def action_next_failure(self) -> None:
        self._jump_failure(1)

    def action_previous_failure(self) -> None:
        self._jump_failure(-1)

    def action_edit(self) -> None:
        """Open the highlighted test (or file) at its line in $VISUAL/$EDITOR."""
        node = self._cursor_node()
        if node is None or not node.path:
            return
        cmd = editor_command(str(self.project_root / node.path), node.line)
        try:
            try:
                with self.suspend():
                    subprocess.run(cmd, check=False)
            except SuspendNotSupported:
                # No terminal to hand over (tests, web): GUI editors still work.
                subprocess.run(
                    cmd, check=False, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL
                )
        except OSError as e:
            self.notify(f"cannot start the editor {cmd[0]!r}: {e}", severity="error")

    def action_toggle_watch(self) -> None:
        """Watch mode: on a change under the root, rerun what it affects."""
        self.watching = not self.watching
        if self.watching:
            self._watch_loop()
            self.notify("watch mode on: saving a file reruns what it affects")
        else:
            self.workers.cancel_group(self, "watch")
            self.watch_armed = False
            self.notify("watch mode off")
        self._update_status()

    @work(thread=True, exclusive=True, group="watch")
    def _watch_loop(self) -> None:
        from textual.worker import get_current_worker

        worker = get_current_worker()
        # What a covered run writes (htmlcov/, coverage.xml) must not start the next.
        outputs = self.coverage.settings.outputs() if self.coverage is not None else []
        try:
            watcher = Watcher(self.project_root, self.watch_delay_ms, outputs)
        except UsageError as e:
            self.call_from_thread(self.notify, str(e), title="watch", severity="error")
            return
        self.watch_armed = True
        while not worker.is_cancelled:
            # The engine's events, debounced; waking every 0.25 s to see a cancel.
            changes = watcher.wait(0.25)
            if changes and not worker.is_cancelled:
                self.post_message(FilesChanged(changes))

    def on_files_changed(self, message: FilesChanged) -> None:
        if not self.watching:
            return
        changed = sorted(message.paths)

        def rerun() -> None:
            if self.active_run is not None:
                # After the current run ends, with whatever else changes meanwhile.
                self._watch_rerun = (self._watch_rerun or set()) | set(changed)
                return
            self._rerun_changed(changed)

        self._after_discovery.append(rerun)
        self._discover()

    def _rerun_changed(self, changed: list[str]) -> None:
        """Run what `changed` (root-relative files) affects, as `dbtest --watch` does."""
        self.start(None, "watch: " + ", ".join(changed)[:60], changed_paths=changed)

    def action_rediscover(self) -> None:
        """Walk and parse again: files changed outside watch mode."""
        self.notify("discovering the tree again")
        self._discover()

    def action_help(self) -> None:
        self.push_screen(HelpScreen([(k.key, k.description) for k in keys.KEYS]))

    def action_open(self) -> None:
        node = self.tree.cursor_node
        if node is None:
            return
        if node.allow_expand:
            node.toggle()
        else:
            self.details.focus()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for k in keys.KEYS:
            if k.palette:
                yield SystemCommand(
                    k.description[0].upper() + k.description[1:],
                    f"key: {k.key}",
                    partial(self.run_action, k.action),
                )

    # ------------------------------------------------------------- events

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted[str]) -> None:
        self.details.show(event.node.data)

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected[str]) -> None:
        self.details.show(event.node.data)
        if event.node.allow_expand:
            event.node.toggle()

    def on_unmount(self) -> None:
        if self.active_run is not None:
            self.active_run.kill()
        if self.persist and self.tree_ready:
            save_session(self.root_dir, self.state)
