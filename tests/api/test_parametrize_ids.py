"""The static parse and the import give a parametrized test the same case ids.

Two implementations of one rule: ``rust_core/engine/src/parse/params.rs``
lists the cases without importing, ``dbtest/api/parametrize.py`` makes them at
import, and the worker runs a listed case by its id. For every case here the
parse must list exactly the ids the import gives, in order, or (where it
cannot know a value) list the function alone for the import to expand.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from dbtest import _core
from dbtest.api.marks import get_marks
from dbtest.api.parametrize import expand

SOURCE = r"""
from dbtest import parametrize
import dbtest


@parametrize("v", ["plain", "", "caf\u00e9", "\U0001F600", "a\tb", "x-y", "[b]", "a::b", "\\",
                   "\x00", "\n", r"\d", "sp ace", "two" "parts", u"u", R"\x41"])
def test_strings(v):
    pass


@parametrize("v", [0, 1, -1, +7, 0x1F, 0o17, 0b101, 1_000, 9223372036854775807,
                   -9223372036854775807])
def test_ints(v):
    pass


@parametrize("v", [0.0, -0.0, 1.5, -2.5, 1e-5, 1.5e-7, 1e16, 1.5e16, 1e15, 0.0001, 0.1,
                   1e22, 5e-324, 1.7976931348623157e308, 1e400, -1e400, 1_000.5, 3., .5,
                   123456789012345678.0, 2.5E+3])
def test_floats(v):
    pass


@parametrize("v", [True, False, None])
def test_constants(v):
    pass


@parametrize("v", [(1, 2), [1], (), {1, 2}, {}, {"k": 1}, "s", {**{}}])
def test_containers_are_argname_index(v):
    pass


@parametrize("a, b", [(1, "x"), [2.5, None], (True, (1,)), ({}, "y")])
def test_rows(a, b):
    pass


@parametrize(["a", "b"], [(1, 2)])
def test_names_as_list(a, b):
    pass


@parametrize(" a ,b ,", [(1, 2)])
def test_names_with_spaces(a, b):
    pass


@parametrize(argnames="v", argvalues=[1, 2], ids=["one", None])
def test_keywords_and_ids(v):
    pass


@parametrize("v", [1, 2], ids=("", "x"))
def test_empty_given_id(v):
    pass


@parametrize("v", [1, 2])
@parametrize("w", ["p", "q", "r"])
@parametrize("x", [None])
def test_stacked(v, w, x):
    pass


@parametrize("v", [1, 2], ids=["", ""])
@parametrize("w", ["x"], ids=[""])
def test_stacked_empty_ids(v, w):
    pass


@parametrize("v", [1, 1, "1", 2, 1])
def test_duplicates(v):
    pass


@parametrize("v", ["a0", "a", "a"])
def test_duplicate_suffix_meets_a_real_id(v):
    pass


@parametrize("v", [])
def test_no_cases(v):
    pass


@dbtest.parametrize("v", [3])
def test_qualified(v):
    pass


class Suite(dbtest.TestSuite):
    @parametrize("v", [1, "s"])
    def test_method(self, v):
        pass


NAME = "from-a-name"


def make():
    return 7


@parametrize("v", [NAME])
def test_a_name(v):
    pass


@parametrize("v", [make(), str(1)])
def test_calls(v):
    pass


@parametrize("v", [1 + 1, -NAME if False else 2, 2 ** 70, 1 if True else 0])
def test_arithmetic(v):
    pass


@parametrize("v", [2j, 100000000000000000000, "\N{BULLET}", f"{NAME}", b"bytes"])
def test_values_only_the_import_knows(v):
    pass


@parametrize("v", [lambda: 1, ...])
def test_lambda_and_ellipsis(v):
    pass


@parametrize("a, b", [(1, NAME)])
def test_a_row_with_a_name(a, b):
    pass


@parametrize("v", list(range(3)))
def test_computed_list(v):
    pass


@parametrize("v", [1, 2], ids=lambda v: f"n{v}")
def test_ids_callable(v):
    pass
"""

# The tests whose ids the parse must know (not leave to the import): every
# one made of literal values. The others must be left to the import.
KNOWN = {
    "test_strings",
    "test_ints",
    "test_floats",
    "test_constants",
    "test_containers_are_argname_index",
    "test_rows",
    "test_names_as_list",
    "test_names_with_spaces",
    "test_keywords_and_ids",
    "test_empty_given_id",
    "test_stacked",
    "test_stacked_empty_ids",
    "test_duplicates",
    "test_duplicate_suffix_meets_a_real_id",
    "test_no_cases",
    "test_qualified",
    "Suite::test_method",
    "test_lambda_and_ellipsis",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("params")
    (root / "tests").mkdir()
    (root / "tests" / "test_params.py").write_text(SOURCE, encoding="utf-8")
    return root


def import_ids(root: Path) -> dict[str, list[str | None]]:
    """Each test's case ids as the import makes them (`[None]`: not parametrized)."""
    path = root / "tests" / "test_params.py"
    spec = importlib.util.spec_from_file_location("dbtest_params_contract", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out: dict[str, list[str | None]] = {}
    for name, fn in vars(module).items():
        if name.startswith("test_"):
            out[name] = [pid for pid, _ in expand(get_marks(fn))]
    out["Suite::test_method"] = [pid for pid, _ in expand(get_marks(module.Suite.test_method))]
    return out


def static_items(root: Path, full_parse: bool) -> dict[str, list[dict]]:
    doc = json.loads(_core.discover(root_dir=str(root), full_parse=full_parse))
    [file] = doc["files"]
    assert "error" not in file or not file["error"], file
    items = list(file["items"]) + [i for s in file["suites"] for i in s["items"]]
    out: dict[str, list[dict]] = {}
    for item in items:
        key = item["name"] if not item.get("suite") else f"{item['suite']}::{item['name']}"
        out.setdefault(key, []).append(item)
    return out


@pytest.mark.parametrize("full_parse", [False, True], ids=["fast", "tree-sitter"])
def test_static_case_ids_are_the_import_ids(project: Path, full_parse: bool) -> None:
    imported = import_ids(project)
    listed = static_items(project, full_parse)
    assert set(listed) == set(imported)
    wrong = {}
    for name, ids in imported.items():
        items = listed[name]
        params = [i.get("params") for i in items]
        dynamic = [d for i in items for d in i.get("dynamic", [])]
        if name not in KNOWN:
            # Left to the import: the function alone, marked so.
            if params != [None] or "params" not in dynamic:
                wrong[name] = (params, dynamic)
        elif ids == []:
            # No cases: one skipped item, without brackets, as at import.
            if params != [None] or items[0].get("skip") != "parametrize: no cases":
                wrong[name] = items
        elif params != ids or "params" in dynamic:
            wrong[name] = (params, ids)
    assert wrong == {}


def test_the_contract_covers_both_kinds(project: Path) -> None:
    # Guards the test above against passing vacuously.
    imported = import_ids(project)
    assert KNOWN < set(imported)
    assert sum(len(imported[n]) for n in KNOWN) > 80
