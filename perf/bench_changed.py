"""The import graph of `--changed` and watch mode: building it cold (no
`.dbtest/imports.json`), warm (every file's mtime and size match the cache)
and warm after one file changed, on a generated project of 10,000 files.

`python -m perf.run changed` (options: `--files`, `--repeat`).
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

from perf.corpus import CORPORA
from perf.run import Row, median_ms

DESCRIPTION = "import graph of --changed: cold and warm builds on a 10,000-file project"

# Modules per package: the corpus is packages of this many modules.
_PER_PACKAGE = 50


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--files", type=int, default=10_000, help="Python files in the corpus")
    p.add_argument("--repeat", type=int, default=9, help="timed builds per figure (median)")


def make_graph_corpus(files: int) -> Path:
    """A project of `files` Python files: packages of modules that import
    each other (absolute, relative, from-imports, the standard library),
    and one test file per package importing a few of its modules."""
    root = CORPORA / f"graph_{files}"
    marker = root / ".complete"
    if marker.exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    packages = max(1, files // (_PER_PACKAGE + 2))
    written = 0
    for p in range(packages):
        pkg = root / "src" / f"pkg{p:04d}"
        pkg.mkdir(parents=True)
        (pkg / "__init__.py").write_text(f'"""Package {p}."""\nfrom .mod000 import value\n')
        for m in range(_PER_PACKAGE):
            lines = ["import os", "import json", "from typing import Any", ""]
            if m:
                lines.append(f"from .mod{m - 1:03d} import value as previous")
            if p:
                lines.append(f"import pkg{p - 1:04d}.mod{m:03d}")
            lines += ["", "", "def value() -> Any:", f"    return {m}", ""]
            (pkg / f"mod{m:03d}.py").write_text("\n".join(lines))
        tests = root / "tests" / f"test_pkg{p:04d}.py"
        tests.parent.mkdir(parents=True, exist_ok=True)
        tests.write_text(
            f"from pkg{p:04d} import mod000, mod{_PER_PACKAGE - 1:03d}\n\n\n"
            "def test_value():\n    assert mod000.value() == 0\n"
        )
        written += _PER_PACKAGE + 2
    # The remainder, so the corpus has exactly `files` files.
    for i in range(files - written):
        (root / "src" / f"pkg{packages - 1:04d}" / f"extra{i:03d}.py").write_text("import os\n")
    written = max(written, files)
    marker.write_text(f"{written}\n")
    return root


def run(args: argparse.Namespace) -> list[Row]:
    from dbtest import _core

    root = make_graph_corpus(args.files)
    cache = root / ".dbtest" / "imports.json"
    stats: dict[str, dict] = {}

    def build(label: str) -> None:
        stats[label] = _core.build_import_graph(str(root))

    def cold() -> None:
        cache.unlink(missing_ok=True)
        build("cold")

    touched = root / "src" / "pkg0000" / "mod001.py"
    original = touched.read_text()
    flip = [False]

    def one_changed() -> None:
        # Another size each time: re-parsed whatever the clock's resolution.
        flip[0] = not flip[0]
        touched.write_text(original + ("# edited\n" if flip[0] else ""))
        build("one")

    cold_ms, _ = median_ms(cold, args.repeat)
    warm_ms, _ = median_ms(lambda: build("warm"), args.repeat)
    one_ms, _ = median_ms(one_changed, args.repeat)
    touched.write_text(original)
    count = {label: {k: int(v) for k, v in figures.items()} for label, figures in stats.items()}
    cold_stats = count["cold"]
    note = f"{cold_stats['files']} files, {cold_stats['edges']} edges, {os.cpu_count()} CPUs"
    return [
        Row("graph build, cold (parse every file)", cold_ms, runs=args.repeat, note=note),
        Row(
            "graph build, warm (nothing changed)",
            warm_ms,
            runs=args.repeat,
            note=f"parsed {count['warm']['parsed']}",
        ),
        Row(
            "graph build, warm (one file changed)",
            one_ms,
            runs=args.repeat,
            note=f"parsed {count['one']['parsed']}",
        ),
    ]
