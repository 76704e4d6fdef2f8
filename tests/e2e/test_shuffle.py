"""`--shuffle` and `--seed`: one seed, one order (of units and of the tests
inside them), `random` reset per test from it, `--seed last` repeats, and
what opts out (`ordered = True`, `keep-together`) keeps its file order
(`tests/fixtures/shuffle_project`)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_dbtest
from tests.e2e.test_runner import project, run_json


def _run(root: Path, *args: str) -> tuple[list[str], dict[str, str], dict, str]:
    """One run on one worker: the names in the order they ran, the random
    number each got, the JSON report and the console output."""
    log = root / "order.log"
    log.unlink(missing_ok=True)
    proc, report = run_json(root, "-j", "1", *args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [line.split() for line in log.read_text().splitlines()]
    return [n for n, _, _ in lines], {n: r for n, r, _ in lines}, report, proc.stdout


def _in(names: list[str], prefix: str) -> list[str]:
    return [n for n in names if n.startswith(prefix)]


def test_one_seed_gives_one_order_and_the_same_random_numbers(tmp_path: Path) -> None:
    root = project(tmp_path, "shuffle_project")
    first, randoms, report, out = _run(root, "--seed", "12345")
    again, randoms_again, _, _ = _run(root, "--seed", "12345", "--markdown", "r.md")
    assert first == again
    assert randoms == randoms_again
    assert report["meta"]["seed"] == 12345
    assert "random order: seed 12345 (--seed 12345 repeats it)" in out
    assert "random order: --seed 12345" in (root / "r.md").read_text()
    assert len(first) == len(report["tests"]) == 29


def test_two_seeds_give_two_orders_inside_modules_and_classes(tmp_path: Path) -> None:
    root = project(tmp_path, "shuffle_project")
    plain, plain_randoms, report, out = _run(root)
    one, one_randoms, _, _ = _run(root, "--seed", "1")
    two, _, _, _ = _run(root, "--seed", "2")
    assert "seed" not in report["meta"] and "random order" not in out
    assert one != two
    assert sorted(one) == sorted(two) == sorted(plain)
    # Shuffled inside the module's functions, a plain class and a TestCase.
    for prefix in ("f", "K.", "U."):
        assert _in(one, prefix) != _in(plain, prefix), prefix
        assert sorted(_in(one, prefix)) == _in(plain, prefix)
    # Without --shuffle `random` is left alone: no two tests got one number.
    assert len(set(plain_randoms.values())) == len(plain_randoms)
    assert one_randoms != plain_randoms


def test_ordered_suites_and_kept_modules_keep_their_file_order(tmp_path: Path) -> None:
    root = project(tmp_path, "shuffle_project")
    for seed in ("1", "2", "3"):
        names, _, _, _ = _run(root, "--seed", seed)
        assert _in(names, "O.") == [f"O.o{i}" for i in range(6)]
        assert _in(names, "kept") == [f"kept{i}" for i in range(4)]


def test_every_worker_derives_a_units_order_from_the_one_seed(tmp_path: Path) -> None:
    root = project(tmp_path, "shuffle_project")
    alone, _, _, _ = _run(root, "--seed", "7")
    log = root / "order.log"
    log.unlink()
    proc, _ = run_json(root, "-j", "2", "--seed", "7")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    names = [line.split()[0] for line in log.read_text().splitlines()]
    # A class is one unit: the same order on whichever worker took it.
    for prefix in ("K.", "U."):
        assert _in(names, prefix) == _in(alone, prefix), prefix


def test_seed_last_repeats_the_previous_fresh_seed(tmp_path: Path) -> None:
    root = project(tmp_path, "shuffle_project")
    first, randoms, report, out = _run(root, "--shuffle")
    seed = report["meta"]["seed"]
    assert f"random order: seed {seed} " in out
    again, randoms_again, report_again, _ = _run(root, "--seed", "last")
    assert report_again["meta"]["seed"] == seed
    assert (again, randoms_again) == (first, randoms)


def test_bad_seeds_are_one_line_usage_errors(tmp_path: Path) -> None:
    root = project(tmp_path, "shuffle_project")
    last = run_dbtest(["--headless", "--seed", "last"], root)
    assert last.returncode == 4
    assert last.stderr.strip() == (
        "dbtest: error: --seed last: no earlier shuffled run recorded in .dbtest/"
    )
    bad = run_dbtest(["--headless", "--seed", "x1"], root)
    assert bad.returncode == 4
    assert bad.stderr.strip() == "dbtest: error: --seed: expected a number or 'last', got 'x1'"
