"""Import a test file lazily (once per process) and build its runnable items with real ids."""

from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
import os
import sys
from dataclasses import dataclass
from types import FunctionType, ModuleType
from typing import Any

from dbtest import ids as id_grammar
from dbtest.api.fixtures import FixtureDef, get_fixture
from dbtest.api.marks import TestMarks, XFail, get_marks, merge
from dbtest.api.parametrize import expand_cases
from dbtest.api.suite import HOOK_NAMES, TestSuite
from dbtest.compat import ids as pytest_ids
from dbtest.compat import marks as pytest_marks
from dbtest.compat.conftest import Conftest, fixtures_of
from dbtest.execution import load_tests, names, xunit
from dbtest.execution import outcome as oc
from dbtest.execution.fixture_table import FixtureTable
from dbtest.execution.fixtures import fixture_names
from dbtest.execution.item import ImportFailure, Item
from dbtest.execution.traceback import format_exception


@dataclass
class LoadedModule:
    """A test module after import: its items and the fixtures they see."""

    path: str
    module: ModuleType
    items: list[Item]
    table: FixtureTable

    @functools.cached_property
    def by_id(self) -> dict[str, Item]:
        """The items by id, built once for every unit of the file."""
        return {item.id: item for item in self.items}

    @functools.cached_property
    def doctests(self) -> dict[str, Item]:
        """The module's doctests by id, found when first asked for (only
        runs with ``--doctest-modules`` ask)."""
        from dbtest.execution import doctests

        return doctests.module_items(self.path, self.module)


def _module_name(abspath: str) -> tuple[str, str]:
    """Dotted module name and the directory that must be on ``sys.path`` (pytest's rule)."""
    directory, filename = os.path.split(abspath)
    stem = os.path.splitext(filename)[0]
    # A package's `__init__.py` is the package itself.
    parts = [] if stem == "__init__" else [stem]
    while os.path.isfile(os.path.join(directory, "__init__.py")):
        directory, pkg = os.path.split(directory)
        parts.insert(0, pkg)
    return ".".join(parts), directory


def import_file(root: str, relpath: str) -> ModuleType:
    """Import ``root/relpath``; raises ``ImportFailure`` with the user's traceback."""
    abspath = os.path.abspath(os.path.join(root, relpath))
    if not os.path.isfile(abspath):
        raise ImportFailure(relpath, f"test file not found: {relpath}", "")
    name, base = _module_name(abspath)
    for d in (os.path.abspath(root), base):
        if d not in sys.path:
            sys.path.insert(0, d)
    existing = sys.modules.get(name)
    if existing is not None:
        if os.path.abspath(getattr(existing, "__file__", "") or "") == abspath:
            return existing
        # Same dotted name, another file (two test_utils.py without packages).
        name = "dbtest_" + relpath.replace("/", ".").replace("\\", ".").removesuffix(".py")
    try:
        if os.path.basename(abspath) == "__init__.py" and not name.startswith("dbtest_"):
            # A package (its doctests): imported as one, so its modules import too.
            return importlib.import_module(name)
        if "." in name and not name.startswith("dbtest_"):
            importlib.import_module(name.rpartition(".")[0])
        spec = importlib.util.spec_from_file_location(name, abspath)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {relpath}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise
    except BaseException as e:  # SystemExit/KeyboardInterrupt at import too
        if oc.classify(e) == oc.SKIPPED:
            raise ImportFailure(relpath, oc.headline(e), "", skipped=True) from None
        if isinstance(e, SyntaxError):
            message = f"SyntaxError in {relpath}: {e.msg} (line {e.lineno})"
        elif isinstance(e, SystemExit):
            message = f"importing {relpath} called sys.exit({e.code!r})"
        else:
            message = f"importing {relpath} failed: {type(e).__name__}: {e}"
        raise ImportFailure(relpath, message, format_exception(e)) from None
    return module


def _line(func: Any) -> int:
    code = getattr(func, "__code__", None)
    return int(code.co_firstlineno) if code is not None else 0


def _is_async(func: Any) -> bool:
    if type(func) is FunctionType:
        # What inspect.iscoroutinefunction decides for a plain function, at a
        # fifth of its cost (it runs for every test at import).
        return bool(func.__code__.co_flags & inspect.CO_COROUTINE)
    return inspect.iscoroutinefunction(func)


def _merge_tags(*groups: Any) -> list[str]:
    out: set[str] = set()
    for g in groups:
        if g:
            out.update(str(t) for t in g)
    return sorted(out)


def _items_for(
    path: str,
    prefix: str,
    name: str,
    func: Any,
    style: str,
    suite: str | None,
    suite_cls: type | None,
    extra_tags: Any,
    class_marks: TestMarks | None,
) -> list[Item]:
    # A static or class method of a pytest-style class: described by its
    # function, bound through the descriptor when it runs.
    inner = func.__func__ if isinstance(func, (staticmethod, classmethod)) else func
    # What every case of this test shares.
    common: dict[str, Any] = {
        "path": path,
        "style": style,
        "name": name,
        "func": func,
        "line": _line(inner),
        "suite": suite,
        "suite_cls": suite_cls,
        "is_async": _is_async(inner),
    }
    try:
        marks = get_marks(inner)
        if getattr(inner, "pytestmark", None) is not None:
            found = pytest_marks.marks_on(inner)
            marks = merge(marks, pytest_marks.translate(found, inner.__globals__))
        if class_marks is not None and class_marks.params:
            # A class's or module's `parametrize` applies to each test, after its own.
            marks = merge(marks or TestMarks(), TestMarks(params=class_marks.params))
    except pytest_marks.MarkError as e:
        return [Item(id=id_grammar.child(prefix, name), error=f"{name}: {e}", **common)]
    if marks is None and class_marks is None:
        # An undecorated test, the common case: one item, nothing to decide.
        tags = _merge_tags(extra_tags) if extra_tags else []
        return [Item(id=id_grammar.child(prefix, name), tags=tags, **common)]
    skip = class_marks.skip if class_marks and class_marks.skip else None
    skip_ifs = list(class_marks.skip_ifs) if class_marks else []
    if marks is not None:
        skip = marks.skip or skip
        skip_ifs.extend(marks.skip_ifs)
    # Conditions given as values are decided now; callables when the test runs.
    deferred = []
    for cond, reason in skip_ifs:
        if callable(cond):
            deferred.append((cond, reason))
        elif cond and skip is None:
            skip = reason
    cases = expand_cases(marks)
    if not cases:
        cases = [(None, {}, [])]
        skip = skip or "parametrize: no cases"
    tags = _merge_tags(
        marks.tags if marks else None, class_marks.tags if class_marks else None, extra_tags
    )
    xfail = (marks.xfail if marks and marks.xfail else None) or (
        class_marks.xfail if class_marks else None
    )
    use = [*(class_marks.usefixtures if class_marks else ()), *(marks.usefixtures if marks else ())]
    warn = [
        *(marks.filterwarnings if marks else ()),
        *(class_marks.filterwarnings if class_marks else ()),
    ]
    indirect = {n for ps in (marks.params if marks else ()) for n in ps.indirect}
    notrun = any(m is not None and m.notrun_xfail for m in (marks, class_marks))
    items = []
    for pid, kwargs, case_marks in cases:
        own = merge(*case_marks) if case_marks else None
        items.append(
            Item(
                id=id_grammar.join(prefix, [name], pid),
                params=pid,
                kwargs={k: v for k, v in kwargs.items() if k not in indirect},
                indirect={k: v for k, v in kwargs.items() if k in indirect},
                tags=_merge_tags(tags, own.tags) if own else list(tags),
                timeout=marks.timeout if marks else None,
                retries=marks.retries if marks else None,
                skip=(own.skip if own else None) or skip,
                skip_ifs=deferred,
                xfail=(own.xfail if own else None) or xfail,
                title=marks.title if marks else None,
                usefixtures=use,
                filterwarnings=warn,
                notrun=notrun or bool(own and own.notrun_xfail),
                **common,
            )
        )
    return items


def _suite_members(cls: type) -> list[tuple[str, Any]]:
    """Test methods of a suite, inherited ones included, base classes' first."""
    order: dict[str, None] = {}
    for klass in reversed(cls.__mro__):
        if klass in (object, TestSuite):
            continue
        for name in klass.__dict__:
            order.setdefault(name, None)
    out = []
    for name in order:
        value = inspect.getattr_static(cls, name)
        if isinstance(value, (staticmethod, classmethod)) or not inspect.isfunction(value):
            continue
        if name in HOOK_NAMES or get_fixture(value) is not None:
            continue
        marks = get_marks(value)
        if (marks is not None and marks.is_test) or name.startswith("test"):
            out.append((name, value))
    return out


def _is_testcase(cls: type) -> bool:
    # A TestCase subclass means unittest is loaded; otherwise there is none
    # (and the worker does not pay unittest's import for files that do not use it).
    unittest = sys.modules.get("unittest")
    return unittest is not None and issubclass(cls, unittest.TestCase)


def _module_marks(module: ModuleType) -> TestMarks | None:
    """pytest's module-level ``pytestmark``, for every test of the module."""
    return pytest_marks.translate(pytest_marks.marks_on(module), vars(module))


def _class_marks(cls: type, module_marks: TestMarks | None) -> TestMarks | None:
    """A class's marks: dbtest's decorators, then pytest's ``pytestmark``
    (the class's and its bases'), then the module's."""
    own = pytest_marks.marks_on(cls)
    pmarks = pytest_marks.translate(own, vars(sys.modules.get(cls.__module__) or object))
    return merge(get_marks(cls), pmarks, module_marks)


def _collected(obj: Any) -> bool:
    """pytest's ``__test__ = False`` takes a class or function out."""
    return getattr(obj, "__test__", True) is not False


def _says_test(cls: type) -> bool:
    """``__test__ = True``: a test class whatever its name, as pytest has it
    (``is True``: a class whose ``__getattr__`` answers anything is not)."""
    try:
        return getattr(cls, "__test__", None) is True
    except Exception:
        return False


def build_items(path: str, module: ModuleType, rules: names.Names | None = None) -> list[Item]:
    """Every runnable item of an imported module, in definition order
    (``rules``: pytest's ``python_classes``/``python_functions``, the
    defaults when None)."""
    is_class, is_function = rules or names.of(None)
    items: list[Item] = []
    modname = module.__name__
    try:
        module_marks = _module_marks(module) if hasattr(module, "pytestmark") else None
    except pytest_marks.MarkError:
        module_marks = None  # reported by each test's own translation
    for attr, obj in list(vars(module).items()):
        if isinstance(obj, type):
            if getattr(obj, "__module__", None) != modname:
                continue  # imported classes belong to their own file
            if issubclass(obj, TestSuite) and obj is not TestSuite:
                cmarks = _class_marks(obj, module_marks)
                suite_tags = list(getattr(obj, "tags", []) or [])
                for name, func in _suite_members(obj):
                    items.extend(
                        _items_for(
                            path,
                            id_grammar.child(path, attr),
                            name,
                            func,
                            "suite",
                            attr,
                            obj,
                            suite_tags,
                            cmarks,
                        )
                    )
            elif _is_testcase(obj):
                items.extend(_unittest_items(path, attr, obj))
            elif (
                (is_class(attr) or _says_test(obj))
                and _collected(obj)
                and xunit.is_plain_class(obj)
            ):
                cmarks = _class_marks(obj, module_marks)
                for name, func in _class_members(obj, is_function):
                    items.extend(
                        _items_for(
                            path,
                            id_grammar.child(path, attr),
                            name,
                            func,
                            "class",
                            attr,
                            obj,
                            None,
                            cmarks,
                        )
                    )
        elif inspect.isfunction(obj):
            if obj.__module__ != modname:
                continue
            if not obj.__dict__ and module_marks is None:
                # Undecorated: marks, fixture markers and `__test__` would all
                # live in its __dict__. Most tests of most suites.
                if is_function(attr):
                    items.append(_plain_function_item(path, attr, obj))
                continue
            if get_fixture(obj) is not None or not _collected(obj):
                continue
            if hasattr(obj, "_pytestfixturefunction"):
                continue  # a pytest fixture (pytest < 8.4 leaves the function)
            marks = get_marks(obj)
            # pytest's rule (`python_functions`); dbtest's `@test` any name.
            if (marks is not None and marks.is_test) or is_function(attr):
                items.extend(
                    _items_for(path, path, attr, obj, "function", None, None, None, module_marks)
                )
    if load_tests.has_load_tests(module):
        own = [i for i in items if i.style == "unittest"]
        items.extend(load_tests.items(path, module, own, _line(vars(module)[load_tests.NAME])))
    return items


def _plain_function_item(path: str, name: str, func: Any) -> Item:
    """What ``_items_for`` makes of an undecorated module-level test."""
    return Item(
        id=id_grammar.child(path, name),
        path=path,
        style="function",
        name=name,
        func=func,
        line=_line(func),
        is_async=_is_async(func),
    )


def _class_members(cls: type, is_function: names.Rule) -> list[tuple[str, Any]]:
    """Test methods of a pytest-style class (named by ``python_functions``),
    inherited ones included, base classes' first; static and class methods
    too, as pytest collects them."""
    order: dict[str, None] = {}
    for klass in reversed(cls.__mro__):
        if klass is object:
            continue
        for name in klass.__dict__:
            order.setdefault(name, None)
    out = []
    for name in order:
        if not is_function(name):
            continue
        value = inspect.getattr_static(cls, name)
        inner = value.__func__ if isinstance(value, (staticmethod, classmethod)) else value
        if not inspect.isfunction(inner) or not _collected(inner):
            continue
        out.append((name, value))
    return out


def _unittest_items(path: str, attr: str, cls: type) -> list[Item]:
    items = []
    try:
        import unittest

        names = unittest.TestLoader().getTestCaseNames(cls)
        if not names and hasattr(cls, "runTest"):
            names = ["runTest"]  # as unittest's loader does
    except Exception:
        return items
    for name in names:
        func = getattr(cls, name)
        skip = None
        if getattr(cls, "__unittest_skip__", False):
            skip = getattr(cls, "__unittest_skip_why__", "") or "skipped"
        elif getattr(func, "__unittest_skip__", False):
            skip = getattr(func, "__unittest_skip_why__", "") or "skipped"
        items.append(
            Item(
                id=id_grammar.join(path, [attr, name]),
                path=path,
                style="unittest",
                name=name,
                func=func,
                line=_line(func),
                suite=attr,
                suite_cls=cls,
                is_async=_is_async(func),
                skip=skip,
                xfail=XFail("expected failure")
                if getattr(func, "__unittest_expecting_failure__", False)
                else None,
            )
        )
    return items


def load(
    root: str,
    path: str,
    conftests: list[Conftest] | None = None,
    rules: names.Names | None = None,
) -> LoadedModule:
    """Import and build (``conftests``: those that apply, already imported;
    ``rules``: the run's name rules); raises ``ImportFailure``."""
    if not path.endswith(".py"):
        return _text_doctests(root, path)
    module = import_file(root, path)
    table = FixtureTable(fixtures_of(module), conftests or [], builtin_fixtures)
    items = build_items(path, module, rules)
    # Most modules see no autouse or parametrized fixture: their module-level
    # tests are already what runs (classes may still bring their own).
    if table.multiplies(None) or any(i.suite_cls is not None for i in items):
        items = [case for item in items for case in with_fixtures(item, table)]
    return LoadedModule(path, module, items, table)


def _text_doctests(root: str, path: str) -> LoadedModule:
    """A text file of doctests (``--doctest-glob``): nothing to import."""
    from dbtest.execution import doctests

    try:
        items = doctests.text_items(root, path)
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise ImportFailure(path, f"reading {path} failed: {e}", "") from None
    module = ModuleType(path)
    return LoadedModule(path, module, items, FixtureTable({}, [], builtin_fixtures))


@functools.cache
def builtin_fixtures() -> dict[str, FixtureDef]:
    """The built-in fixtures (imported once, on first use)."""
    from dbtest.compat import builtins

    return fixtures_of(builtins)


def with_fixtures(item: Item, table: FixtureTable) -> list[Item]:
    """The item with its autouse fixtures, once per value of each
    parametrized fixture it reaches (pytest's ids: ``test[fixparam-p1]``)."""
    if item.style == "unittest" or not table.multiplies(item.suite_cls):
        return [item]
    from dataclasses import replace

    cls = item.suite_cls
    autouse = table.autouse(cls)
    asked = fixture_names(getattr(item.func, "__func__", item.func), set(item.kwargs))
    names = [*autouse, *item.usefixtures, *asked]
    fixtures = [
        fd
        for fd in table.parametrized(names, cls)
        if fd.name not in item.kwargs and fd.name not in item.indirect
    ]
    if autouse:
        item = replace(item, autouse=list(autouse))
    if not fixtures:
        return [item]
    axes = []
    for fd in fixtures:
        assert fd.params is not None
        ids = fd.ids
        tokens = [
            pytest_ids.ascii_escaped(str(ids[i]))
            if ids is not None and not callable(ids) and i < len(ids) and ids[i] is not None
            else (
                str(ids(v))
                if callable(ids) and ids(v) is not None
                else pytest_ids.value_id(v, fd.name, i)
            )
            for i, v in enumerate(fd.params)
        ]
        axes.append((fd.name, pytest_ids.unique(tokens)))
    out = []
    import itertools

    for combo in itertools.product(*(range(len(t)) for _, t in axes)):
        parts = [axes[k][1][i] for k, i in enumerate(combo)]
        # pytest parametrizes by fixtures before marks: their ids come first.
        params = "-".join([*parts, item.params] if item.params is not None else parts)
        base = id_grammar.base(item.id) if item.params is not None else item.id
        case = replace(
            item,
            id=id_grammar.with_params(base, params),
            params=params,
            fixture_params={axes[k][0]: i for k, i in enumerate(combo)},
        )
        out.append(_with_param_marks(case, fixtures, combo))
    return out


def _with_param_marks(item: Item, fixtures: list[FixtureDef], combo: tuple[int, ...]) -> Item:
    """A case with the marks of the fixture params it gets
    (``pytest.param(v, marks=pytest.mark.skipif(...))``)."""
    pairs = zip(fixtures, combo, strict=True)
    found = [m for fd, i in pairs if fd.param_marks for m in fd.param_marks[i]]
    if not found:
        return item
    from dataclasses import replace

    namespace = getattr(getattr(item.func, "__func__", item.func), "__globals__", {})
    try:
        marks = pytest_marks.translate(found, namespace)
    except pytest_marks.MarkError as e:
        return replace(item, error=f"{item.name}: {e}")
    if marks is None:
        return item
    return replace(
        item,
        skip=item.skip or marks.skip,
        xfail=item.xfail or marks.xfail,
        notrun=item.notrun or marks.notrun_xfail,
        tags=_merge_tags(item.tags, marks.tags),
    )


def collect_file(root: str, path: str, rules: names.Names | None = None) -> list[dict[str, Any]]:
    """The runnable items of ``path`` (relative to ``root``) after import, as dicts.

    Dynamic tags, computed parametrize cases and inherited tests appear with
    their real ids. Raises ``ImportFailure`` (``.message``, ``.traceback``).
    """
    return [item.to_dict() for item in load(root, path, None, rules).items]
