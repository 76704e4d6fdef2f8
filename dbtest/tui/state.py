"""The TUI's pure model: the test tree, the selection, results and the session file.

Nothing here imports Textual, so every rule (tri-state selection, counts,
event application, persistence) is testable without a terminal. Widgets read
this model and are told which ids changed after each batch of events.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dbtest import ids as id_grammar
from dbtest.outcomes import FAILING, ORDER, is_failure

SESSION_VERSION = 1
SESSION_FILE = Path(".dbtest") / "tui.json"

FAILURE_OUTCOMES = FAILING
OUTCOMES = ORDER

# Live output kept per test and stream: the tail is what matters when a test
# prints megabytes, and the TUI must stay within a bounded memory.
LIVE_OUTPUT_LIMIT = 64 * 1024
# What a result keeps of a record, in memory and in the session file.
KEEP_MESSAGE = 8 * 1024
KEEP_TRACEBACK = 32 * 1024
KEEP_STREAM = 32 * 1024
KEEP_LOGS = 200


def tail(text: str | None, limit: int) -> str | None:
    """The last `limit` characters of `text`, with a note of what was dropped."""
    if text is None or len(text) <= limit:
        return text
    dropped = len(text) - limit
    return f"[... {dropped} characters dropped ...]\n" + text[-limit:]


def head(text: str | None, limit: int) -> str | None:
    """The first `limit` characters of `text`, with a note of what was dropped."""
    if text is None or len(text) <= limit:
        return text
    return text[:limit] + f"\n[... {len(text) - limit} characters dropped ...]"


@dataclass(eq=False)
class Node:
    """One row of the tree: the root, a file, a suite/group, a parametrized
    function, a test or benchmark entry, or a file that failed to collect."""

    key: str
    kind: str  # root | file | suite | group | function | test | bench | error
    name: str
    path: str = ""
    line: int = 0
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)
    item: dict[str, Any] | None = None
    error: str | None = None
    tags: list[str] = field(default_factory=list)

    @property
    def is_leaf(self) -> bool:
        return self.kind in ("test", "bench")

    def ancestors(self) -> Iterable[Node]:
        """Parents up to (and including) the root."""
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


@dataclass
class RunProgress:
    """Live numbers of the current (or last) run, for the status bar."""

    total: int = 0
    done: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    # Outcome per finished id: a benchmark entry may end with bench_finished,
    # test_finished or both, and must count once.
    outcome_of: dict[str, str] = field(default_factory=dict)
    workers: int = 0
    busy: dict[int, str] = field(default_factory=dict)
    started_at: float | None = None
    finished_at: float | None = None
    running: bool = False
    cancelling: bool = False
    interrupted: bool = False
    run_errors: list[dict[str, Any]] = field(default_factory=list)
    # What runs past slow-timeout (a test id, or a phase: an import, a
    # hook) with how long it had run when last announced; and its worker.
    slow: dict[str, float] = field(default_factory=dict)
    slow_worker: dict[str, int] = field(default_factory=dict)
    summary: dict[str, Any] | None = None
    # The engine's summary line of the finished run: `(text, role)` pieces.
    summary_line: list[tuple[str, str]] | None = None
    # `--cov`: the combined total of the finished run (`87%`).
    coverage: str | None = None

    def live_counts(self) -> dict[str, int]:
        """What the run has counted so far, by the names the engine's
        summary takes (`_core.counts_line`)."""
        counts = {k: n for k, n in self.counts.items() if n}
        if self.run_errors:
            counts["run_errors"] = len(self.run_errors)
        return counts

    def finish(self, rid: str, outcome: str) -> None:
        old = self.outcome_of.get(rid)
        if old is not None:
            self.counts[old] -= 1
            if not self.counts[old]:
                del self.counts[old]
        else:
            self.done += 1
        self.outcome_of[rid] = outcome
        self.counts[outcome] += 1
        self.total = max(self.total, self.done)

    def elapsed(self, now: float | None = None) -> float:
        if self.started_at is None:
            return 0.0
        end = self.finished_at if self.finished_at is not None else (now or time.monotonic())
        return max(0.0, end - self.started_at)


@dataclass
class Change:
    """What a batch of events changed, so widgets refresh only that."""

    ids: set[str] = field(default_factory=set)
    structure: bool = False
    progress: bool = False
    started: bool = False
    finished: bool = False

    def merge(self, other: Change) -> None:
        self.ids |= other.ids
        self.structure |= other.structure
        self.progress |= other.progress
        self.started |= other.started
        self.finished |= other.finished


class TuiState:
    """The tree, what is selected and visible, results, and the live run."""

    def __init__(self) -> None:
        self.root = Node(key="", kind="root", name="")
        self.nodes: dict[str, Node] = {"": self.root}
        self.leaves: list[Node] = []
        self.leaf_count: Counter[str] = Counter()
        self.sel_count: Counter[str] = Counter()
        self.selected: set[str] = set()
        # None: no filter; otherwise keys of nodes that pass it (ancestors included).
        self.visible: set[str] | None = None
        self.filter_text: str = ""
        self.tags: list[str] = []
        self.results: dict[str, dict[str, Any]] = {}
        self.status: dict[str, str] = {}  # id -> queued | running (during a run)
        self.node_counts: dict[str, Counter[str]] = {}
        self.live: dict[str, dict[str, str]] = {}
        self.bench: dict[str, dict[str, Any]] = {}
        self.bench_progress: dict[str, tuple[str, int]] = {}
        self.progress = RunProgress()
        self.last_run_ids: list[str] = []
        self.last_failures: list[str] = []

    # ------------------------------------------------------------------ tree

    def load(self, tree: dict[str, Any]) -> None:
        """(Re)build the tree from the engine's discovery document (files,
        their suites and items, errors; docs/discovery.md), keeping the
        selection and results of the ids that still exist."""
        selected, results = self.selected, self.results
        self.__init_tree()
        for f in tree["files"]:
            file = self._file(f["path"])
            for suite in f["suites"]:
                node = self._suite(file, suite["name"], suite["kind"], suite["line"])
                node.tags = list(suite["tags"])
                for item in suite["items"]:
                    self._add_item(item, node)
            for item in f["items"]:
                self._add_item(item, file)
        for err in tree["errors"]:
            self._add_error(err)
        self._finish_tree()
        self.selected = set()
        self.sel_count = Counter()
        self.set_selected([i for i in selected if i in self.nodes], True)
        self.results = {}
        for rid, rec in results.items():
            self._set_result(rid, rec)

    def __init_tree(self) -> None:
        self.root = Node(key="", kind="root", name="")
        self.nodes = {"": self.root}
        self.leaves = []
        self.leaf_count = Counter()
        self.node_counts = {}

    def _child(self, parent: Node, key: str, kind: str, name: str, **kw: Any) -> Node:
        node = self.nodes.get(key)
        if node is None:
            node = Node(key=key, kind=kind, name=name, parent=parent, **kw)
            parent.children.append(node)
            self.nodes[key] = node
        return node

    def _file(self, path: str, kind: str = "file") -> Node:
        return self._child(self.root, path, kind, path, path=path, line=1)

    def _suite(self, file: Node, name: str, kind: str, line: int) -> Node:
        """A suite or unittest class (`suite`), or a benchmark group (`group`)."""
        kind = "group" if kind == "group" else "suite"
        key = id_grammar.child(file.path, name)
        return self._child(file, key, kind, name, path=file.path, line=line)

    def _add_item(self, item: dict[str, Any], parent: Node | None = None) -> Node:
        """The leaf for a TestItem under `parent` (its file or suite); without
        one (an item a run selected that the tree does not have yet), under
        the file and suite the item names."""
        path = item["path"]
        if parent is None:
            parent = self._file(path)
            if item.get("suite"):
                group = "group" if item["kind"] == "bench" else "suite"
                parent = self._suite(parent, item["suite"], group, item["line"])
        if item.get("params") is not None:
            key = id_grammar.base(item["id"])
            parent = self._child(
                parent, key, "function", item["name"], path=path, line=item["line"]
            )
        leaf_kind = "bench" if item["kind"] == "bench" else "test"
        label = item["name"] if item.get("params") is None else f"[{item['params']}]"
        return self._child(
            parent,
            item["id"],
            leaf_kind,
            label,
            path=path,
            line=item["line"],
            item=item,
            tags=list(item["tags"]),
        )

    def _add_error(self, err: dict[str, Any]) -> None:
        path = err.get("path", "?")
        node = self.nodes.get(path)
        if node is None:
            node = self._file(path, "error")
        node.kind = "error"
        node.line = int(err.get("line") or 1)
        node.error = err.get("message", "")

    def _finish_tree(self) -> None:
        self.root.children.sort(key=lambda n: n.path)
        self.leaves = []

        def walk(node: Node) -> int:
            if node.is_leaf:
                self.leaves.append(node)
                count = 1
            else:
                count = sum(walk(c) for c in node.children)
            self.leaf_count[node.key] = count
            return count

        walk(self.root)

    def leaves_under(self, node: Node, visible_only: bool = False) -> list[Node]:
        """The runnable leaves below (or equal to) `node`, in tree order."""
        out: list[Node] = []
        stack = [node]
        while stack:
            n = stack.pop()
            if visible_only and not self.is_visible(n):
                continue
            if n.is_leaf:
                out.append(n)
            else:
                stack.extend(reversed(n.children))
        return out

    def ensure_record_node(self, record: dict[str, Any]) -> tuple[Node, bool]:
        """The leaf for a record id, created when the worker found a test that
        static discovery could not see (computed parameters, inherited suites)."""
        rid = record["id"]
        node = self.nodes.get(rid)
        if node is not None:
            return node, False
        path = record.get("path") or id_grammar.path_of(rid)
        # Nearest existing container: the function, the suite, then the file.
        parent: Node | None = None
        prefix: str | None = id_grammar.base(rid)
        while prefix:
            cand = self.nodes.get(prefix)
            if cand is not None and not cand.is_leaf and cand.kind != "root":
                parent = cand
                break
            if cand is not None and cand.is_leaf:
                parent = cand.parent
                break
            prefix = id_grammar.parent(prefix)
        if parent is None:
            parent = self._file(path)
        name = id_grammar.relative(rid, parent.key) or rid
        if parent.kind == "function" and rid.startswith(parent.key):
            name = rid[len(parent.key) :]
        kind = "bench" if record.get("kind") == "bench" else "test"
        node = self._child(
            parent,
            rid,
            kind,
            name,
            path=path,
            line=int(record.get("line") or 0),
            tags=list(record.get("tags", [])),
        )
        self._finish_tree()
        # Keep selection counts consistent with the new leaf count.
        if self.visible is not None:
            self.visible.add(rid)
            self.visible.update(a.key for a in node.ancestors())
        return node, True

    # ------------------------------------------------------------ selection

    def selection_state(self, node: Node) -> str:
        """`all`, `some` or `none` of the leaves under `node` are selected."""
        total = self.leaf_count.get(node.key, 0)
        sel = self.sel_count.get(node.key, 0)
        if total == 0 or sel == 0:
            return "none"
        return "all" if sel >= total else "some"

    def set_selected(self, ids: Iterable[str], on: bool) -> set[str]:
        """Select or unselect leaves; returns the keys whose state changed
        (the leaves and their ancestors)."""
        changed: set[str] = set()
        for leaf_id in ids:
            node = self.nodes.get(leaf_id)
            if node is None or not node.is_leaf or (leaf_id in self.selected) == on:
                continue
            delta = 1 if on else -1
            if on:
                self.selected.add(leaf_id)
            else:
                self.selected.discard(leaf_id)
            self.sel_count[leaf_id] += delta
            changed.add(leaf_id)
            for a in node.ancestors():
                self.sel_count[a.key] += delta
                changed.add(a.key)
        return changed

    def toggle(self, node: Node) -> set[str]:
        """Space on a node: select all of its visible leaves, or unselect them
        when they are all selected already."""
        leaves = self.leaves_under(node, visible_only=True)
        on = not all(leaf.key in self.selected for leaf in leaves)
        return self.set_selected([leaf.key for leaf in leaves], on)

    def clear_selection(self) -> set[str]:
        return self.set_selected(list(self.selected), False)

    # --------------------------------------------------------------- filter

    def set_visible(self, ids: Iterable[str] | None) -> None:
        """Narrow the tree to the items whose ids the engine's filter returned."""
        if ids is None:
            self.visible = None
            return
        vis: set[str] = set()
        for i in ids:
            node = self.nodes.get(i)
            if node is None:
                continue
            vis.add(i)
            for a in node.ancestors():
                if a.key in vis:
                    break
                vis.add(a.key)
        self.visible = vis

    def is_visible(self, node: Node) -> bool:
        if self.visible is None or node.kind == "root":
            return True
        if node.kind == "error":
            # Collection errors stay in view: they are why tests may be missing.
            return True
        return node.key in self.visible

    def all_tags(self) -> Counter[str]:
        """Every tag with the number of items carrying it."""
        c: Counter[str] = Counter()
        for leaf in self.leaves:
            c.update(leaf.tags)
        return c

    # -------------------------------------------------------------- results

    def node_status(self, node: Node) -> str | None:
        """`running`, `queued`, an outcome, or None when never run."""
        st = self.status.get(node.key)
        if st is not None:
            return st
        rec = self.results.get(node.key)
        return rec["outcome"] if rec else None

    def counts(self, node: Node) -> Counter[str]:
        return self.node_counts.get(node.key) or Counter()

    def _bump(self, node: Node, outcome: str, delta: int) -> None:
        for n in (node, *node.ancestors()):
            c = self.node_counts.setdefault(n.key, Counter())
            c[outcome] += delta

    def _set_result(self, rid: str, record: dict[str, Any] | None) -> None:
        node = self.nodes.get(rid)
        old = self.results.pop(rid, None)
        if old is not None and node is not None:
            self._bump(node, old["outcome"], -1)
        if record is not None:
            self.results[rid] = record
            if node is not None:
                self._bump(node, record["outcome"], 1)

    def failures(self) -> list[Node]:
        """Leaves whose last result is a failure, in tree order."""
        return [leaf for leaf in self.leaves if (r := self.results.get(leaf.key)) and is_failure(r)]

    # --------------------------------------------------------------- events

    def apply(self, events: Iterable[dict[str, Any]], now: float | None = None) -> Change:
        """Apply a batch of run events; returns what changed."""
        change = Change()
        for ev in events:
            handler = getattr(self, "_on_" + str(ev.get("type")), None)
            if handler is not None:
                handler(ev, change, now if now is not None else time.monotonic())
        return change

    def _on_run_started(self, ev: dict[str, Any], ch: Change, now: float) -> None:
        selected = list(ev.get("selected", []))
        ids = [i["id"] for i in selected]
        for item in selected:
            if item["id"] not in self.nodes:
                self._add_item(item)
                ch.structure = True
        if ch.structure:
            self._finish_tree()
        self.progress = RunProgress(
            total=len(ids), workers=int(ev.get("workers") or 0), started_at=now, running=True
        )
        self.status = {}
        self.live = {}
        for rid in ids:
            self._set_result(rid, None)
            self.status[rid] = "queued"
            for prefix_id in [k for k in self.results if id_grammar.case_of(k, rid) is not None]:
                self._set_result(prefix_id, None)
        self.last_run_ids = ids
        self.last_failures = []
        ch.ids.update(ids)
        ch.progress = ch.started = True

    def _on_worker_started(self, ev: dict[str, Any], ch: Change, now: float) -> None:
        ch.progress = True

    def _on_worker_crashed(self, ev: dict[str, Any], ch: Change, now: float) -> None:
        worker = int(ev.get("worker", -1))
        self.progress.busy.pop(worker, None)
        ch.progress = True

    _on_worker_replaced = _on_worker_started

    def _on_test_started(self, ev: dict[str, Any], ch: Change, now: float) -> None:
        rid = ev["id"]
        if rid not in self.nodes:
            self.ensure_record_node({"id": rid})
            ch.structure = True
        self.status[rid] = "running"
        self.live.pop(rid, None)
        worker = int(ev.get("worker", 0))
        self.progress.busy[worker] = rid
        # A test starting on a worker ends the phase that was slow there.
        p = self.progress
        for what in [w for w, n in p.slow_worker.items() if n == worker and w not in self.nodes]:
            p.slow.pop(what, None)
            p.slow_worker.pop(what, None)
        ch.ids.add(rid)
        ch.progress = True

    def _on_output(self, ev: dict[str, Any], ch: Change, now: float) -> None:
        rid = ev.get("id") or ""
        streams = self.live.setdefault(rid, {})
        stream = str(ev.get("stream", "stdout"))
        buf = streams.get(stream, "") + str(ev.get("data", ""))
        if len(buf) > LIVE_OUTPUT_LIMIT:
            buf = buf[-LIVE_OUTPUT_LIMIT:]
            streams["_truncated"] = "1"
        streams[stream] = buf
        ch.ids.add(rid)

    def _on_test_retrying(self, ev: dict[str, Any], ch: Change, now: float) -> None:
        ch.ids.add(ev["id"])

    def _on_deselected(self, ev: dict[str, Any], ch: Change, now: float) -> None:
        # Selected statically, but its tags (known after import) do not match.
        rid = ev["id"]
        self.status.pop(rid, None)
        self.progress.total = max(0, self.progress.total - 1)
        ch.ids.add(rid)
        ch.progress = True

    def _on_test_finished(self, ev: dict[str, Any], ch: Change, now: float) -> None:
        rec = trim_record(ev["record"])
        rid = rec["id"]
        if rid not in self.nodes:
            self.ensure_record_node(rec)
            ch.structure = True
        self.status.pop(rid, None)
        for w, running in list(self.progress.busy.items()):
            if running == rid:
                del self.progress.busy[w]
        self._set_result(rid, rec)
        self.progress.finish(rid, rec["outcome"])
        if is_failure(rec) and rid not in self.last_failures:
            self.last_failures.append(rid)
        ch.ids.add(rid)
        ch.progress = True

    def _on_slow(self, ev: dict[str, Any], ch: Change, now: float) -> None:
        # Still running past slow-timeout: its row says so; a phase (an
        # import, a hook) shows in the status line.
        what = str(ev.get("what", ""))
        self.progress.slow[what] = float(ev.get("seconds") or 0.0)
        self.progress.slow_worker[what] = int(ev.get("worker", -1))
        if what in self.nodes:
            ch.ids.add(what)
        ch.progress = True

    def _on_run_error(self, ev: dict[str, Any], ch: Change, now: float) -> None:
        self.progress.run_errors.append(
            {
                "scope": ev.get("scope", ""),
                "message": head(ev.get("message", ""), KEEP_MESSAGE),
                "traceback": tail(ev.get("traceback"), KEEP_TRACEBACK),
            }
        )
        ch.progress = True

    def _on_bench_progress(self, ev: dict[str, Any], ch: Change, now: float) -> None:
        self.bench_progress[ev["id"]] = (str(ev.get("phase", "")), int(ev.get("samples") or 0))
        ch.ids.add(ev["id"])

    def _on_bench_finished(self, ev: dict[str, Any], ch: Change, now: float) -> None:
        result = dict(ev["result"])
        # Raw samples can be long; the table and the chart need only the stats.
        samples = result.get("samples") or []
        result["samples"] = samples[-2000:]
        rid = result["id"]
        self.bench[rid] = result
        self.bench_progress.pop(rid, None)
        if rid not in self.nodes:
            self.ensure_record_node({**result, "kind": "bench"})
            ch.structure = True
        if rid not in self.progress.outcome_of:
            # The entry's outcome, unless a test_finished record says more.
            outcome = "error" if result.get("error") else "passed"
            stats = result.get("stats") or {}
            self.status.pop(rid, None)
            self._set_result(
                rid,
                {
                    "id": rid,
                    "outcome": outcome,
                    "duration": stats.get("median"),
                    "path": result.get("path", ""),
                    "line": self.nodes[rid].line,
                    "message": result.get("error"),
                },
            )
            self.progress.finish(rid, outcome)
            if outcome == "error" and rid not in self.last_failures:
                self.last_failures.append(rid)
        ch.ids.add(rid)
        ch.progress = True

    def _on_run_finished(self, ev: dict[str, Any], ch: Change, now: float) -> None:
        p = self.progress
        p.running = False
        p.cancelling = False
        p.finished_at = now
        p.interrupted = bool(ev.get("interrupted"))
        p.summary = dict(ev.get("summary") or {})
        line = ev.get("summary_line")
        p.summary_line = [(str(t), str(r)) for t, r in line] if line else None
        p.busy.clear()
        # Whatever never started in a stopped run is cancelled, not silently
        # queued; after a normal end it simply has no result.
        for rid, st in list(self.status.items()):
            if not p.interrupted:
                ch.ids.add(rid)
                continue
            if st in ("queued", "running") and rid not in self.results:
                node = self.nodes.get(rid)
                self._set_result(
                    rid,
                    {
                        "id": rid,
                        "outcome": "cancelled",
                        "duration": 0.0,
                        "path": node.path if node else "",
                        "line": node.line if node else 0,
                        "message": "not run: the run was stopped",
                    },
                )
                ch.ids.add(rid)
        self.status = {}
        ch.progress = ch.finished = True

    # ---------------------------------------------------------- persistence

    def to_session(self) -> dict[str, Any]:
        return {
            "version": SESSION_VERSION,
            "selected": sorted(self.selected),
            "filter": self.filter_text,
            "tags": list(self.tags),
            "last_run": list(self.last_run_ids),
            "last_failures": list(self.last_failures),
            "results": self.results,
            "bench": self.bench,
        }

    def restore_session(self, data: dict[str, Any]) -> None:
        """Restore a saved session; unknown ids (deleted tests) are dropped
        from the selection and kept out of the counts."""
        if not isinstance(data, dict) or data.get("version") != SESSION_VERSION:
            return
        self.filter_text = str(data.get("filter") or "")
        self.tags = [str(t) for t in data.get("tags") or []]
        self.last_run_ids = [str(i) for i in data.get("last_run") or []]
        self.last_failures = [str(i) for i in data.get("last_failures") or []]
        for rid, rec in (data.get("results") or {}).items():
            if isinstance(rec, dict) and rec.get("outcome") in OUTCOMES:
                self._set_result(rid, rec)
        self.bench = {k: v for k, v in (data.get("bench") or {}).items() if isinstance(v, dict)}
        self.selected = set()
        self.sel_count = Counter()
        self.set_selected([str(i) for i in data.get("selected") or []], True)


def trim_record(record: dict[str, Any]) -> dict[str, Any]:
    """A TestRecord bounded in size (it is kept in memory and in the session)."""
    rec = dict(record)
    rec["message"] = head(rec.get("message"), KEEP_MESSAGE)
    rec["traceback"] = tail(rec.get("traceback"), KEEP_TRACEBACK)
    rec["stdout"] = tail(rec.get("stdout") or "", KEEP_STREAM)
    rec["stderr"] = tail(rec.get("stderr") or "", KEEP_STREAM)
    logs = rec.get("logs") or []
    rec["logs"] = logs[-KEEP_LOGS:]
    return rec


def session_path(root: str | os.PathLike[str]) -> Path:
    return Path(root) / SESSION_FILE


def load_session(root: str | os.PathLike[str]) -> dict[str, Any]:
    """The saved session under `root`, or `{}` when absent or unreadable."""
    try:
        with open(session_path(root), encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_session(root: str | os.PathLike[str], state: TuiState) -> None:
    """Write the session atomically (a crash mid-write leaves the old one)."""
    path = session_path(root)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(state.to_session(), f)
        os.replace(tmp, path)
    except OSError:
        # A read-only checkout must not stop the TUI from quitting.
        pass
