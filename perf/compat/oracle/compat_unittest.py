"""`python -m unittest` for the compat panel, with one JSON record per outcome.

Run as `python -m compat_unittest` in the project's root: the same default
discovery as `python -m unittest` (start `.`, pattern `test*.py`, `load_tests`
honoured), the same counting (one record per success, failure, error, skip,
expected failure, unexpected success, and per failing or skipped subtest),
written to $COMPAT_ORACLE_OUT as `{"id", "outcome", "message", ...}`.

Ids use dbtest's grammar, naming the test by the file whose module loaded it
(as pytest does for a class imported into another test module):
`path.py::Class::method`, a subtest `path.py::Class::method[msg, k=v]`,
a doctest added by `load_tests` `path.py::dotted.name` with `doctest` set.
A module that fails to import, and a failing setUpClass/setUpModule, are one
`group` record for the file or class, as unittest counts them.
"""

from __future__ import annotations

import doctest
import json
import os
import re
import sys
import traceback
import unittest


class _Loader(unittest.TestLoader):
    """Tags every test with the module whose loading produced it."""

    def loadTestsFromModule(self, module, *args, **kwargs):  # noqa: N802
        suite = super().loadTestsFromModule(module, *args, **kwargs)
        for test in _flatten(suite):
            if not hasattr(test, "_compat_module"):
                test._compat_module = module
        return suite


def _flatten(suite):
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            yield from _flatten(test)
        else:
            yield test


def _path(module) -> str:
    file = getattr(module, "__file__", None) or module.__name__.replace(".", "/") + ".py"
    return os.path.relpath(file).replace(os.sep, "/")


def _module_path(name: str) -> str:
    module = sys.modules.get(name)
    if module is not None:
        return _path(module)
    base = name.replace(".", "/")
    return base + "/__init__.py" if os.path.isdir(base) else base + ".py"


def _sub_desc(subtest) -> str:
    """dbtest's subtest id part: `msg, k=v, ...`."""
    parts = [subtest._message] if isinstance(subtest._message, str) else []
    parts.extend(f"{k}={v!r}" for k, v in (subtest.params or {}).items())
    return (", ".join(parts) or "subtest").replace("[", "(").replace("]", ")")


def _record(test) -> dict:
    if isinstance(test, unittest.case._SubTest):
        parent = _record(test.test_case)
        return {**parent, "id": f"{parent['id']}[{_sub_desc(test)}]"}
    if isinstance(test, unittest.suite._ErrorHolder):
        # "setUpClass (pkg.test_x.Class)" or "setUpModule (pkg.test_x)"
        match = re.match(r"\w+ \((.+)\)", test.description)
        dotted = match.group(1) if match else test.description
        module, _, cls = dotted.rpartition(".")
        if module in sys.modules and cls and not cls[0].islower():
            return {"id": f"{_module_path(module)}::{cls}", "group": True}
        return {"id": _module_path(dotted), "group": True}
    if type(test).__name__ == "_FailedTest":  # the module could not be imported
        return {"id": _module_path(test._testMethodName), "group": True}
    path = _path(test._compat_module) if hasattr(test, "_compat_module") else "?"
    if isinstance(test, doctest.DocTestCase):
        name = test._dt_test.name
        return {"id": f"{path}::{name}", "doctest": name, "kind": "doctest"}
    cls = type(test).__qualname__.replace(".", "::")
    return {"id": f"{path}::{cls}::{test._testMethodName}", "kind": "unittest"}


class _Result(unittest.TestResult):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.records: list[dict] = []

    def _add(self, test, outcome: str, message: str = "") -> None:
        self.records.append({**_record(test), "outcome": outcome, "message": message[-400:]})

    def _err(self, err) -> str:
        return "".join(traceback.format_exception_only(err[0], err[1])).strip()

    def addSuccess(self, test):  # noqa: N802
        super().addSuccess(test)
        self._add(test, "passed")

    def addFailure(self, test, err):  # noqa: N802
        super().addFailure(test, err)
        self._add(test, "failed", self._err(err))

    def addError(self, test, err):  # noqa: N802
        super().addError(test, err)
        self._add(test, "error", self._err(err))

    def addSkip(self, test, reason):  # noqa: N802
        super().addSkip(test, reason)
        self._add(test, "skipped", reason)

    def addExpectedFailure(self, test, err):  # noqa: N802
        super().addExpectedFailure(test, err)
        self._add(test, "xfailed", self._err(err))

    def addUnexpectedSuccess(self, test):  # noqa: N802
        super().addUnexpectedSuccess(test)
        self._add(test, "xpassed")

    def addSubTest(self, test, subtest, err):  # noqa: N802
        super().addSubTest(test, subtest, err)
        if err is not None:
            failed = issubclass(err[0], test.failureException)
            self._add(subtest, "failed" if failed else "error", self._err(err))


def main() -> int:
    suite = _Loader().discover(".", pattern="test*.py")
    result = _Result()
    suite.run(result)
    with open(os.environ["COMPAT_ORACLE_OUT"], "w", encoding="utf-8") as f:
        json.dump({"exitstatus": 0 if result.wasSuccessful() else 1, "records": result.records}, f)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
