"""`dbtest/_core.pyi` types exactly what `dbtest._core` exports, and the
test-only functions live in `_core._testing`, out of the module's API."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from dbtest import _core
from dbtest._core import _testing

STUB = Path(_core.__file__).resolve().parent / "_core.pyi"


def _stub() -> ast.Module:
    return ast.parse(STUB.read_text())


def _public(names) -> set[str]:
    return {n for n in names if not n.startswith("__") or n == "__version__"}


def _stub_names(body: list[ast.stmt]) -> set[str]:
    names = set()
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def test_the_stub_and_the_module_export_the_same_names():
    stub = _stub_names(_stub().body) - {"_TestingModule"}
    assert stub == _public(dir(_core))


def test_the_stub_lists_each_method_and_property_of_the_classes():
    classes = {n.name: n for n in _stub().body if isinstance(n, ast.ClassDef)}
    for name in ("RunHandle", "InProcessConnection", "Discovery"):
        methods = _public(_stub_names(classes[name].body))  # dunders: the constructor, len
        assert methods == _public(dir(getattr(_core, name))) - _public(dir(object)), name


def test_the_testing_module_is_typed_and_apart():
    classes = {n.name: n for n in _stub().body if isinstance(n, ast.ClassDef)}
    typed = _stub_names(classes["_TestingModule"].body)
    assert typed == _public(dir(_testing))
    assert not typed & set(dir(_core)), "a test-only function is also in the module's API"


def test_the_stub_signatures_match_the_functions():
    """Parameter names and defaults, as PyO3 reports them."""
    stub = {n.name: n for n in _stub().body if isinstance(n, ast.FunctionDef)}
    for name, node in stub.items():
        real = inspect.signature(getattr(_core, name))
        assert [a.arg for a in node.args.args] == list(real.parameters), name
