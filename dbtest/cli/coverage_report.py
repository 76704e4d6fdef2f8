"""The end of a covered run (`--cov`): combine the workers' data files into
the project's data file, write the reports asked for, and say the total.

Runs in the project root, as the workers did, so the coverage config (and
the paths in it) mean the same here as there: `.coveragerc`, `setup.cfg`,
`tox.ini` or `pyproject.toml`'s `[tool.coverage]`, or `$COVERAGE_RCFILE`.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
from collections.abc import Iterator
from typing import IO, Any

from dbtest._core import UsageError
from dbtest.cli.coverage_setup import DIR_PREFIX, CovSettings

# How many of the least covered files the Markdown report lists.
LEAST_COVERED = 5


class FileCoverage:
    """One measured file: its path (relative to the root) and figures."""

    def __init__(self, path: str, percent: float, statements: int, missing: int) -> None:
        self.path = path
        self.percent = percent
        self.statements = statements
        self.missing = missing


class CoverageResult:
    """What a covered run measured, combined over its workers."""

    def __init__(
        self,
        total: float,
        precision: int,
        fail_under: float | None,
        files: list[FileCoverage],
        branch: bool,
    ) -> None:
        self.total = total
        self.precision = precision
        self.fail_under = fail_under
        self.files = files
        self.branch = branch
        # The total is under `--cov-fail-under` (or `[report] fail_under`),
        # by coverage.py's rule (the config's precision; 100 means 100).
        # Raises coverage.py's ConfigError for a value outside 0-100.
        self.under = False
        if fail_under:
            from coverage.results import should_fail_under

            self.under = bool(should_fail_under(total, fail_under, precision))

    def total_text(self) -> str:
        """`87.50%`, at the config's `[report] precision`."""
        return f"{self.total:.{self.precision}f}%"

    def least_covered(self, n: int = LEAST_COVERED) -> list[FileCoverage]:
        """The `n` files with the lowest coverage, fully covered ones left out."""
        partial = [f for f in self.files if f.missing]
        return sorted(partial, key=lambda f: (f.percent, f.path))[:n]


@contextlib.contextmanager
def _in(directory: str) -> Iterator[None]:
    cwd = os.getcwd()
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(cwd)


def prepare(settings: CovSettings) -> None:
    """Before the run: the run's data directory exists and is empty (a
    leftover of an earlier process with the same pid must not count), and
    the folder of each file report given a path exists (made if missing,
    as for `--json`), so a bad path fails before the run, in one line."""
    for r in settings.reports:
        if r.path is None:
            continue
        folder = r.path if r.kind == "html" else os.path.dirname(r.path)
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as e:
            raise UsageError(
                f"--cov-report {r.kind}: cannot write to {r.path}: {e.strerror or e}"
            ) from None
        if r.kind != "html" and os.path.isdir(r.path):
            raise UsageError(f"--cov-report {r.kind}: cannot write to {r.path}: it is a directory")
    _sweep(os.path.dirname(settings.dir))
    shutil.rmtree(settings.dir, ignore_errors=True)
    os.makedirs(settings.dir, exist_ok=True)


def discard(settings: CovSettings) -> None:
    """The run ended without its coverage being combined (an error, Ctrl-C
    before the end): its data directory goes."""
    shutil.rmtree(settings.dir, ignore_errors=True)


def _sweep(tmp: str) -> None:
    """Remove the data directories of dbtest processes that are gone. A
    worker started ahead of a run that then did not happen (a usage error,
    an empty selection) may create its directory after the CLI removed it."""
    for path in glob.glob(os.path.join(tmp, DIR_PREFIX + "*")):
        pid = path.rsplit("-", 1)[-1]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass  # alive, another user's: not ours to touch


def finish(
    settings: CovSettings, root: str, out: IO[str], files: bool = False
) -> CoverageResult | None:
    """Combine the workers' data, write the reports (the terminal ones to
    `out`), and return the totals (with each file's figures if `files`);
    None (and a warning) when no worker measured anything."""
    import coverage
    from coverage.exceptions import CoverageException, NoDataError

    data_files = sorted(glob.glob(os.path.join(settings.dir, ".coverage.*")))
    try:
        with _in(root):
            cov = coverage.Coverage(config_file=True)
            cov.erase()  # the combined data replaces the last run's, as pytest-cov does
            if data_files:
                cov.combine(data_files, keep=False)
                cov.save()
            try:
                return _report(cov, settings, out, files)
            except NoDataError:
                out.write("dbtest: warning: coverage: no data was collected\n")
                return None
    except CoverageException as e:
        raise UsageError(f"coverage: {e}") from None
    except OSError as e:
        # A report's folder made unwritable during the run: checked before it.
        raise UsageError(f"coverage: cannot write a report: {e}") from None
    finally:
        shutil.rmtree(settings.dir, ignore_errors=True)


def _report(cov: Any, settings: CovSettings, out: IO[str], files: bool) -> CoverageResult:
    show_contexts = True if settings.context else None
    total: float | None = None
    for r in settings.reports:
        if r.kind in ("term", "term-missing"):
            out.write("\nCoverage:\n")
            total = cov.report(file=out, show_missing=True if r.kind == "term-missing" else None)
        elif r.kind == "html":
            cov.html_report(directory=r.path, show_contexts=show_contexts)
        elif r.kind == "xml":
            cov.xml_report(outfile=r.path)
        elif r.kind == "json":
            cov.json_report(outfile=r.path, show_contexts=show_contexts)
        elif r.kind == "lcov":
            cov.lcov_report(outfile=r.path)
    # Each report analyses every file again (the dearest part of a covered
    # run's end): the total comes from a report already made when it can.
    measured: list[FileCoverage] = []
    if files:
        total, measured = _files(cov)
    elif total is None:
        with open(os.devnull, "w") as null:
            total = cov.report(file=null)
    fail_under = settings.fail_under
    if fail_under is None:
        fail_under = cov.get_option("report:fail_under") or None
    return CoverageResult(
        total=float(total),
        precision=int(cov.get_option("report:precision") or 0),
        fail_under=fail_under,
        files=measured,
        branch=cov.get_data().has_arcs(),
    )


def _files(cov: Any) -> tuple[float, list[FileCoverage]]:
    """The total and every measured file's figures (lines and, with
    branches, as the total), from coverage.py's JSON report."""
    import json
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "coverage.json")
        cov.json_report(outfile=path)
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    measured = [
        FileCoverage(
            name.replace(os.sep, "/"),
            float(info["summary"]["percent_covered"]),
            int(info["summary"]["num_statements"]),
            int(info["summary"]["missing_lines"]),
        )
        for name, info in data.get("files", {}).items()
    ]
    return float(data["totals"]["percent_covered"]), measured


def markdown(result: CoverageResult) -> str:
    """The coverage section of the Markdown report and the job summary."""
    what = "lines and branches" if result.branch else "lines"
    lines = [
        "## Coverage",
        "",
        f"**{result.total_text()}** of {what} covered, over {len(result.files)} files.",
    ]
    if result.under:
        lines.append(f"Under the required {result.fail_under:g}%: the run fails.")
    least = result.least_covered()
    if least:
        lines += ["", "| Least covered | Cover | Missing lines |", "|---|---:|---:|"]
        p = result.precision
        lines += [f"| `{f.path}` | {f.percent:.{p}f}% | {f.missing} |" for f in least]
    return "\n".join(lines) + "\n"
