"""Regenerate report_input.json, the fixed records every golden test renders.

Run with any Python 3: `python3 rust_core/engine/tests/golden/make_input.py`.
Written with ensure_ascii=True, as the worker writes its protocol, so the
lone surrogate below arrives as the JSON escape "\\udcff" (what Python
produces for surrogateescape'd undecodable bytes).
"""

import json
import pathlib

START = 1732170000.0


def rec(id_, outcome, path, line, duration, **kw):
    r = {
        "id": id_,
        "outcome": outcome,
        "flaky": False,
        "strict": False,
        "duration": duration,
        "start": START + line / 100,
        "attempts": 1,
        "stdout": "",
        "stderr": "",
        "logs": [],
        "path": path,
        "line": line,
        "tags": [],
        "worker": 0,
    }
    r.update(kw)
    return r


A = "tests/test_a.py"
U = "tests/ünï/test_ü.py"
H = "tests/test_hostile.py"
tests = [
    rec(f"{A}::test_passes", "passed", A, 3, 0.0123, tags=["fast"]),
    rec(f"{A}::test_fails", "failed", A, 7, 0.5,
        message="AssertionError: expected 1 == 2\n  - 1\n  + 2",
        traceback='Traceback (most recent call last):\n  File "tests/test_a.py", line 8, in test_fails\n    expect(1).to_equal(2)\nAssertionError: expected 1 == 2',
        stdout="\x1b[31mred output\x1b[0m\nline 2\r\nprogress 50%\rprogress 100%\n",
        stderr="warning: something\n",
        logs=[{"level": "WARNING", "logger": "app.db", "message": "slow query", "time": START + 1}]),
    rec(f"{A}::test_errors", "error", A, 12, 0.01,
        message="RuntimeError: fixture 'db' failed", traceback="Traceback...\nRuntimeError: fixture 'db' failed"),
    rec(f"{A}::test_skipped", "skipped", A, 15, 0.0, message="needs postgres"),
    rec(f"{A}::test_xfail", "xfailed", A, 18, 0.002, message="known bug #12"),
    rec(f"{A}::test_xpass_strict", "xpassed", A, 21, 0.003, strict=True, message="unexpectedly passed"),
    rec(f"{A}::test_xpass", "xpassed", A, 24, 0.003),
    rec(f"{A}::Slow::test_timeout", "timeout", A, 30, 2.0, message="timed out after 2.0 s"),
    rec(f"{A}::Slow::test_crash", "crashed", A, 35, 1.25,
        message="worker crashed (signal 11, SIGSEGV)", extra={"signal": 11}),
    rec(f"{A}::Slow::test_cancelled", "cancelled", A, 40, 0.0, message="cancelled: fail-fast", worker=None),
    rec(f"{A}::test_flaky", "passed", A, 44, 0.2, flaky=True, attempts=3),
    rec(f"{U}::Ünïcödé::test_名前[中文-😀]", "passed", U, 5, 0.03),
    rec(f"{U}::test_émoji_🎉", "failed", U, 9, 0.04, message="Ошибка: ß ≠ ss"),
    rec(f"{H}::test_pipe[a|b]", "failed", H, 2, 0.06, message="a | b | c\nsecond line"),
    rec(f"{H}::test_tick[`x` ``` y]", "failed", H, 4, 0.07,
        message="```\nnot a fence\n```", traceback="````\n```\nfake fence\n"),
    rec(f"{H}::test_html[<script>alert(1)</script>]", "error", H, 6, 0.08,
        message="<b>bold</b> & <script>alert('x')</script>",
        stdout="</details></summary><!-- comment --> ]]> <![CDATA[ x ]]>\n"),
    rec(f"{H}::test_cdata[]]>]", "passed", H, 8, 0.001, stdout="ends with ]]>"),
    rec(f"{H}::test_controls[\x07bell]", "failed", H, 10, 0.09,
        message="nul\x00 esc\x1b[2J del\x7f c1\x9b nonchar\ufffe\uffff tab\tend",
        stdout="bad bytes: \udcff\udcfe and a pair \U0001F600\n",
        stderr="vertical\x0btab form\x0cfeed\n"),
    rec(f"{H}::test_markdown[*bold* _it_ [l](u) #h $x$ ~s~ !]", "passed", H, 12, 0.002),
]
report = {
    "schema_version": 1,
    "meta": {
        "dbtest_version": "0.1.0",
        "python": "3.11.9",
        "platform": "Linux-x86_64",
        "start": START,
        "duration": 4.5,
        "workers": 2,
        "command": ["dbtest", "--headless", "--json", "r.json"],
        "selection": {"paths": ["tests"], "tags": [], "mode": "all"},
        "git_commit": "0123456789abcdef0123456789abcdef01234567",
        "interrupted": False,
    },
    "summary": {},
    "tests": tests,
    "collection_errors": [
        {"path": "tests/test_broken.py", "line": 3, "message": "SyntaxError: invalid syntax <here>"}
    ],
    "run_errors": [
        {"scope": f"{A}::Slow", "message": "teardown_suite failed: | pipe",
         "traceback": "Traceback...\nOSError: boom"}
    ],
    "benchmarks": [],
}

stats = lambda m: {  # noqa: E731
    "mean": m * 1.02, "median": m, "min": m * 0.9, "max": m * 1.5, "stddev": m * 0.05,
    "q1": m * 0.97, "q3": m * 1.03, "iqr": m * 0.06, "p95": m * 1.2, "p99": m * 1.4,
    "ops_per_sec": 1 / m, "samples": 50, "calls_per_sample": 100,
    "outliers_mild": 1, "outliers_severe": 0, "ci_low": m * 0.98, "ci_high": m * 1.02,
}
B = "bench/bench_sort.py"
report["benchmarks"] = [
    {"id": f"{B}::sorting::builtin[n=1000]", "path": B, "group": "sorting", "name": "builtin",
     "params": "n=1000", "is_baseline": True, "stats": stats(0.000012), "samples": [0.000012]},
    {"id": f"{B}::sorting::quick|sort[n=1000]", "path": B, "group": "sorting", "name": "quick|sort",
     "params": "n=1000", "stats": stats(0.000030), "samples": [0.00003],
     "comparison": {"against": f"{B}::sorting::builtin[n=1000]", "speedup": 0.4, "ci_low": 0.38,
                    "ci_high": 0.42, "p_value": 0.00001, "significant": True, "paired": True,
                    "pairs": 400, "equivalent": False, "margin": 0.02, "verdict": "slower"}},
    {"id": f"{B}::sorting::\"bad\" <entry>[n=1000]", "path": B, "group": "sorting",
     "name": "\"bad\" <entry>", "params": "n=1000", "error": "ZeroDivisionError: division by zero\nmore"},
]

# Summary as the engine computes it: counts by outcome, run_errors = run + collection errors.
s = {k: 0 for k in ["total", "passed", "failed", "error", "skipped", "xfailed", "xpassed",
                    "timeout", "crashed", "cancelled", "flaky"]}
for t in tests:
    s["total"] += 1
    s[t["outcome"]] += 1
    s["flaky"] += t["flaky"]
s["run_errors"] = 2
report["summary"] = s

out = pathlib.Path(__file__).with_name("report_input.json")
out.write_text(json.dumps(report, indent=2, ensure_ascii=True) + "\n")
