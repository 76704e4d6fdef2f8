"""Doctests: a module's docstrings with examples, and text files with examples.

The static parse lists them (``rust_core/engine/src/parse/doctests.rs``):
``path.py::module.Class.method`` for a docstring, named as
``doctest.DocTestFinder`` names it, and ``path.txt::name.txt`` for a text
file. Here they are found again after import and run as the unittest cases
doctest makes of them (``DocTestCase``), so they share the unittest runner:
one record each, the doctest's own report as the failure. As under pytest:
the option flags are the project's (``ELLIPSIS`` by default), and a doctest
whose examples are all skipped is ``skipped``.
"""

from __future__ import annotations

import doctest
import os
from types import ModuleType

from dbtest import ids as id_grammar
from dbtest.execution.item import Item

ALL_SKIPPED = "all examples are skipped (doctest: +SKIP)"


def optionflags() -> int:
    """The configured flags (``DBTEST_DOCTEST_OPTIONFLAGS``, set by the engine)."""
    names = os.environ.get("DBTEST_DOCTEST_OPTIONFLAGS", "ELLIPSIS")
    flags = 0
    for name in filter(None, names.split(",")):
        flags |= doctest.OPTIONFLAGS_BY_NAME[name]
    return flags


def _item(test_id: str, path: str, test: doctest.DocTest, case: doctest.DocTestCase) -> Item:
    flags = optionflags()
    skipped = bool(flags & doctest.SKIP) or all(
        ex.options.get(doctest.SKIP, False) for ex in test.examples
    )
    return Item(
        id=test_id,
        path=path,
        style="unittest",
        name=test.name,
        func=None,
        line=(test.lineno or 0) + 1,
        suite_cls=type(case),
        case=case,
        skip=ALL_SKIPPED if skipped else None,
    )


def module_items(path: str, module: ModuleType) -> dict[str, Item]:
    """The module's doctests by id, as the static parse names them."""
    out: dict[str, Item] = {}
    flags = optionflags()
    for test in doctest.DocTestFinder(exclude_empty=True).find(module, module.__name__):
        case = doctest.DocTestCase(test, optionflags=flags)
        test_id = id_grammar.child(path, test.name)
        out[test_id] = _item(test_id, path, test, case)
    return out


def text_items(root: str, path: str) -> list[Item]:
    """The one doctest of a text file (none when it has no example)."""
    abspath = os.path.join(root, path)
    name = os.path.basename(path)
    with open(abspath, encoding="utf-8") as f:
        text = f.read()
    test = doctest.DocTestParser().get_doctest(
        text, {"__name__": "__main__", "__file__": abspath}, name, abspath, 0
    )
    if not test.examples:
        return []
    case = doctest.DocFileCase(test, optionflags=optionflags())
    return [_item(id_grammar.child(path, name), path, test, case)]
