"""``monkeypatch``: changes a test makes to the world, undone after it."""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Iterator, MutableMapping
from typing import Any

_NOTSET = object()


def _unset(old: Any) -> bool:
    """Whether ``old`` means "was not set": our marker, or pytest's own
    ``notset`` (an entry a suite added to the lists itself, from
    ``_pytest.monkeypatch``)."""
    return old is _NOTSET or type(old).__name__ in ("Notset", "NotSetType")


def _resolve(target: str) -> tuple[Any, str]:
    """``"pkg.mod.attr"`` -> (the object holding ``attr``, ``"attr"``)."""
    module_name, _, attr = target.rpartition(".")
    if not module_name:
        raise TypeError(f"must be absolute import path string, not {target!r}")
    parts = module_name.split(".")
    obj: Any = None
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for name in parts[i:]:
            obj = getattr(obj, name)
        break
    if obj is None:
        raise ImportError(f"cannot import {module_name!r} for monkeypatch")
    return obj, attr


class MonkeyPatch:
    """pytest's ``MonkeyPatch``: ``setattr``, ``delattr``, ``setitem``,
    ``delitem``, ``setenv``, ``delenv``, ``syspath_prepend``, ``chdir``,
    ``context()`` and ``undo()``."""

    def __init__(self) -> None:
        self._attrs: list[tuple[Any, str, Any]] = []
        # Named as pytest names them: suites extend these lists directly
        # (flask's conftest adds to `_setitem`).
        self._setattr = self._attrs
        self._setitem: list[tuple[MutableMapping[Any, Any], Any, Any]] = []
        self._cwd: str | None = None
        self._syspath: list[str] | None = None

    @classmethod
    @contextlib.contextmanager
    def context(cls) -> Iterator[MonkeyPatch]:
        mp = cls()
        try:
            yield mp
        finally:
            mp.undo()

    def setattr(self, target: Any, name: Any, value: Any = _NOTSET, raising: bool = True) -> None:
        if value is _NOTSET:
            if not isinstance(target, str):
                raise TypeError("use setattr(target, name, value) or setattr('mod.attr', value)")
            value = name
            target, name = _resolve(target)
        old = getattr(target, name, _NOTSET)
        if raising and old is _NOTSET:
            raise AttributeError(f"{target!r} has no attribute {name!r}")
        # A class's own attribute, not an inherited one, is what undo restores.
        if isinstance(target, type):
            old = target.__dict__.get(name, _NOTSET)
        self._attrs.append((target, name, old))
        setattr(target, name, value)

    def delattr(self, target: Any, name: Any = _NOTSET, raising: bool = True) -> None:
        if name is _NOTSET:
            target, name = _resolve(target)
        if not hasattr(target, name):
            if raising:
                raise AttributeError(name)
            return
        old = (
            target.__dict__.get(name, _NOTSET)
            if isinstance(target, type)
            else getattr(target, name)
        )
        self._attrs.append((target, name, old))
        delattr(target, name)

    def setitem(self, dic: MutableMapping[Any, Any], name: Any, value: Any) -> None:
        self._setitem.append((dic, name, dic.get(name, _NOTSET)))
        dic[name] = value

    def delitem(self, dic: MutableMapping[Any, Any], name: Any, raising: bool = True) -> None:
        if name not in dic:
            if raising:
                raise KeyError(name)
            return
        self._setitem.append((dic, name, dic[name]))
        del dic[name]

    def setenv(self, name: str, value: Any, prepend: str | None = None) -> None:
        value = str(value)
        if prepend and name in os.environ:
            value = value + prepend + os.environ[name]
        self.setitem(os.environ, name, value)

    def delenv(self, name: str, raising: bool = True) -> None:
        self.delitem(os.environ, name, raising=raising)

    def syspath_prepend(self, path: Any) -> None:
        if self._syspath is None:
            self._syspath = list(sys.path)
        sys.path.insert(0, str(path))
        importlib.invalidate_caches()

    def chdir(self, path: Any) -> None:
        if self._cwd is None:
            self._cwd = os.getcwd()
        os.chdir(path)

    def undo(self) -> None:
        for target, name, old in reversed(self._attrs):
            if _unset(old):
                try:
                    delattr(target, name)
                except AttributeError:
                    pass
            else:
                setattr(target, name, old)
        self._attrs.clear()
        for dic, name, old in reversed(self._setitem):
            if _unset(old):
                dic.pop(name, None)
            else:
                dic[name] = old
        self._setitem.clear()
        if self._syspath is not None:
            sys.path[:] = self._syspath
            self._syspath = None
        if self._cwd is not None:
            os.chdir(self._cwd)
            self._cwd = None
