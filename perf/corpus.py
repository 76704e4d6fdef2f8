"""Synthetic test corpora for the benchmarks.

`make_corpus(files, tests)` writes a project under `perf/corpora/` (git-ignored)
with `files` test files of `tests` tests each. Files rotate through three
shapes so every parse path is exercised: a `TestSuite` with async and sync
`@test` methods and suite tags, module-level sync/async `test_*` functions with
`@parametrize`, and a `unittest.TestCase`. Every test is also a valid pytest
test (plain functions and `unittest` classes collect under pytest), so the
same corpus serves the `pytest --collect-only` comparison.
"""

from __future__ import annotations

import shutil
from pathlib import Path

CORPORA = Path(__file__).resolve().parent / "corpora"

_BODY = """\
        value = {{"key": {i}, "items": [1, 2, 3], "name": "case-{i}"}}
        total = sum(x * 2 for x in value["items"])
        assert total == 12, f"unexpected total {{total}}"
        assert value["name"].startswith("case")
"""


def _suite_file(n: int, tests: int) -> str:
    out = [
        "import asyncio",
        "",
        "from dbtest import TestSuite, test",
        "",
        "",
        f"class TestSuite{n}(TestSuite):",
        '    tags = ["db", "group' + str(n % 7) + '"]',
        "",
        "    def setup(self):",
        "        self.state = {}",
        "",
    ]
    for i in range(tests):
        if i % 2:
            out.append(f'    @test(tags=["t{i % 5}"], timeout=5)')
            out.append(f"    async def check_{i}(self):")
            out.append("        await asyncio.sleep(0)")
        else:
            out.append(f"    def test_case_{i}(self):")
        out.append(_BODY.format(i=i).replace("        ", "        ", 1))
    return "\n".join(out) + "\n"


def _function_file(n: int, tests: int) -> str:
    out = ["import asyncio", "", "from dbtest import parametrize", "", ""]
    for i in range(tests):
        if i % 3 == 0:
            out.append('@parametrize("x", [1])')
            out.append(f"def test_fn_{i}(x):")
        elif i % 3 == 1:
            out.append(f"async def test_fn_{i}():")
            out.append("    await asyncio.sleep(0)")
        else:
            out.append(f"def test_fn_{i}():")
        out.append(_BODY.format(i=i).replace("        ", "    "))
        out.append("")
    return "\n".join(out) + "\n"


def _unittest_file(n: int, tests: int) -> str:
    out = ["import unittest", "", "", f"class TestCase{n}(unittest.TestCase):"]
    for i in range(tests):
        out.append(f"    def test_u_{i}(self):")
        out.append(_BODY.format(i=i))
    return "\n".join(out) + "\n"


SHAPES = (_suite_file, _function_file, _unittest_file)


def make_corpus(files: int, tests: int, *, force: bool = False) -> Path:
    """Write (or reuse) a corpus of `files` x `tests` and return its root."""
    root = CORPORA / f"c{files}x{tests}"
    marker = root / ".complete"
    if marker.exists() and not force:
        return root
    if root.exists():
        shutil.rmtree(root)
    tests_dir = root / "tests"
    per_dir = 100  # realistic nesting: packages of 100 files
    for n in range(files):
        d = tests_dir / f"pkg{n // per_dir:03d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"test_mod{n:05d}.py").write_text(SHAPES[n % 3](n, tests))
    (root / "pyproject.toml").write_text('[project]\nname = "corpus"\nversion = "0"\n')
    marker.write_text("ok\n")
    return root


if __name__ == "__main__":  # pragma: no cover
    import sys

    print(make_corpus(int(sys.argv[1]), int(sys.argv[2]), force=True))
