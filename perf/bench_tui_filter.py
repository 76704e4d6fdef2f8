"""The TUI: what one filter keystroke costs on a 10,000-test project.

Two figures, both medians:

- in the app: from the (debounced) filter being applied to the narrowed tree's
  rows being rebuilt, typing a pattern letter by letter and a few `-E`
  expressions, in a headless app process;
- the engine call alone: asking the held discovery (`_core.Discovery.select`)
  against a whole filtered discovery (`_core.discover`: walk, parse, JSON),
  which is what each keystroke cost before the discovery was held.

`--against DIR` also runs the in-app measurement with another copy of the
`dbtest` package first on `sys.path` (e.g. `git archive <rev> dbtest | tar -x
-C DIR`, plus this build's `_core*.so` copied into `DIR/dbtest/`), alternating
one process of each, for a before/after on the same machine at the same time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from perf.corpus import make_corpus
from perf.run import Row

DESCRIPTION = "dbtest tui: the cost of one filter keystroke on 10,000 tests"
ROOT = Path(__file__).resolve().parent.parent

# Typing a pattern, then expressions; each entry is one keystroke's filter.
TEXTS = [*("test_fn_1"[:n] for n in range(1, 10)), "-E tag(db)", "-E tag(db) & !tag(t1)"]

# One app process: load the tree, then apply each filter and time until the
# app has handled the engine's answer (model narrowed, tree rows rebuilt).
_APP_SCRIPT = """
import asyncio, inspect, json, sys, time
from pathlib import Path
import dbtest
from dbtest.tui.app import DbtestApp

root, texts, rounds = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])

class Timed(DbtestApp):
    # A class defined in `-c` has no file for Textual to resolve the CSS from.
    CSS_PATH = str(Path(inspect.getfile(DbtestApp)).parent / DbtestApp.CSS_PATH)
    answered = None

    def on_filter_result(self, message):
        super().on_filter_result(message)
        if message.generation == self._filter_gen and self.answered is not None:
            self.answered.set()

async def main():
    app = Timed(root, restore_session=False, persist=False)
    async with app.run_test(size=(160, 50)) as pilot:
        while not app.tree_ready:
            await pilot.pause(0.01)
        await pilot.pause()
        out = []
        for _ in range(rounds):
            for text in texts:
                app.answered = asyncio.Event()
                app.state.filter_text = text
                t0 = time.perf_counter()
                app._apply_filter()
                await app.answered.wait()
                out.append((time.perf_counter() - t0) * 1e3)
                await pilot.pause()  # let the screen repaint before the next key
        print(json.dumps({"package": dbtest.__file__, "ms": out}))

asyncio.run(main())
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--size", default="1000x10", help="corpus FILESxTESTS (default: 10,000 tests)")
    p.add_argument("--processes", type=int, default=3, help="app processes (per side)")
    p.add_argument("--rounds", type=int, default=2, help="times each process types TEXTS")
    p.add_argument("--repeat", type=int, default=15, help="engine calls timed per filter")
    p.add_argument("--against", help="another dbtest package's parent directory (before/after)")


def _app_samples(root: Path, rounds: int, pythonpath: str) -> list[float]:
    env = {**os.environ, "PYTHONPATH": pythonpath}
    out = subprocess.run(
        [sys.executable, "-c", _APP_SCRIPT, str(root), json.dumps(TEXTS), str(rounds)],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,  # not the checkout: `python -c` puts the cwd first on sys.path
        env=env,
    ).stdout
    data = json.loads(out.strip().splitlines()[-1])
    if not Path(data["package"]).resolve().is_relative_to(Path(pythonpath).resolve()):
        raise SystemExit(f"measured {data['package']}, not the package under {pythonpath}")
    return data["ms"]


def _engine_rows(root: Path, repeat: int) -> list[Row]:
    """The engine call alone, the two ways interleaved call by call."""
    from dbtest import _core
    from dbtest.tui.filter_bar import parse_filter

    held = _core.Discovery(root_dir=str(root))
    whole: list[float] = []
    select: list[float] = []
    for _ in range(repeat):
        for text in TEXTS:
            pattern, expr = parse_filter(text)
            t0 = time.perf_counter()
            doc = json.loads(_core.discover(root_dir=str(root), pattern=pattern, expr=expr))
            ids = [i["id"] for f in doc["files"] for s in (*f["suites"], f) for i in s["items"]]
            t1 = time.perf_counter()
            selected = held.select(pattern=pattern, expr=expr)
            t2 = time.perf_counter()
            assert sorted(ids) == selected, text
            whole.append((t1 - t0) * 1e3)
            select.append((t2 - t1) * 1e3)
    return [
        Row(
            f"engine: a whole filtered discovery + JSON ({len(held)} tests)",
            statistics.median(whole),
            runs=len(whole),
        ),
        Row("engine: the held discovery's select", statistics.median(select), runs=len(select)),
    ]


def run(args: argparse.Namespace) -> list[Row]:
    files, tests = (int(x) for x in args.size.lower().split("x"))
    root = make_corpus(files, tests)
    sides = {"this checkout": str(ROOT)}
    if args.against:
        sides = {f"--against {args.against}": str(Path(args.against).resolve()), **sides}
    samples: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(args.processes):
        for name, path in sides.items():
            samples[name] += _app_samples(root, args.rounds, path)
    rows = [
        Row(
            f"app: one filter keystroke, {name}",
            statistics.median(s),
            runs=len(s),
            note=f"min {min(s):.1f} max {max(s):.1f}; load avg {os.getloadavg()[0]:.1f}",
        )
        for name, s in samples.items()
    ]
    return rows + _engine_rows(root, args.repeat)


if __name__ == "__main__":
    from perf.run import print_rows

    parser = argparse.ArgumentParser(
        prog="python -m perf.bench_tui_filter", description=DESCRIPTION
    )
    add_arguments(parser)
    print_rows("tui_filter", run(parser.parse_args()))
