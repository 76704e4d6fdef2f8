"""The runner benchmark's own machinery: corpora, command checks, memory sampling,
and the doc section it rewrites. No timing is asserted (shared, noisy machine)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from perf import bench_runner as br
from perf import workloads_runner as wl
from perf.run import Row


@pytest.fixture(autouse=True)
def corpora(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(wl, "CORPORA", tmp_path / "corpora")
    return tmp_path / "corpora"


def test_trivial_corpus_runs_under_dbtest_and_counts_are_checked() -> None:
    root = wl.trivial(3, 4)
    assert wl.test_files(root) == [f"tests/test_mod{n:05d}.py" for n in range(3)]
    dbtest = [br._exe("dbtest"), "--headless"]
    assert br.run_once(dbtest, root, 12) > 0
    with pytest.raises(br.Failed, match="12 passed of 13"):
        br.run_once(dbtest, root, 13)


def test_corpus_is_reused_until_its_parameters_change() -> None:
    root = wl.async_sleep(2, 2, 0.001)
    marker = (root / ".complete").stat().st_mtime_ns
    assert wl.async_sleep(2, 2, 0.001) == root
    assert (root / ".complete").stat().st_mtime_ns == marker
    wl.async_sleep(2, 2, 0.002)
    assert "asyncio.sleep(0.002)" in (root / "tests/test_mod00000.py").read_text()


def test_cpu_corpus_records_its_calibrated_loop() -> None:
    root, iters = wl.cpu(1, 2, 0.001)
    assert iters > 0
    assert f"N = {iters}" in (root / "tests/test_mod00000.py").read_text()
    assert wl.cpu(1, 2, 0.001) == (root, iters)


def test_missing_tool_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    real = br._exe
    monkeypatch.setattr(br, "_exe", lambda name: None if "karva" in name else real(name))
    karva = [t for t in br.tools("trivial", compare=True) if t.label == "karva"]
    assert karva and karva[0].argv is None
    assert br.measure(karva[0], Path("."), 1, 1) == (None, "not installed", 0)


def test_tools_take_turns_and_a_failing_one_is_dropped(tmp_path: Path) -> None:
    log = tmp_path / "runs.log"

    def tool(name: str, ok: bool = True) -> br.Tool:
        script = f"echo {name} >> {log}; echo '1 passed'" + ("" if ok else "; exit 1")
        return br.Tool(name, ["sh", "-c", script])

    tools = [tool("a"), tool("b"), tool("bad", ok=False), br.Tool("gone", None, "not here")]
    got = br.measure_interleaved(tools, tmp_path, 1, [3, 2, 3, 3])
    # Warm-ups first, then one timed run of each in turn (b stops after 2).
    assert log.read_text().split() == ["a", "b", "bad", "a", "b", "a", "b", "a"]
    assert [(runs, note) for _, note, runs in got[:2]] == [(3, ""), (2, "")]
    assert got[2][0] is None and got[2][1].startswith("failed: rc=1")
    assert got[3] == (None, "not here", 0)


def test_tree_rss_includes_children() -> None:
    alone = br._tree_rss_kb(os.getpid())
    assert alone > 0
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        # The child's RSS shows up once its interpreter is mapped in.
        for _ in range(100):
            if br._tree_rss_kb(os.getpid()) > alone + 1000:
                break
            subprocess.run(["sleep", "0.05"])
        assert br._tree_rss_kb(os.getpid()) > alone + 1000
    finally:
        child.kill()
        child.wait()


def test_write_doc_replaces_only_the_runner_section(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text(
        "# Performance\n\n## Other\nkeep me\n\n## Runner\nold figures\n\n## Last\ntail\n"
    )
    monkeypatch.setattr(br, "DOC", doc)
    args = argparse.Namespace(quick=True)
    rows = [Row("100 async sleeps: dbtest", 123.0, runs=3, target=250.0)]
    br.write_doc(rows, args, (1.0, 2.0), 10.0)
    text = doc.read_text()
    assert "old figures" not in text
    assert "keep me" in text and text.rstrip().endswith("## Last\ntail")
    assert "| 100 async sleeps: dbtest | 123 ms | 3 | ≤ 250 ms | ok |" in text
    assert text.count("## Runner") == 1
    br.write_doc(rows, args, (1.0, 2.0), 10.0)
    assert doc.read_text() == text


def test_bare_parallel_runs_every_test_once_in_each_process_count(tmp_path: Path) -> None:
    root, _ = wl.cpu(3, 2, 0.001)
    script = Path(br.__file__).with_name("bare_parallel.py")
    for n in ("1", "2"):
        out = subprocess.run(
            [sys.executable, str(script), ".", "--processes", n],
            cwd=root, capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert out.stdout.strip() == "6 passed, 0 failed"
    # A failing test is counted and fails the command, as a runner's would.
    bad = root / "tests" / "test_mod00001.py"
    bad.write_text(bad.read_text() + "\n\ndef test_bad():\n    assert False\n")
    out = subprocess.run(
        [sys.executable, str(script), ".", "--processes", "2"],
        cwd=root, capture_output=True, text=True,
    )  # fmt: skip
    assert (out.returncode, out.stdout.strip()) == (1, "6 passed, 1 failed")
    labels = [t.label for t in br.tools("cpu", compare=False)]
    assert br.BARE_1 in labels and br.BARE_2 in labels
