"""One run of a suite (a TestSuite, a pytest-style class, or a file's
module-level functions) within a unit, and one attempt of a test."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dbtest import ids as id_grammar
from dbtest.api.fixtures import FixtureDef, get_fixture
from dbtest.api.suite import TestSuite
from dbtest.execution import capture as cap_mod
from dbtest.execution import xunit
from dbtest.execution.fixtures import FixtureScope, Resolver

if TYPE_CHECKING:
    from dbtest.execution.collect import LoadedModule
    from dbtest.execution.host import Host


@dataclass
class Attempt:
    """The result of one attempt of one test."""

    outcome: str
    start: float
    duration: float
    message: str | None = None
    traceback: str | None = None
    capture: cap_mod.TestCapture | None = None
    strict: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class SuiteRun:
    """One run of a suite (or of a file's module-level functions) within a unit."""

    def __init__(self, host: Host, loaded: LoadedModule, suite_cls: type | None) -> None:
        self.host = host
        self.loaded = loaded
        self.suite_cls = suite_cls
        self.instance: Any = None
        self.scope = FixtureScope("suite")
        self.started = False
        self.setup_lock = asyncio.Lock()
        self.setup_error: tuple[str, str] | None = None
        self.setup_done = False
        self.class_fixtures: dict[str, tuple[FixtureDef, str]] = {}
        if suite_cls is not None:
            for klass in reversed(suite_cls.__mro__):
                for attr, value in klass.__dict__.items():
                    fd = get_fixture(value)
                    if fd is not None:
                        self.class_fixtures[fd.name] = (fd, attr)
                        self.class_fixtures[attr] = (fd, attr)
        self._suite_fds = {fd for fd, _ in self.class_fixtures.values()}
        self._fixture_owner: Any = None
        # A pytest-style class (not a TestSuite): a fresh instance per test.
        self.fresh_instance = suite_cls is not None and not issubclass(suite_cls, TestSuite)
        # Without per-test hooks, a sync test that needs no fixtures can take
        # the executor's fast path (see `Executor._attempt_plain`).
        if suite_cls is None or self.fresh_instance:
            self.plain_hooks = not xunit.has_per_test_hooks(suite_cls, loaded.module)
        else:
            self.plain_hooks = (
                getattr(suite_cls, "setup", None) is TestSuite.setup
                and getattr(suite_cls, "teardown", None) is TestSuite.teardown
            )

    def test_instance(self) -> Any:
        """What a test method is bound to: the suite's one instance, a fresh
        one for a pytest-style class, None for a module-level function."""
        if self.fresh_instance:
            assert self.suite_cls is not None
            return self.suite_cls()
        return self.instance

    def per_test_hooks(self, instance: Any, func: Any) -> tuple[Any, Any]:
        """(setup, teardown) around one test: a suite's `setup`/`teardown`,
        or pytest's xunit `setup_method`/`setup_function` and teardowns."""
        if self.suite_cls is not None and not self.fresh_instance:
            return instance.setup, instance.teardown
        owner, arg = (instance, func) if instance is not None else (self.loaded.module, func)
        kind = "method" if instance is not None else "function"
        return xunit.hook(owner, f"setup_{kind}", arg), xunit.hook(owner, f"teardown_{kind}", arg)

    @property
    def scope_id(self) -> str:
        if self.suite_cls is None:
            return self.loaded.path
        return id_grammar.child(self.loaded.path, self.suite_cls.__name__)

    def lookup(
        self, name: str, after: FixtureDef | None = None
    ) -> tuple[FixtureDef, Callable[..., Any]] | None:
        """The fixture ``name`` as a test of this run sees it (see
        fixture_table), with what to call: a class's fixture is bound to the
        suite's instance (for a pytest-style class, to one kept for its
        fixtures)."""
        fd = self.loaded.table.find(name, self.suite_cls, after)
        if fd is None:
            return None
        if fd in self._suite_fds:
            owner = self.instance
            if owner is None and self.suite_cls is not None:
                if self._fixture_owner is None:
                    self._fixture_owner = self.suite_cls()
                owner = self._fixture_owner
            if owner is not None:
                return fd, fd.func.__get__(owner)
        return fd, fd.func

    def resolver(self, test_scope: FixtureScope, item: Any = None) -> Resolver:
        ex = self.host
        scopes = {
            "test": test_scope,
            "suite": self.scope,
            "module": ex.module_scope(self.loaded.path),
            "package": ex.module_scope("package:" + os.path.dirname(self.loaded.path)),
            "session": ex.session_scope,
        }
        return Resolver(
            self.lookup,
            scopes,
            ex.run_sync,
            lambda fd: fd in self._suite_fds,
            item=item,
            searched=self.loaded.table.searched,
        )
