"""pytest plugin of the compat panel (`-p compat_oracle`): pytest's outcome of each test.

Copied into the site-packages of a panel venv and loaded only by the oracle's
pytest run, never by dbtest. Writes a JSON list to $COMPAT_ORACLE_OUT:
`{"id", "outcome", "message", "kind"?, "doctest"?, "group"?}` per test, one
outcome per node id, combining its phases the way pytest's summary counts
them (see docs/compat.md, "How outcomes compare"):

- a failing call is `failed`; a failing setup, or a failing teardown of a
  test that did not fail, is `error`;
- a skip is `skipped`, an expected failure `xfailed`, an unexpected pass
  `xpassed` (also under xfail_strict, where pytest reports it as a failure);
- a module that fails to import is one `error` record named by its path
  (`group`), a module skipped at import one `skipped` record.
"""

from __future__ import annotations

import json
import os

_records: dict[str, dict] = {}


def _message(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (path, line, reason)
        return str(longrepr[2])
    text = getattr(report, "longreprtext", "") or str(longrepr or "")
    lines = [line for line in text.splitlines() if line.startswith("E ")]
    return "\n".join(lines[-3:]) if lines else text[-400:]


def _outcome(report) -> str:
    xfail = hasattr(report, "wasxfail")
    if report.passed:
        return "xpassed" if xfail else "passed"
    if report.skipped:
        return "xfailed" if xfail else "skipped"
    if str(report.longrepr).startswith("[XPASS(strict)]"):
        return "xpassed"
    return "failed" if report.when == "call" else "error"


def pytest_itemcollected(item):
    record = _records.setdefault(item.nodeid, {"id": item.nodeid})
    kind = type(item).__name__
    record["kind"] = kind
    if kind == "DoctestItem":
        record["doctest"] = item.name


def pytest_collectreport(report):
    if report.failed or (report.skipped and report.nodeid):
        _records[report.nodeid] = {
            "id": report.nodeid,
            "outcome": "error" if report.failed else "skipped",
            "message": _message(report),
            "group": True,
        }


def pytest_runtest_logreport(report):
    record = _records.setdefault(report.nodeid, {"id": report.nodeid})
    if report.when == "teardown" and (report.passed or record.get("outcome") == "failed"):
        return  # the call (or setup) already decided
    record["outcome"] = _outcome(report)
    if not report.passed:
        record["message"] = _message(report)


def pytest_sessionfinish(session, exitstatus):
    out = os.environ.get("COMPAT_ORACLE_OUT")
    if not out:
        return
    records = [r for r in _records.values() if "outcome" in r]
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"exitstatus": int(exitstatus), "records": records}, f)
