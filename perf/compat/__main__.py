"""`python -m perf.compat [--project NAME]... [--json PATH] [--examples N]`

For each project of the panel (perf/compat/projects.py): its venv (cached),
its own runner as the oracle, dbtest of this checkout with `-j 2`, then per
project the oracle's total, how many tests got the same outcome under dbtest,
and every difference grouped by cause. Downloads on the first run; not part of
`make test`. docs/compat.md has the table and what each cause means.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from collections import Counter
from dataclasses import asdict
from pathlib import Path

from perf.compat import envs, runs
from perf.compat.compare import UNEXPLAINED, Comparison, Difference, Matcher
from perf.compat.projects import PROJECTS, Project, by_name
from perf.compat.source import Source


def run_project(project: Project, wheel: Path) -> dict:
    """One project's result; a failing step is reported in it, never raised."""
    result: dict = {"project": project.name, "version": project.version, "runner": project.runner}
    try:
        sdist = envs.fetch_sdist(project)
        venv = envs.prepare_venv(project, sdist, wheel)
    except envs.SetupError as exc:
        return {**result, "status": "install failed", "error": str(exc)}
    out = envs.CACHE / "results" / project.key
    out.mkdir(parents=True, exist_ok=True)
    oracle = runs.run_oracle(project, venv, envs.fresh_tree(project, sdist, "oracle"), out)
    if oracle.failure:
        return {**result, "status": "oracle failed", "error": oracle.failure}
    root = envs.fresh_tree(project, sdist, "dbtest")
    dbtest = runs.run_dbtest(venv, root, out)
    if dbtest.failure:
        comparison = Comparison(total=len(oracle.records))
        comparison.differences = [
            Difference(r["id"], "dbtest produced no report", r["outcome"], None, dbtest.failure)
            for r in oracle.records
        ]
    else:
        matcher = Matcher(Source(root), project.runner, dbtest.records, dbtest.collection_errors)
        comparison = matcher.compare(oracle.records)
    return {
        **result,
        "status": "dbtest failed" if dbtest.failure else "ok",
        **({"error": dbtest.failure} if dbtest.failure else {}),
        "oracle_total": comparison.total,
        "same": comparison.same,
        "percent": _percent(comparison.same, comparison.total),
        "extra": len(comparison.extras),
        "causes": _count(comparison.differences),
        "extra_causes": _count(comparison.extras),
        "exit_codes": {"oracle": oracle.exit_code, "dbtest": dbtest.exit_code},
        "seconds": {"oracle": round(oracle.seconds, 1), "dbtest": round(dbtest.seconds, 1)},
        "run_errors": dbtest.run_errors,
        "differences": [asdict(d) for d in comparison.differences],
        "extras": [asdict(d) for d in comparison.extras],
    }


def _percent(same: int, total: int) -> float:
    return round(100.0 * same / total, 1) if total else 100.0


def _count(differences: list[Difference]) -> dict[str, int]:
    counts = Counter(d.cause for d in differences)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def print_project(result: dict, examples: int) -> None:
    head = f"{result['project']} {result['version']} ({result['runner']})"
    if result["status"] not in ("ok", "dbtest failed"):
        print(f"\n{head}: {result['status']}: {result['error']}")
        return
    print(
        f"\n{head}: {result['same']} of {result['oracle_total']} with the same outcome "
        f"({result['percent']}%); {result['extra']} extra in dbtest; "
        f"exit codes oracle {result['exit_codes']['oracle']}, dbtest {result['exit_codes']['dbtest']}"
    )
    if result["status"] != "ok":
        print(f"  dbtest failed: {result['error']}")
    for kind in ("differences", "extras"):
        by_cause: dict[str, list[dict]] = {}
        for diff in result[kind]:
            by_cause.setdefault(diff["cause"], []).append(diff)
        for cause, diffs in sorted(by_cause.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            print(f"  {len(diffs):6}  {cause}")
            shown = diffs if cause.startswith(UNEXPLAINED) else diffs[:2]
            for diff in shown[:examples]:
                print(f"            {diff['id']}")
                if diff["message"]:
                    print("              " + diff["message"].replace("\n", "\n              "))
            if len(shown) > examples:
                print(f"            ... and {len(shown) - examples} more (--json has every id)")
    for error in result["run_errors"]:
        print(f"  run error in {error.get('scope')}: {error.get('message', '')[:200]}")


def print_table(results: list[dict]) -> None:
    rows = [("project", "version", "runner", "oracle", "same", "%", "extra", "top causes")]
    total = same = 0
    for r in results:
        if "oracle_total" not in r:
            rows.append((r["project"], r["version"], r["runner"], "-", "-", "-", "-", r["status"]))
            continue
        total += r["oracle_total"]
        same += r["same"]
        top = "; ".join(f"{c} {n}" for c, n in list(r["causes"].items())[:3])
        rows.append(
            (
                r["project"],
                r["version"],
                r["runner"],
                str(r["oracle_total"]),
                str(r["same"]),
                f"{r['percent']}%",
                str(r["extra"]),
                top or "-",
            )
        )
    rows.append(("all", "", "", str(total), str(same), f"{_percent(same, total)}%", "", ""))
    widths = [max(len(row[i]) for row in rows) for i in range(7)]
    print()
    for row in rows:
        cells = [
            row[i].rjust(widths[i]) if 3 <= i <= 6 else row[i].ljust(widths[i]) for i in range(7)
        ]
        print("  ".join(cells) + "  " + row[7])


def _commit() -> str:
    proc = subprocess.run(
        ["git", "-C", str(envs.REPO), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
    )
    return proc.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m perf.compat", description=__doc__.splitlines()[2]
    )
    parser.add_argument(
        "--project",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this project (repeatable)",
    )
    parser.add_argument(
        "--json", type=Path, metavar="PATH", help="write every result, difference and extra as JSON"
    )
    parser.add_argument(
        "--examples", type=int, default=30, metavar="N", help="ids printed per cause (default 30)"
    )
    args = parser.parse_args(argv)
    try:
        projects = [by_name(n) for n in args.project] or list(PROJECTS)
    except ValueError as exc:
        parser.error(str(exc))
    try:
        wheel = envs.build_dbtest_wheel()
    except envs.SetupError as exc:
        print(f"cannot build dbtest: {exc}", file=sys.stderr)
        return 2
    results = []
    for project in projects:
        print(f"running {project.key} ...", file=sys.stderr, flush=True)
        results.append(run_project(project, wheel))
        print_project(results[-1], args.examples)
    print_table(results)
    if args.json:
        document = {
            "dbtest_commit": _commit(),
            "python": platform.python_version(),
            "workers": int(runs.DBTEST_WORKERS),
            "projects": results,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
