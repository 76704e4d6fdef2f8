"""Which fixtures a test sees: one table per test module, nearest first.

The layers, searched in order: the test's class (dbtest's or pytest's
fixtures defined on it), the test module (defined or imported there), the
``conftest.py`` files from the test's directory up to the root, then the
built-ins (``dbtest/compat/builtins.py``). A fixture that asks for a fixture
of its own name gets the next one out, as in pytest. The table also says
which fixtures apply to every test (``autouse``), and which parametrized
fixtures a test reaches (they multiply it).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from dbtest.api.fixtures import FixtureDef, get_fixture
from dbtest.compat.conftest import Conftest

_RANK = {"session": 0, "package": 1, "module": 2, "suite": 3, "test": 4}


def class_fixtures(cls: type | None) -> dict[str, FixtureDef]:
    """Fixtures defined on a class and its bases (nearest definition wins)."""
    out: dict[str, FixtureDef] = {}
    if cls is None:
        return out
    for klass in reversed(cls.__mro__):
        for value in vars(klass).values():
            fd = get_fixture(value)
            if fd is not None:
                out[fd.name] = fd
    return out


class FixtureTable:
    """The fixtures visible from one test module."""

    def __init__(
        self,
        module: dict[str, FixtureDef],
        conftests: list[Conftest],
        builtins: Callable[[], dict[str, FixtureDef]],
    ) -> None:
        self.module = module
        # Nearest first.
        self.conftests = list(reversed(conftests))
        # Loaded when first looked in: a suite that asks for no built-in
        # never imports them (tempfile, logging: ~10 ms of a worker's start).
        self._builtins = builtins
        self._autouse: dict[type | None, list[str]] = {}
        self._multiplies: dict[type | None, bool] = {}

    @functools.cached_property
    def builtins(self) -> dict[str, FixtureDef]:
        return self._builtins()

    def layers(self, cls: type | None, builtins: bool = True) -> list[dict[str, FixtureDef]]:
        out = [class_fixtures(cls)] if cls is not None else []
        out.append(self.module)
        out.extend(c.fixtures for c in self.conftests)
        if builtins:
            out.append(self.builtins)
        return out

    def find(
        self, name: str, cls: type | None, after: FixtureDef | None = None
    ) -> FixtureDef | None:
        """The nearest definition of ``name`` (past ``after`` if given)."""
        passed = after is None
        for layer in self.layers(cls):
            fd = layer.get(name)
            if fd is None:
                continue
            if passed:
                return fd
            if fd is after:
                passed = True
        return None

    def searched(self) -> list[str]:
        """Every fixture name visible, and (prefixed with `/`) the conftest
        files looked in: for the message of a fixture not found."""
        names: set[str] = set()
        for layer in self.layers(None):
            names.update(layer)
        return sorted(names) + [f"/{c.path}" for c in reversed(self.conftests)]

    def autouse(self, cls: type | None) -> list[str]:
        """The autouse fixtures a test of ``cls`` (or of the module) gets:
        wider scopes first, then the outermost definitions first."""
        if cls not in self._autouse:
            seen: dict[str, FixtureDef] = {}
            for layer in reversed(self.layers(cls)):
                for name, fd in layer.items():
                    if fd.autouse and name == fd.name:
                        seen.pop(name, None)
                        seen[name] = fd
            # A nearer definition of the same name that is not autouse wins.
            names = [n for n, fd in seen.items() if self.find(n, cls) is fd]
            order = {n: i for i, n in enumerate(names)}
            names.sort(key=lambda n: (_RANK.get(seen[n].scope, 4), order[n]))
            self._autouse[cls] = names
        return self._autouse[cls]

    def multiplies(self, cls: type | None) -> bool:
        """Whether any fixture a test of ``cls`` sees is autouse or has
        params: when none is (dbtest's own suites, most files), a test's
        fixtures need not be walked at collection."""
        if cls not in self._multiplies:
            # The built-ins are neither autouse nor parametrized.
            self._multiplies[cls] = any(
                fd.autouse or fd.params is not None
                for layer in self.layers(cls, builtins=False)
                for fd in layer.values()
            )
        return self._multiplies[cls]

    def parametrized(self, names: list[str], cls: type | None) -> list[FixtureDef]:
        """The parametrized fixtures that ``names`` reach, through the
        fixtures they ask for, in the order they are first reached."""
        out: list[FixtureDef] = []
        seen: set[int] = set()
        todo: list[tuple[str, FixtureDef | None]] = [(n, None) for n in names]
        while todo:
            name, after = todo.pop(0)
            fd = self.find(name, cls, after)
            if fd is None or id(fd) in seen:
                continue
            seen.add(id(fd))
            if fd.params is not None:
                out.append(fd)
            todo.extend((p, fd if p == name else None) for p in fd.needs if p != "request")
        return out
