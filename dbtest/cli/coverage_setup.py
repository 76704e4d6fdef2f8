"""What the `--cov` options of a command line ask for, checked before the run,
and the environment that makes its workers measure (docs/coverage.md).

Imported before the workers start (for `worker_env`): no coverage.py here,
only the standard library's cheapest modules.
"""

from __future__ import annotations

import json
import os

from dbtest._core import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dbtest.options import Values

ENV = "DBTEST_COV"  # read by dbtest/execution/coverage.py
DIR_PREFIX = "dbtest-cov-"  # the run's data directory in $TMPDIR, then the CLI's pid
EXTRA = "pip install 'dbtest[cov]'"
REPORT_KINDS = ("term", "term-missing", "html", "xml", "json", "lcov")
# The kinds that write a file or directory (`xml:FILE`, `html:DIR`).
WITH_PATH = ("html", "xml", "json", "lcov")
# Where coverage.py writes them when no path is given (in the project root).
DEFAULT_OUTPUTS = {
    "html": "htmlcov",
    "xml": "coverage.xml",
    "json": "coverage.json",
    "lcov": "coverage.lcov",
}


class Report:
    """One `--cov-report`: its kind and, for file reports, where (None: the
    config's or coverage.py's default, relative to the project root)."""

    def __init__(self, kind: str, path: str | None) -> None:
        self.kind = kind
        self.path = path

    def __repr__(self) -> str:
        return f"Report({self.kind!r}, {self.path!r})"


class CovSettings:
    """The `--cov` options of one run, checked."""

    def __init__(self, a: Values, cwd: str | None = None) -> None:
        cwd = cwd or os.getcwd()
        # A source that names a path is taken from where the command ran;
        # any other is a package name. "" (bare `--cov`) is the root.
        self.source = [_source(s, cwd) for s in a.cov or []]
        self.reports = [parse_report(r, cwd) for r in a.cov_report or ["term"]]
        self.branch = bool(a.cov_branch)
        self.fail_under: float | None = getattr(a, "cov_fail_under", None)
        if self.fail_under is not None and self.fail_under > 100:
            raise UsageError(f"--cov-fail-under takes 0 to 100, not {self.fail_under:g}")
        if a.cov_context not in (None, "test"):
            raise UsageError(f"--cov-context takes test, not {a.cov_context!r}")
        self.context = a.cov_context
        # One directory per CLI process: the prewarm and the run agree on it.
        import tempfile

        self.dir = os.path.join(tempfile.gettempdir(), f"{DIR_PREFIX}{os.getpid()}")

    def outputs(self) -> list[str]:
        """The files and directories the reports write: absolute, or (for
        coverage.py's defaults) relative to the project root."""
        return [r.path or DEFAULT_OUTPUTS[r.kind] for r in self.reports if r.kind in WITH_PATH]

    def env(self) -> list[tuple[str, str]]:
        """What the workers add to their environment to measure."""
        data = {
            "dir": self.dir,
            "source": self.source,
            "branch": self.branch,
            "context": self.context,
        }
        return [(ENV, json.dumps(data, sort_keys=True))]


def _source(text: str, cwd: str) -> str:
    path = os.path.join(cwd, text)
    if text and os.path.exists(path):
        return os.path.abspath(path)
    if "/" in text or os.sep in text:
        # No package name has a slash: a typo, said now rather than as
        # "no data was collected" after the run.
        raise UsageError(f"--cov={text}: no such directory")
    return text


def parse_report(text: str, cwd: str) -> Report:
    """`xml:out/cov.xml` -> Report("xml", "/abs/out/cov.xml"); UsageError
    for a kind coverage.py has no report of."""
    kind, sep, path = text.partition(":")
    if kind not in REPORT_KINDS or (sep and kind not in WITH_PATH):
        raise UsageError(
            f"--cov-report takes term, term-missing, html[:DIR], xml[:FILE], "
            f"json[:FILE] or lcov[:FILE], not {text!r}"
        )
    return Report(kind, os.path.abspath(os.path.join(cwd, path)) if path else None)


def settings(a: Values) -> CovSettings | None:
    """The run's coverage settings, or None without `--cov`. UsageError for
    a bad value, or when coverage.py is missing (naming the extra)."""
    if not getattr(a, "cov", None):
        given = [
            flag
            for flag, value in (
                ("--cov-report", getattr(a, "cov_report", None)),
                ("--cov-branch", getattr(a, "cov_branch", False)),
                ("--cov-fail-under", getattr(a, "cov_fail_under", None) is not None),
                ("--cov-context", getattr(a, "cov_context", None)),
            )
            if value
        ]
        if given:
            raise UsageError(f"{given[0]} needs --cov")
        return None
    try:
        import coverage  # noqa: F401
    except ImportError:
        raise UsageError(f"--cov needs coverage.py: {EXTRA}") from None
    return CovSettings(a)


def worker_env(a: Values | None) -> list[tuple[str, str]]:
    """The environment the prewarmed workers need for `a`'s `--cov`
    (nothing when it asks for none or is bad: the run then says why)."""
    if a is None or not getattr(a, "cov", None):
        return []
    try:
        return CovSettings(a).env()
    except UsageError:
        return []
