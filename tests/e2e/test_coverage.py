"""`--cov` end to end: the real `dbtest` on tests/fixtures/coverage_project,
reading the reports coverage.py wrote (docs/coverage.md)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import run_dbtest
from tests.e2e.test_runner import project

pytest.importorskip("coverage")

CALC = "app/calc.py"


def line_hits(xml_path: Path, filename: str) -> dict[int, int]:
    """Line number -> hits of `filename` in a Cobertura XML report."""
    root = ET.parse(xml_path).getroot()
    for cls in root.iter("class"):
        if cls.get("filename") == filename:
            return {int(x.get("number")): int(x.get("hits")) for x in cls.iter("line")}
    raise AssertionError(f"{filename} is not in {xml_path}")


def measured_files(xml_path: Path) -> set[str]:
    return {c.get("filename") for c in ET.parse(xml_path).getroot().iter("class")}


def line_of(text: str, path: str = CALC) -> int:
    """The line of the fixture's `path` that holds `text`."""
    lines = (Path(__file__).parents[1] / "fixtures/coverage_project" / path).read_text()
    return next(i for i, line in enumerate(lines.splitlines(), 1) if text in line)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return project(tmp_path, "coverage_project")


def test_lines_from_two_workers_are_combined_and_an_unrun_line_is_missed(root, tmp_path):
    meet = tmp_path / "meet"
    meet.mkdir()
    proc = run_dbtest(
        "--headless -j 2 --cov --cov-report xml:out/cov.xml tests/test_add.py tests/test_sub.py".split(),
        root,
        env={"COV_RENDEZVOUS": str(meet)},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # Each test waited for the other: they ran at once, in two workers.
    assert (meet / "add").read_text() != (meet / "sub").read_text()
    hits = line_hits(root / "out/cov.xml", CALC)
    assert hits[line_of("return a + b")] > 0  # the worker that ran test_add
    assert hits[line_of("return a - b")] > 0  # the other one
    assert hits[line_of("no test runs this line")] == 0
    # Measured from before any test module was imported: the lines run at
    # import, of the code under test and of the test modules (bare `--cov`).
    assert hits[line_of("def add")] > 0
    assert line_hits(root / "out/cov.xml", "tests/test_sub.py")[1] > 0
    # [tool.coverage.run] omit in the project's pyproject.toml is honoured.
    assert "app/omitted.py" not in measured_files(root / "out/cov.xml")
    # The default report is the terminal table; the combined data file is the project's.
    assert (root / ".coverage").exists()
    assert not list(root.glob(".coverage.*"))


@pytest.mark.parametrize("die", ["sigkill", "exit"], ids=["SIGKILL", "os._exit"])
@pytest.mark.parametrize("prefork", ["1", "0"], ids=["forked", "spawned"])
def test_a_killed_worker_loses_only_the_test_it_was_running(root, prefork, die):
    proc = run_dbtest(
        "--headless -j 1 --cov=app --cov-report xml:cov.xml tests/test_killed.py".split(),
        root,
        env={"DBTEST_PREFORK": prefork, "COV_DIE": die},
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 crashed, 2 passed" in proc.stdout
    hits = line_hits(root / "cov.xml", CALC)
    # Flushed when the test before the kill finished.
    assert hits[line_of("measured before the worker was killed")] > 0
    # Measured by the worker that replaced the killed one.
    assert hits[line_of("run by the replacement worker")] > 0
    # `--cov=app`: the tests themselves are not measured.
    assert all(f.startswith("app/") for f in measured_files(root / "cov.xml"))


def test_fail_under_fails_the_run_and_shows_the_total(root):
    proc = run_dbtest(
        ["--headless", "--cov=app", "--cov-fail-under", "95", "tests/test_sub.py"], root
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    total = next(line for line in proc.stdout.splitlines() if line.startswith("TOTAL"))
    percent = total.split()[-1]
    # The engine's summary line says why a run whose tests passed failed.
    assert f"FAILED: 1 passed, coverage {percent} under 95% (1 test in" in proc.stdout
    passing = run_dbtest(
        ["--headless", "--cov=app", "--cov-fail-under", "10", "tests/test_sub.py"], root
    )
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "PASSED: 1 passed (1 test in" in passing.stdout


def test_fail_under_of_a_coveragerc_is_honoured(root):
    (root / ".coveragerc").write_text("[report]\nfail_under = 99\n")
    proc = run_dbtest(["--headless", "--cov=app", "tests/test_sub.py"], root)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "under 99% (1 test in" in proc.stdout


def test_fail_under_leaves_a_failed_run_failed_and_an_empty_one_empty(root):
    (root / "tests/test_fails.py").write_text("def test_fails():\n    assert False\n")
    failed = run_dbtest(
        ["--headless", "--cov=app", "--cov-fail-under", "99", "tests/test_fails.py"], root
    )
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "FAILED: 1 failed, coverage" in failed.stdout
    empty = run_dbtest(["--headless", "--cov=app", "--cov-fail-under", "99", "-k", "nothing"], root)
    assert empty.returncode == 5, empty.stdout + empty.stderr


def test_contexts_attribute_lines_to_the_tests_that_ran_them(root):
    proc = run_dbtest(
        "--headless -j 2 --cov=app --cov-context test --cov-report json:cov.json --cov-report html:html tests/test_add.py tests/test_sub.py".split(),
        root,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    contexts = json.loads((root / "cov.json").read_text())["files"][CALC]["contexts"]
    assert contexts[str(line_of("return a + b"))] == ["tests/test_add.py::test_add"]
    assert contexts[str(line_of("return a - b"))] == ["tests/test_sub.py::test_sub"]
    # The HTML page of the file shows them (show_contexts).
    page = next(p for p in (root / "html").glob("*calc_py.html"))
    assert "tests/test_add.py::test_add" in page.read_text()


def test_markdown_report_and_job_summary_get_a_coverage_section(root):
    summary = root / "summary.md"
    proc = run_dbtest(
        "--headless --cov --markdown report.md --github-summary tests/test_sub.py".split(),
        root,
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for text in ((root / "report.md").read_text(), summary.read_text()):
        section = text[text.index("## Coverage") :]
        assert "%** of lines covered" in section
        # The least covered file first: no test of this run imports it.
        rows = [r for r in section.splitlines() if r.startswith("| `")]
        assert rows[0].startswith("| `tests/test_add.py` | 0%")


def test_branches_are_measured_with_cov_branch_only(root):
    sign = line_of("if n >= 0")
    for flag, expected in (([], None), (["--cov-branch"], "50% (1/2)")):
        proc = run_dbtest(
            ["--headless", "--cov=app", *flag, "--cov-report", "xml:cov.xml", "tests/test_sub.py"],
            root,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        line = next(
            x
            for x in ET.parse(root / "cov.xml").getroot().iter("line")
            if x.get("number") == str(sign)
        )
        assert line.get("condition-coverage") == expected


def test_every_report_kind_at_its_default_path_and_term_missing(root):
    args = "--headless --cov=app --cov-report term-missing --cov-report lcov"
    args += " --cov-report json --cov-report xml --cov-report html tests/test_sub.py"
    proc = run_dbtest(args.split(), root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # Without a path, coverage.py's defaults in the project root.
    lcov = (root / "coverage.lcov").read_text()
    assert f"DA:{line_of('return a - b')},1" in lcov
    assert f"DA:{line_of('no test runs this line')},0" in lcov
    assert CALC in json.loads((root / "coverage.json").read_text())["files"]
    assert CALC in measured_files(root / "coverage.xml")
    assert (root / "htmlcov/index.html").exists()
    # term-missing: the table names the lines no test ran.
    row = next(line for line in proc.stdout.splitlines() if line.startswith(CALC))
    assert str(line_of("no test runs this line")) in row.split("%", 1)[1]


def test_cov_is_repeatable_and_takes_package_names(root):
    proc = run_dbtest(
        "--headless --cov=app.calc --cov=tests --cov-report xml:cov.xml tests/test_sub.py".split(),
        root,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    files = measured_files(root / "cov.xml")
    assert CALC in files and "tests/test_sub.py" in files
    assert "app/__init__.py" not in files  # only the module app.calc of the package


def test_markdown_on_stdout_ends_with_the_coverage_section(root):
    proc = run_dbtest(
        "--headless --format markdown --cov=app --cov-fail-under 99 tests/test_sub.py".split(),
        root,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    section = proc.stdout[proc.stdout.index("## Coverage") :]
    assert "Under the required 99%: the run fails." in section
    assert f"| `{CALC}` |" in section
    # The console (with the terminal table) went to stderr, apart from the report.
    assert "TOTAL" in proc.stderr and "TOTAL" not in proc.stdout


def test_without_coverage_installed_the_error_names_the_extra(root, tmp_path):
    # A real interpreter where `import coverage` fails: a sitecustomize
    # (on PYTHONPATH) that hides the package from the import system.
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "sitecustomize.py").write_text(
        "import sys\n"
        "class Hide:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'coverage':\n"
        "            raise ImportError(name)\n"
        "sys.meta_path.insert(0, Hide())\n"
    )
    proc = run_dbtest(["--headless", "--cov"], root, env={"PYTHONPATH": str(hide)})
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert proc.stderr == "dbtest: error: --cov needs coverage.py: pip install 'dbtest[cov]'\n"


@pytest.mark.parametrize(
    "args",
    [
        ["--cov-report", "bogus"],
        ["--cov-report", "term:out.txt"],
        ["--cov-context", "line"],
        ["--cov-fail-under", "150"],
        ["--cov=no/such/dir"],
        ["--cov-report", "json:tests"],
        ["--cov-report", "xml:/proc/no/cov.xml"],
    ],
)
def test_bad_coverage_options_are_one_line_usage_errors(root, args):
    proc = run_dbtest(["--headless", "--cov", *args], root)
    assert proc.returncode == 4
    assert proc.stderr.startswith("dbtest: error: --cov") and proc.stderr.count("\n") == 1
    assert not proc.stdout  # refused before anything ran


def test_a_coveragerc_run_section_is_read_by_every_worker(root):
    # A .coveragerc wins over pyproject.toml, as in coverage.py: its [run]
    # turns branches on and omits nothing, so app/omitted.py is measured.
    (root / ".coveragerc").write_text("[run]\nbranch = True\n")
    proc = run_dbtest(
        "--headless -j 2 --cov=app --cov-report xml:cov.xml tests/test_add.py tests/test_sub.py".split(),
        root,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "app/omitted.py" in measured_files(root / "cov.xml")
    assert ET.parse(root / "cov.xml").getroot().get("branches-valid") != "0"


def test_coverage_options_without_cov_are_an_error(root):
    proc = run_dbtest(["--headless", "--cov-branch"], root)
    assert (proc.returncode, proc.stderr) == (4, "dbtest: error: --cov-branch needs --cov\n")


@pytest.mark.parametrize("command", [[], ["run", "-qx"]], ids=["fast-parser", "typer"])
def test_a_path_after_a_bare_cov_stays_a_path(root, command):
    proc = run_dbtest([*command, "--headless", "--cov", "tests/test_sub.py"], root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout


def test_data_directories_of_dbtest_processes_that_are_gone_are_removed(root, tmp_path):
    # A worker started ahead of a run that never happened may create its
    # run's directory after the CLI has gone; the next covered run sweeps it.
    tmp = tmp_path / "tmp"
    stale = tmp / "dbtest-cov-999999999"  # above any pid Linux gives
    stale.mkdir(parents=True)
    (stale / ".coverage.host.pid1.x").write_text("")
    proc = run_dbtest(
        ["--headless", "--cov=app", "tests/test_sub.py"], root, env={"TMPDIR": str(tmp)}
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not list(tmp.glob("dbtest-cov-*"))
