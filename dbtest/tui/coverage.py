"""`dbtest tui --cov`: every run of the session is measured as `dbtest --cov`
measures one (docs/coverage.md), and its total goes to the status bar."""

from __future__ import annotations

import io
from typing import Any


class CoverageRuns:
    """The session's `--cov` settings (`dbtest.cli.coverage_setup.CovSettings`),
    applied to each run it starts."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings

    def options(self, kwargs: dict[str, Any]) -> None:
        """Before a run: its workers measure, into an emptied data directory."""
        from dbtest.cli import coverage_report

        coverage_report.prepare(self.settings)
        kwargs["worker_env"] = self.settings.env()

    def finish(self, root: str) -> str:
        """After a run: combine, write the file reports; the total (`87%`),
        or what went wrong, in a few words, for the status bar."""
        from dbtest._core import UsageError
        from dbtest.cli import coverage_report

        try:
            result = coverage_report.finish(self.settings, root, io.StringIO())
        except UsageError as e:
            return f"error: {e}"
        return "no data" if result is None else result.total_text()
