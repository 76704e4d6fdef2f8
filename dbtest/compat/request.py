"""``request``: what a fixture (or a test) is being set up for.

The subset of pytest's ``FixtureRequest`` that suites use: ``param``,
``node`` (``name``, ``nodeid``, ``get_closest_marker``, ``add_marker``),
``function``, ``cls``, ``instance``, ``module``, ``path``/``fspath``,
``fixturename``, ``scope``, ``config`` (``getoption``, ``getini``,
``rootpath``), ``addfinalizer``, ``getfixturevalue`` and ``applymarker``.
"""

from __future__ import annotations

import os
import sys
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from dbtest import ids as id_grammar
from dbtest.compat.config import config

if TYPE_CHECKING:
    # Imported where used: every worker imports this module at start-up and
    # pathlib (with urllib.parse) costs it ~4 ms; most runs never ask.
    from pathlib import Path


class Node:
    """The test a request is for, as pytest's item presents it."""

    def __init__(self, item: Any) -> None:
        self._item = item
        self.name = id_grammar.leaf(item.id) if item is not None else ""
        self.nodeid = item.id if item is not None else ""
        self.originalname = item.name if item is not None else ""
        self.own_markers: list[Any] = []

    @property
    def keywords(self) -> dict[str, Any]:
        marks = {m.name: m for m in self.iter_markers()}
        return {self.name: True, **marks}

    def iter_markers(self, name: str | None = None) -> list[Any]:
        item = self._item
        found = list(self.own_markers)
        if item is not None:
            for owner in (
                item.func,
                item.suite_cls,
                sys.modules.get(getattr(item.func, "__module__", "")),
            ):
                marks = getattr(getattr(owner, "__func__", owner), "pytestmark", None) or []
                found.extend(
                    getattr(m, "mark", m) for m in (marks if isinstance(marks, list) else [marks])
                )
        return [m for m in found if name is None or getattr(m, "name", None) == name]

    def get_closest_marker(self, name: str, default: Any = None) -> Any:
        marks = self.iter_markers(name)
        return marks[0] if marks else default

    def add_marker(self, marker: Any) -> None:
        mark = getattr(marker, "mark", None) or SimpleNamespace(
            name=str(marker), args=(), kwargs={}
        )
        self.own_markers.append(mark)


class FixtureRequest:
    """The ``request`` of one fixture's setup (``fixture`` None: the test's own)."""

    def __init__(
        self, resolver: Any, fixture: Any, param: Any, scope: str, *, has_param: bool
    ) -> None:
        self._resolver = resolver
        self._fixture = fixture
        self._param = param
        self._has_param = has_param
        self.scope = {"test": "function", "suite": "class"}.get(scope, scope)
        self._scope_name = scope
        item = resolver.item
        self.node = Node(item)
        self.fixturename = fixture.name if fixture is not None else None
        self.config = config()

    @property
    def param(self) -> Any:
        if not self._has_param:
            raise AttributeError("'FixtureRequest' object has no attribute 'param'")
        return self._param

    @property
    def function(self) -> Any:
        item = self._resolver.item
        return getattr(item, "func", None)

    @property
    def cls(self) -> type | None:
        item = self._resolver.item
        return getattr(item, "suite_cls", None)

    @property
    def instance(self) -> Any:
        return getattr(self._resolver, "instance", None)

    @property
    def module(self) -> Any:
        func = self.function
        return sys.modules.get(getattr(func, "__module__", "")) if func is not None else None

    @property
    def path(self) -> Path:
        from pathlib import Path

        module = self.module
        file = getattr(module, "__file__", None)
        return Path(file) if file else Path(os.getcwd())

    @property
    def fspath(self) -> Any:
        return self.path

    def addfinalizer(self, finalizer: Any) -> None:
        scope = self._resolver.scopes[self._scope_name]

        async def fin() -> None:
            await self._resolver.run_sync(finalizer)

        scope.finalizers.append((self.fixturename or "request.addfinalizer", fin))

    def getfixturevalue(self, name: str) -> Any:
        """Set up (or take) the fixture ``name`` now, from sync code."""
        import asyncio

        coro = self._resolver.get(name, [self.fixturename or self.node.name], None)
        try:
            loop = asyncio.get_event_loop_policy().get_event_loop()
        except RuntimeError:
            loop = None
        if loop is not None and loop.is_running():
            raise RuntimeError("request.getfixturevalue cannot run inside the event loop")
        runner = getattr(self._resolver, "run_nested", None)
        if runner is None:
            coro.close()
            raise RuntimeError("request.getfixturevalue is not available here")
        return runner(coro)

    def applymarker(self, marker: Any) -> None:
        self.node.add_marker(marker)
