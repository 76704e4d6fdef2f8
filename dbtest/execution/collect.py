"""Import a test file lazily (once per process) and build its runnable items with real ids."""

from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
import os
import sys
from dataclasses import dataclass, field
from types import FunctionType, ModuleType
from typing import Any

from dbtest.api.fixtures import FixtureDef, get_fixture
from dbtest.api.marks import TestMarks, XFail, get_marks
from dbtest.api.parametrize import expand
from dbtest.api.suite import HOOK_NAMES, TestSuite
from dbtest.execution.fixtures import fixture_names
from dbtest.execution.traceback import format_exception


class ImportFailure(Exception):
    """A test file could not be imported; carries the user's traceback."""

    def __init__(self, path: str, message: str, traceback: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message
        self.traceback = traceback


@dataclass
class Item:
    """One runnable test (one parametrize case)."""

    id: str
    path: str
    style: str  # "suite" | "function" | "unittest"
    name: str
    func: Any
    line: int
    suite: str | None = None
    suite_cls: type | None = None
    params: str | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    is_async: bool = False
    timeout: float | None = None
    retries: int | None = None
    skip: str | None = None
    skip_ifs: list[tuple[Any, str]] = field(default_factory=list)
    xfail: XFail | None = None
    title: str | None = None

    @functools.cached_property
    def plain(self) -> bool:
        """A sync test that needs no fixture and no condition at run time:
        the executor's fast path can run it."""
        if self.is_async or self.skip_ifs:
            return False
        code = getattr(self.func, "__code__", None)
        if code is not None and not hasattr(self.func, "__wrapped__"):
            # Shortcut for the common signatures, `()` and `(self)`.
            n = code.co_argcount + code.co_kwonlyargcount
            if n == 0 or (n == 1 and self.suite_cls is not None and code.co_varnames[0] == "self"):
                return True
        return not fixture_names(self.func, set(self.kwargs))

    def to_dict(self) -> dict[str, Any]:
        """The refined tree entry (the fields of ``dbtest_engine::tree::TestItem``)."""
        d: dict[str, Any] = {
            "id": self.id,
            "kind": "test",
            "style": self.style,
            "path": self.path,
            "name": self.name,
            "line": self.line,
            "tags": self.tags,
            "is_async": self.is_async,
        }
        for key in ("suite", "params", "timeout", "retries", "skip"):
            value = getattr(self, key)
            if value is not None:
                d[key] = value
        if self.xfail is not None:
            d["xfail"] = True
        return d


@dataclass
class LoadedModule:
    """A test module after import: its items and its module-level fixtures."""

    path: str
    module: ModuleType
    items: list[Item]
    fixtures: dict[str, FixtureDef]

    @functools.cached_property
    def by_id(self) -> dict[str, Item]:
        """The items by id, built once for every unit of the file."""
        return {item.id: item for item in self.items}


def _module_name(abspath: str) -> tuple[str, str]:
    """Dotted module name and the directory that must be on ``sys.path`` (pytest's rule)."""
    directory, filename = os.path.split(abspath)
    parts = [os.path.splitext(filename)[0]]
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
    marks = get_marks(func)
    # What every case of this test shares.
    common: dict[str, Any] = {
        "path": path,
        "style": style,
        "name": name,
        "func": func,
        "line": _line(func),
        "suite": suite,
        "suite_cls": suite_cls,
        "is_async": _is_async(func),
    }
    if marks is None and class_marks is None:
        # An undecorated test, the common case: one item, nothing to decide.
        tags = _merge_tags(extra_tags) if extra_tags else []
        return [Item(id=f"{prefix}::{name}", tags=tags, **common)]
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
    cases = expand(marks)
    if not cases:
        cases = [(None, {})]
        skip = skip or "parametrize: no cases"
    tags = _merge_tags(marks.tags if marks else None, extra_tags)
    xfail = (marks.xfail if marks and marks.xfail else None) or (
        class_marks.xfail if class_marks else None
    )
    return [
        Item(
            id=f"{prefix}::{name}" + (f"[{pid}]" if pid is not None else ""),
            params=pid,
            kwargs=kwargs,
            tags=list(tags),
            timeout=marks.timeout if marks else None,
            retries=marks.retries if marks else None,
            skip=skip,
            skip_ifs=deferred,
            xfail=xfail,
            title=marks.title if marks else None,
            **common,
        )
        for pid, kwargs in cases
    ]


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


def build_items(path: str, module: ModuleType) -> list[Item]:
    """Every runnable item of an imported module, in definition order."""
    items: list[Item] = []
    modname = module.__name__
    for attr, obj in list(vars(module).items()):
        if isinstance(obj, type):
            if getattr(obj, "__module__", None) != modname:
                continue  # imported classes belong to their own file
            if issubclass(obj, TestSuite) and obj is not TestSuite:
                cmarks = get_marks(obj)
                suite_tags = list(getattr(obj, "tags", []) or [])
                for name, func in _suite_members(obj):
                    items.extend(
                        _items_for(
                            path,
                            f"{path}::{attr}",
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
        elif inspect.isfunction(obj):
            if obj.__module__ != modname or get_fixture(obj) is not None:
                continue
            marks = get_marks(obj)
            if (marks is not None and marks.is_test) or attr.startswith("test_"):
                items.extend(_items_for(path, path, attr, obj, "function", None, None, None, None))
    return items


def _unittest_items(path: str, attr: str, cls: type) -> list[Item]:
    items = []
    try:
        import unittest

        names = unittest.TestLoader().getTestCaseNames(cls)
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
                id=f"{path}::{attr}::{name}",
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


def module_fixtures(module: ModuleType) -> dict[str, FixtureDef]:
    """Fixtures defined in or imported into the module, by the name they are visible under."""
    out: dict[str, FixtureDef] = {}
    for attr, obj in vars(module).items():
        fd = get_fixture(obj)
        if fd is not None:
            out.setdefault(fd.name, fd)
            out[attr] = fd if attr not in out else out[attr]
    return out


def load(root: str, path: str) -> LoadedModule:
    """Import and build; raises ``ImportFailure``."""
    module = import_file(root, path)
    return LoadedModule(path, module, build_items(path, module), module_fixtures(module))


def collect_file(root: str, path: str) -> list[dict[str, Any]]:
    """The runnable items of ``path`` (relative to ``root``) after import, as dicts.

    Dynamic tags, computed parametrize cases and inherited tests appear with
    their real ids. Raises ``ImportFailure`` (``.message``, ``.traceback``).
    """
    return [item.to_dict() for item in load(root, path).items]
