"""Corpora for the runner benchmark (`perf/bench_runner.py`).

Each workload is a small project under `perf/corpora/` (git-ignored) whose
tests are plain module-level functions, so the same files run unchanged under
dbtest, pytest (+ pytest-asyncio, pytest-xdist) and karva:

- `async_sleep`: files x tests of `async def test_*(): await asyncio.sleep(s)`;
- `cpu`: files x tests of a pure-Python loop calibrated on this machine to a
  target duration (the iteration count is written into the files);
- `trivial`: files x tests of `def test_*(): assert ...`.

A `.complete` marker (holding the parameters) lets repeated runs reuse a corpus.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

CORPORA = Path(__file__).resolve().parent / "corpora"

# pytest-asyncio needs to be told that bare `async def test_*` are its tests;
# `asyncio_mode = auto` does that without decorating the shared files.
_PYPROJECT = """\
[project]
name = "{name}"
version = "0"

[tool.pytest.ini_options]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "function"
"""


def _write(root: Path, name: str, files: dict[str, str], key: str) -> Path:
    marker = root / ".complete"
    if marker.exists() and marker.read_text() == key:
        return root
    if root.exists():
        shutil.rmtree(root)
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    (root / "pyproject.toml").write_text(_PYPROJECT.format(name=name))
    marker.write_text(key)
    return root


def _rel(n: int, files: int) -> str:
    # Packages of at most 100 files, as in a real tree.
    if files <= 100:
        return f"tests/test_mod{n:05d}.py"
    return f"tests/pkg{n // 100:03d}/test_mod{n:05d}.py"


def async_sleep(files: int = 10, tests: int = 10, sleep: float = 0.01) -> Path:
    """`files` x `tests` async tests each awaiting `asyncio.sleep(sleep)`."""
    body = ["import asyncio", ""]
    for i in range(tests):
        body += ["", f"async def test_sleep_{i}():", f"    await asyncio.sleep({sleep!r})", ""]
    text = "\n".join(body)
    root = CORPORA / f"runner_async_{files}x{tests}"
    return _write(root, "async", {_rel(n, files): text for n in range(files)}, f"{sleep}\n")


def calibrate_loop(target_s: float = 0.01) -> int:
    """Iterations of `_spin` that take about `target_s` on this machine.

    Uses the fastest of 5 samples: on a shared machine slower ones include other
    processes' time, which would make the tests shorter than intended.
    """
    n = 20_000
    while True:
        t = time.perf_counter()
        _spin(n)
        if time.perf_counter() - t > 0.02:
            break
        n *= 2
    samples = []
    for _ in range(5):
        t = time.perf_counter()
        _spin(n)
        samples.append(time.perf_counter() - t)
    samples.sort()
    return max(1, int(n * target_s / samples[0]))


def _spin(n: int) -> int:
    # Same loop as the generated tests; keep the two in step.
    acc = 0
    for i in range(n):
        acc = (acc + i * i) % 1_000_003
    return acc


def cpu(files: int = 4, tests: int = 10, target_s: float = 0.01) -> tuple[Path, int]:
    """`files` x `tests` CPU-bound tests of about `target_s` each; returns (root, iterations)."""
    root = CORPORA / f"runner_cpu_{files}x{tests}"
    marker = root / ".complete"
    if marker.exists():
        iters = int(marker.read_text().split()[1])
        return root, iters
    iters = calibrate_loop(target_s)
    body = [f"N = {iters}", "", ""]
    body += [
        "def _spin(n):",
        "    acc = 0",
        "    for i in range(n):",
        "        acc = (acc + i * i) % 1_000_003",
        "    return acc",
        "",
    ]
    for i in range(tests):
        body += ["", f"def test_cpu_{i}():", "    assert _spin(N) >= 0", ""]
    text = "\n".join(body)
    _write(root, "cpu", {_rel(n, files): text for n in range(files)}, f"{target_s} {iters}\n")
    return root, iters


def trivial(files: int, tests: int) -> Path:
    """`files` x `tests` trivial sync tests."""
    body = []
    for i in range(tests):
        body += ["", f"def test_trivial_{i}():", f"    assert {i} + 1 == {i + 1}", ""]
    text = "\n".join(body)
    root = CORPORA / f"runner_trivial_{files}x{tests}"
    return _write(root, "trivial", {_rel(n, files): text for n in range(files)}, "v1\n")


def test_files(root: Path) -> list[str]:
    """Test files of a corpus, relative to its root, with `/` separators, sorted."""
    return sorted(p.relative_to(root).as_posix() for p in (root / "tests").rglob("test_*.py"))
