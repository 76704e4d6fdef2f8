"""The authoring API through the real CLI: unittest parity, the examples
project, and bad test files that must not take the run down."""

from __future__ import annotations

import collections
import json
import shutil
from pathlib import Path

from tests.conftest import FIXTURES, run_dbtest
from tests.execution.test_unittest_compat import unittest_counts

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_unittest_counts_equal_python_m_unittest_through_the_cli(tmp_path):
    root = tmp_path / "proj"
    shutil.copytree(FIXTURES / "unittest_compare", root)
    out = tmp_path / "r.json"
    proc = run_dbtest(["--headless", "-j", "2", "--json", str(out), "test_cases.py"], root)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    got = collections.Counter(t["outcome"] for t in json.loads(out.read_text())["tests"])
    expected = unittest_counts()
    assert got["passed"] == expected["passed"]
    assert got["failed"] == expected["failures"]
    assert got["error"] == expected["errors"]
    assert got["skipped"] == expected["skipped"]
    assert got["xfailed"] == expected["expected failures"]
    assert got["xpassed"] == expected["unexpected successes"]


def test_examples_pass(tmp_path):
    root = tmp_path / "examples"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".dbtest", "__pycache__"))
    out = tmp_path / "r.json"
    proc = run_dbtest(["--headless", "--json", str(out), "--quick"], root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(out.read_text())
    assert report["summary"]["passed"] >= 20
    assert report["summary"]["failed"] == report["summary"]["error"] == 0
    assert report["benchmarks"] and all(b.get("stats") for b in report["benchmarks"])


BAD_FILES = {
    "test_exit.py": "import sys\n\ndef test_exit():\n    sys.exit(3)\n",
    "test_interrupt.py": "def test_kbd():\n    raise KeyboardInterrupt\n",
    "test_import_error.py": "import no_such_module_xyz\n\ndef test_never():\n    pass\n",
    "test_syntax.py": "def test_broken(:\n    pass\n",
    "test_noise.py": (
        "import os, sys\n\n"
        "def test_ansi_and_bytes():\n"
        "    print('\\x1b[2J\\x1b[31mred\\x1b[0m')\n"
        "    sys.stdout.buffer.write(b'\\xff\\xfe bad utf-8\\n') if hasattr(sys.stdout, 'buffer') else None\n"
        "    os.chdir('/')\n\n"
        "def test_big_output():\n"
        "    print('x' * 5_000_000)\n"
    ),
    "test_fine.py": "def test_ok():\n    assert True\n",
}


def test_bad_test_files_never_take_the_run_down(tmp_path):
    tests = tmp_path / "proj" / "tests"
    tests.mkdir(parents=True)
    for name, body in BAD_FILES.items():
        (tests / name).write_text(body)
    out = tmp_path / "r.json"
    proc = run_dbtest(["--headless", "-j", "2", "--json", str(out)], tests.parent)
    assert proc.returncode == 1
    assert "Traceback (most recent call last)" not in proc.stderr
    report = json.loads(out.read_text())
    by_name = {t["id"].split("::")[-1]: t for t in report["tests"]}
    assert by_name["test_ok"]["outcome"] == "passed"
    assert by_name["test_exit"]["outcome"] == "error"
    assert by_name["test_kbd"]["outcome"] == "error"
    assert by_name["test_never"]["outcome"] == "error"
    assert "no_such_module_xyz" in by_name["test_never"]["traceback"]
    assert by_name["test_ansi_and_bytes"]["outcome"] == "passed"
    assert by_name["test_big_output"]["outcome"] == "passed"
    assert len(by_name["test_big_output"]["stdout"]) < 2_000_000
    assert [e["path"] for e in report["collection_errors"]] == ["tests/test_syntax.py"]
    # The run goes on after chdir('/'): every selected test has its record.
    assert report["summary"]["total"] == len(by_name) == 6
