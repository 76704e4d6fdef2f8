"""Fixture scopes and resolution: caching, locking, teardown order, cycles."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from dbtest.api.fixtures import FixtureDef
from dbtest.execution import capture

_NO_VALUE = object()
_RANK = {"test": 0, "suite": 1, "module": 2, "session": 3}


class FixtureError(Exception):
    """A fixture is missing, part of a cycle, or needs a narrower scope."""


class FixtureScope:
    """Cached values of one scope instance and their finalizers (run in reverse)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.values: dict[FixtureDef, Any] = {}
        self.locks: dict[FixtureDef, asyncio.Lock] = {}
        self.finalizers: list[tuple[str, Callable[[], Awaitable[None]]]] = []

    async def close(self, down_to: int = 0) -> list[tuple[str, BaseException]]:
        """Run finalizers newest first, leaving the oldest ``down_to``; returns
        ``(fixture name, error)`` for each that failed."""
        errors = []
        while len(self.finalizers) > down_to:
            name, fin = self.finalizers.pop()
            try:
                await fin()
            except BaseException as e:  # noqa: BLE001 - reported, never raised
                errors.append((name, e))
        if down_to == 0:
            self.values.clear()
        return errors


Lookup = Callable[[str], "tuple[FixtureDef, Callable[..., Any]] | None"]
SyncRunner = Callable[[Callable[[], Any]], Awaitable[Any]]


def fixture_names(func: Callable[..., Any], exclude: set[str]) -> list[str]:
    """Parameters of ``func`` that must be filled by fixtures."""
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return []
    return [
        p.name
        for p in sig.parameters.values()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        and p.default is p.empty
        and p.name not in exclude
        and p.name != "self"
    ]


class Resolver:
    """Resolves fixtures for one test attempt (or one hook call)."""

    def __init__(
        self,
        lookup: Lookup,
        scopes: dict[str, FixtureScope],
        run_sync: SyncRunner,
        in_suite: Callable[[FixtureDef], bool],
    ) -> None:
        self.lookup = lookup
        self.scopes = scopes
        self.run_sync = run_sync
        self.in_suite = in_suite

    def _scope_of(self, fd: FixtureDef) -> str:
        # Fixtures defined on a suite class are bound to its instance: at most suite-wide.
        if self.in_suite(fd) and _RANK[fd.scope] > _RANK["suite"]:
            return "suite"
        return fd.scope

    async def resolve(self, names: list[str], requester: str) -> dict[str, Any]:
        return {n: await self.get(n, [requester], None) for n in names}

    async def get(self, name: str, stack: list[str], needed_by_scope: str | None) -> Any:
        found = self.lookup(name)
        if found is None:
            raise FixtureError(
                f"fixture {name!r} not found (needed by {stack[-1]}); define it with @fixture "
                "in the test module, import it there, or define it on the suite"
            )
        fd, bound = found
        if name in stack[1:]:
            raise FixtureError("fixture cycle: " + " -> ".join([*stack[1:], name]))
        scope_name = self._scope_of(fd)
        if needed_by_scope is not None and _RANK[scope_name] < _RANK[needed_by_scope]:
            raise FixtureError(
                f"fixture {stack[-1]!r} ({needed_by_scope} scope) cannot use {name!r} "
                f"({scope_name} scope): a fixture may only use fixtures of the same or a wider scope"
            )
        scope = self.scopes[scope_name]
        if fd in scope.values:
            return scope.values[fd]
        lock = scope.locks.setdefault(fd, asyncio.Lock())
        async with lock:
            if fd in scope.values:
                return scope.values[fd]
            kwargs = {p: await self.get(p, [*stack, name], scope_name) for p in fd.params}
            token = capture.current.set(None) if scope_name != "test" else None
            try:
                value = await self._create(name, bound, kwargs, scope)
            finally:
                if token is not None:
                    capture.current.reset(token)
            scope.values[fd] = value
            return value

    async def _create(
        self, name: str, func: Callable[..., Any], kwargs: dict[str, Any], scope: FixtureScope
    ) -> Any:
        raw = getattr(func, "__func__", func)
        if inspect.isasyncgenfunction(raw):
            agen = func(**kwargs)
            try:
                value = await agen.__anext__()
            except StopAsyncIteration:
                raise FixtureError(f"fixture {name!r} did not yield a value") from None

            async def fin() -> None:
                try:
                    await agen.__anext__()
                except StopAsyncIteration:
                    return
                raise FixtureError(f"fixture {name!r} yielded more than once")

            scope.finalizers.append((name, fin))
            return value
        if inspect.isgeneratorfunction(raw):
            gen = await self.run_sync(lambda: func(**kwargs))
            value = await self.run_sync(lambda: next(gen, _NO_VALUE))
            if value is _NO_VALUE:
                raise FixtureError(f"fixture {name!r} did not yield a value")

            async def sfin() -> None:
                def step() -> None:
                    try:
                        next(gen)
                    except StopIteration:
                        return
                    raise FixtureError(f"fixture {name!r} yielded more than once")

                await self.run_sync(step)

            scope.finalizers.append((name, sfin))
            return value
        if inspect.iscoroutinefunction(raw):
            return await func(**kwargs)
        value = await self.run_sync(lambda: func(**kwargs))
        if inspect.isawaitable(value):
            value = await value
        return value
