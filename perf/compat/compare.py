"""Matching the oracle's tests to dbtest's records, and naming each difference's cause.

Every oracle record is counted: it has the same outcome under dbtest, or it is
a difference with exactly one cause (the first that blocks it: a test in a
plain class that is also parametrized counts under "plain pytest class").
dbtest records that match no oracle test are listed as extras, with causes of
their own; they never raise or lower the score.

Ids match exactly, in dbtest's grammar (`path::Class::name[params]`, which is
also pytest's node id with `--rootdir` at the project root), except:
- a doctest matches a dbtest record named by its dotted name after the file
  that added it (`tests/test_more.py::more_itertools.more.chunked`), or by
  its module's file and its qualified name (`more_itertools/more.py::chunked`);
- a group record of the oracle (a module that failed to import or was skipped
  at import, a failing setUpClass) matches a dbtest collection error of that
  file, or dbtest records under it that all have the group's outcome.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from perf.compat.source import Source, TestId

BUILTIN_FIXTURES = {
    "tmp_path",
    "tmp_path_factory",
    "tmpdir",
    "tmpdir_factory",
    "monkeypatch",
    "capsys",
    "capsysbinary",
    "capfd",
    "capfdbinary",
    "caplog",
    "recwarn",
    "request",
    "pytestconfig",
    "cache",
    "record_property",
    "record_testsuite_property",
    "subtests",
}
# Causes whose every id is printed: nothing more specific could be said.
UNEXPLAINED = ("outcome differs", "not collected: other", "extra: other")
NESTED = "not collected: defined under if/try or in a function"


@dataclass
class Difference:
    id: str
    cause: str
    oracle: str | None  # the oracle's outcome; None for an extra
    dbtest: str | None  # dbtest's outcome; None when dbtest has no record
    message: str = ""  # dbtest's message (else the oracle's), first lines

    @property
    def unexplained(self) -> bool:
        return self.cause.startswith(UNEXPLAINED)


@dataclass
class Comparison:
    total: int = 0
    same: int = 0
    differences: list[Difference] = field(default_factory=list)
    extras: list[Difference] = field(default_factory=list)


def _short(message: str | None) -> str:
    lines = [line for line in (message or "").strip().splitlines() if line.strip()]
    return "\n".join(lines[:3])[:300]


def _dotted_path(path: str) -> str:
    """`src/pkg/mod.py` -> `pkg.mod` (also without the `src.` prefix)."""
    dotted = path.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
    return dotted.removeprefix("src.")


class Matcher:
    """Compares one project's oracle records with dbtest's run."""

    def __init__(
        self, source: Source, runner: str, dbtest: list[dict], collection_errors: list[dict]
    ):
        self.source = source
        self.runner = runner
        self.records = {t["id"]: t for t in dbtest}
        self.collection_errors = {e["path"]: e for e in collection_errors}
        self.paths = {TestId.parse(i).path for i in self.records}
        self.by_doctest: dict[str, str] = {}
        for test_id in self.records:
            path, sep, name = test_id.partition("::")
            if name.startswith("load_tests::"):
                # A case `load_tests` added: `path::load_tests::<unittest's id>`.
                self.by_doctest.setdefault(name.removeprefix("load_tests::"), test_id)
            elif sep and "::" not in name:
                self.by_doctest.setdefault(name, test_id)
                self.by_doctest.setdefault(f"{_dotted_path(path)}.{name}", test_id)
        self.bases: dict[str, list[str]] = defaultdict(list)  # base id -> dbtest ids with [params]
        for test_id in self.records:
            parsed = TestId.parse(test_id)
            if parsed.params is not None:
                self.bases[parsed.base].append(test_id)

    def compare(self, oracle: list[dict]) -> Comparison:
        result = Comparison(total=len(oracle))
        self.oracle_ids = [r["id"] for r in oracle]
        used: set[str] = set()
        for record in oracle:
            outcome = record["outcome"]
            if record.get("group"):
                under = [
                    i
                    for i in self.records
                    if i == record["id"] or i.startswith(record["id"] + "::")
                ]
                used.update(under)
                if self._group_same(record, under):
                    result.same += 1
                else:
                    got = (
                        ", ".join(sorted({self.records[i]["outcome"] for i in under})) or "nothing"
                    )
                    cause = f"group outcome differs: {outcome} vs {got}"
                    result.differences.append(
                        Difference(
                            record["id"], cause, outcome, None, _short(record.get("message"))
                        )
                    )
                continue
            match = self._match(record)
            if match is None:
                cause = self.missing_cause(record)
                result.differences.append(
                    Difference(record["id"], cause, outcome, None, self._stand_in_message(record))
                )
                continue
            used.add(match)
            got = self.records[match]
            if got["outcome"] == outcome:
                result.same += 1
            else:
                cause = self.outcome_cause(record, got)
                result.differences.append(
                    Difference(
                        record["id"], cause, outcome, got["outcome"], _short(got.get("message"))
                    )
                )
        oracle_ids = self.oracle_ids
        oracle_paths = {TestId.parse(i).path for i in oracle_ids}
        for test_id, got in self.records.items():
            if test_id not in used:
                cause = self.extra_cause(test_id, oracle_ids, oracle_paths)
                result.extras.append(
                    Difference(test_id, cause, None, got["outcome"], _short(got.get("message")))
                )
        for path, error in self.collection_errors.items():
            if not any(r.get("group") and r["id"] == path for r in oracle):
                result.extras.append(
                    Difference(
                        path,
                        "extra: collection error in dbtest",
                        None,
                        "error",
                        _short(error.get("message")),
                    )
                )
        return result

    def _group_same(self, record: dict, under: list[str]) -> bool:
        if record["outcome"] == "error" and record["id"] in self.collection_errors:
            return True
        return bool(under) and all(self.records[i]["outcome"] == record["outcome"] for i in under)

    def _match(self, record: dict) -> str | None:
        if record["id"] in self.records:
            return record["id"]
        name = record.get("doctest")
        return self.by_doctest.get(name) if name else None

    def _stand_in_message(self, record: dict) -> str:
        """dbtest's message for the record standing in for this test, if any."""
        parsed = TestId.parse(record["id"])
        for candidate in (parsed.base, "::".join((parsed.path, *parsed.chain[:-1]))):
            if candidate in self.records:
                return _short(self.records[candidate].get("message"))
        return _short(self.collection_errors.get(parsed.path, {}).get("message"))

    def missing_cause(self, record: dict) -> str:
        """Why dbtest has no record for an oracle test."""
        test = TestId.parse(record["id"])
        if record.get("doctest"):
            if self.runner == "unittest":
                return "not collected: doctest added by load_tests"
            return "not collected: doctest (--doctest-modules or a collection hook)"
        if test.path in self.collection_errors:
            return "not collected: collection error in dbtest"
        if not test.chain:
            return "not collected: other"
        for depth in range(1, len(test.chain)):
            cls = self.source.find(test.path, test.chain[:depth])
            if cls is None:
                return "not collected: class not defined in the file (imported or generated)"
            if "::".join((test.path, *test.chain[:depth])) in self.records:
                return "not collected: class known only at import (placeholder record)"
            if self.source.is_plain_class(test.path, cls):
                return "not collected: plain pytest class"
            if self.source.find(test.path, test.chain[: depth + 1]) is None:
                if test.chain[depth] == "runTest":
                    return "not collected: runTest"
                if self.source.defined_nested(test.path, test.chain[depth]):
                    return NESTED
                return "not collected: method inherited from a base in another module"
        if test.chain[-1] == "runTest":
            return "not collected: runTest"
        if test.params is not None:
            if self.source.fixture_params_apply(test):
                return "not collected: parametrized fixture (params=) not applied"
            if self.bases.get(test.base):
                return "not collected: parametrize ids differ: " + self._id_difference(test)
            if "parametrize" in self.source.marks(test.path, test.chain):
                return "not collected: parametrize not expanded"
            return "not collected: parametrized by a hook or plugin (pytest_generate_tests)"
        if self.source.find(test.path, test.chain) is None:
            return NESTED
        if not test.chain[-1].startswith("test"):
            return "not collected: pytest's name rules (python_functions/python_classes)"
        if test.path not in self.paths:
            return "not collected: file not collected (paths, name rules)"
        return "not collected: other"

    def _id_difference(self, test: TestId) -> str:
        """What in pytest's case id dbtest computes differently (judged from pytest's id)."""
        params = test.params or ""
        if re.search(r"\\[ux][0-9a-f]{2}", params):
            return "pytest escapes non-ASCII and control characters"
        stem = re.sub(r"_\d+$", "", params)
        if (
            stem != params
            and sum(i.startswith(f"{test.base}[{stem}_") for i in self.oracle_ids) > 1
        ):
            return "duplicate ids suffixed _0, _1"
        return "values named by pytest (classes, functions, enums, ...)"

    def outcome_cause(self, record: dict, got: dict) -> str:
        """Why a test both runners ran ended differently."""
        expected, actual = record["outcome"], got["outcome"]
        message = got.get("message") or ""
        test = TestId.parse(record["id"])
        missing = re.search(r"fixture '([^']+)' not found", message)
        if missing:
            return "fixture not found: " + self._fixture_kind(missing.group(1), test)
        if "no test with id" in message:
            return "parametrize: listed statically, 'not found after import' at run"
        marks = self.source.marks(test.path, test.chain)
        if (
            expected == "skipped"
            and actual == "error"
            and re.search(r"\bSkipped\b|skip\(", message)
        ):
            return "pytest.skip()/importorskip() reported as error"
        if expected == "skipped" and "skip" in marks:
            return f"skip/skipif mark not honoured: skipped vs {actual}"
        if expected in ("xfailed", "xpassed") and "xfail" in marks:
            return f"xfail mark not honoured: {expected} vs {actual}"
        if expected == "failed" and actual == "error" and message.startswith("Failed"):
            return "pytest.fail() reported as error"
        why = ""
        if "usefixtures" in marks:
            why = " (its usefixtures not applied)"
        elif any(fx.autouse for fx in self.source.applying_fixtures(test)):
            why = " (autouse fixtures not run)"
        return f"outcome differs: {expected} vs {actual}{why}"

    def _fixture_kind(self, name: str, test: TestId) -> str:
        if name in BUILTIN_FIXTURES:
            return f"built-in {name}"
        if any(f.name == name for f in self.source.module_fixtures(test.path)):
            return "@pytest.fixture of the test module"
        if any(f.name == name for f in self.source.fixtures()):
            return "defined in conftest.py"
        if self.source.fixture_params_apply(test) or test.params is not None:
            return "a parametrize argument (cases not expanded)"
        return f"not in the tree (a plugin's?): {name}"

    def extra_cause(self, test_id: str, oracle_ids: list[str], oracle_paths: set[str]) -> str:
        """Why dbtest has a record the oracle does not."""
        test = TestId.parse(test_id)
        if any(i.startswith(test_id + "[") for i in oracle_ids):
            return "extra: a parametrized test listed once, standing for its cases"
        if any(i.startswith(test_id + "::") for i in oracle_ids):
            return "extra: a class placeholder standing for its tests"
        if test.path not in oracle_paths:
            return (
                "extra: file the oracle does not collect (testpaths, collect_ignore, norecursedirs)"
            )
        if test.params is not None and any(i.startswith(test.base + "[") for i in oracle_ids):
            return "extra: parametrize case ids differ from pytest's"
        deselected = self.source.deselected_marks()
        marks = self.source.marks(test.path, test.chain)
        if any(re.search(rf"\bmark\.{m}\b", marks) for m in deselected):
            return "extra: deselected by the project's addopts -m"
        return "extra: other"
