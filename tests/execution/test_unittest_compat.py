"""unittest classes run natively; counts equal `python -m unittest`'s."""

from __future__ import annotations

import collections
import os
import re
import subprocess
import sys

from tests.execution.helpers import FIXTURES, records, run

P = "test_cases.py"


def unittest_counts() -> dict[str, int]:
    proc = subprocess.run(
        [sys.executable, "-m", "unittest", "-v", "-b", "test_cases"],
        cwd=os.path.join(FIXTURES, "unittest_compare"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = proc.stderr
    summary = re.search(r"^(FAILED|OK)(?: \((.*)\))?$", out, re.M)
    assert summary, out
    counts = {
        "failures": 0,
        "errors": 0,
        "skipped": 0,
        "expected failures": 0,
        "unexpected successes": 0,
    }
    for part in (summary.group(2) or "").split(", "):
        if part:
            k, v = part.rsplit("=", 1)
            counts[k] = int(v)
    counts["passed"] = len(re.findall(r" \.\.\. ok$", out, re.M))
    return counts


def test_counts_equal_python_m_unittest():
    recs = records(run("unittest_compare", P))
    c = collections.Counter(r["outcome"] for r in recs.values())
    expected = unittest_counts()
    assert expected["failures"] > 0 and expected["errors"] > 0 and expected["skipped"] > 0
    assert c["passed"] == expected["passed"]
    assert c["failed"] == expected["failures"]
    assert c["error"] == expected["errors"]
    assert c["skipped"] == expected["skipped"]
    assert c["xfailed"] == expected["expected failures"]
    assert c["xpassed"] == expected["unexpected successes"]


def test_subtests_reported_each():
    recs = records(run("unittest_compare", P))
    assert recs[f"{P}::Basics::test_subtests[i=2]"]["outcome"] == "failed"
    assert recs[f"{P}::Basics::test_subtests[i=3]"]["message"] == "3 not less than 2"
    assert f"{P}::Basics::test_subtests" not in recs
    assert recs[f"{P}::Basics::test_subtest_error[named]"]["outcome"] == "error"
    assert recs[f"{P}::Basics::test_subtests_all_pass"]["outcome"] == "passed"
    assert recs[f"{P}::Basics::test_unexpected_success"]["strict"] is True
    assert recs[f"{P}::Basics::test_prints"]["stdout"] == "unittest output\n"
    assert recs[f"{P}::Async::test_async_fail"]["message"] == "5 != 6"
    tb = recs[f"{P}::Basics::test_fail"]["traceback"]
    assert "self.assertEqual(self.value, 42)" in tb and "unittest/case.py" not in tb


def test_class_and_module_fixtures_run_once():
    import sys as _sys

    run("unittest_compare", P)  # the module stays imported for the process
    mod = next(m for n, m in _sys.modules.items() if n == "test_cases" or n.endswith(".test_cases"))
    mod.LOG.clear()
    run("unittest_compare", P)
    log = mod.LOG
    assert log.count("setUpModule") == 1 and log.count("tearDownModule") == 1
    assert log.count("setUpClass") == 1 and log.count("tearDownClass") == 1
    assert log.index("tearDownClass") < log.index("tearDownModule")
