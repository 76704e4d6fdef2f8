"""Fixture scopes and resolution: caching, locking, teardown order, cycles."""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from dbtest.api.fixtures import FixtureDef
from dbtest.compat.request import FixtureRequest
from dbtest.execution import capture, watch

_NO_VALUE = object()
_RANK = {"test": 0, "suite": 1, "module": 2, "package": 3, "session": 4}


class FixtureError(Exception):
    """A fixture is missing, part of a cycle, or needs a narrower scope."""


# Cache keys: `fd`, `(fd, index)`, `(fd, "indirect", params)` for a value
# of its own param, and `(that, ((name, index), ...))` for a value made from
# parametrized fixtures it needs.
def _fd_of(key: Any) -> Any:
    while isinstance(key, tuple):
        key = key[0]
    return key


def _reached_of(key: Any) -> tuple[tuple[str, int], ...]:
    if isinstance(key, tuple) and len(key) == 2 and isinstance(key[1], tuple):
        return key[1]
    return ()


def _uses_other(key: Any, own: tuple[str, int] | None) -> bool:
    """Whether the value under ``key`` was made from another param of the
    fixture switching to ``own``."""
    if own is None:
        return False
    return any(n == own[0] and i != own[1] for n, i in _reached_of(key))


class FixtureScope:
    """Cached values of one scope instance and their finalizers (run in reverse)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.values: dict[FixtureDef, Any] = {}
        self.locks: dict[FixtureDef, asyncio.Lock] = {}
        # Wider fixtures that hung: the scope's other users fail at once.
        self.hung: dict[FixtureDef, watch.PhaseTimeout] = {}
        self.finalizers: list[tuple[str, Callable[[], Awaitable[None]]]] = []
        # The finalizers each parametrized value's setup added (see `drop`).
        self.owned: dict[Any, list[Callable[[], Awaitable[None]]]] = {}

    async def drop(self, keys: set[Any]) -> list[tuple[str, BaseException]]:
        """Tear down the values under ``keys`` alone (newest first): a
        parametrized fixture moving to its next param, as pytest does it."""
        owned = {id(f) for k in keys for f in self.owned.pop(k, ())}
        errors = []
        for entry in reversed([e for e in self.finalizers if id(e[1]) in owned]):
            self.finalizers.remove(entry)
            try:
                await watch.phase(
                    f"teardown fixture {entry[0]} ({self.name})",
                    entry[1],
                    sync=not getattr(entry[1], "is_async", False),
                )
            except BaseException as e:  # noqa: BLE001 - reported, never raised
                errors.append((entry[0], e))
        for k in keys:
            self.values.pop(k, None)
        return errors

    async def close(self, down_to: int = 0) -> list[tuple[str, BaseException]]:
        """Run finalizers newest first, leaving the oldest ``down_to``; returns
        ``(fixture name, error)`` for each that failed."""
        errors = []
        while len(self.finalizers) > down_to:
            name, fin = self.finalizers.pop()
            try:
                if self.name == "test":
                    await fin()
                else:  # wider than a test: a phase of its own (see watch)
                    sync = not getattr(fin, "is_async", False)
                    await watch.phase(f"teardown fixture {name} ({self.name})", fin, sync=sync)
            except BaseException as e:  # noqa: BLE001 - reported, never raised
                errors.append((name, e))
        if down_to == 0:
            self.values.clear()
            self.hung.clear()
            self.owned.clear()
        return errors


# `lookup(name, after)`: the definition of `name` visible here, or with
# `after`, the next one out (a fixture overriding another of its name and
# asking for it), with the callable to call; None when there is none.
Lookup = Callable[[str, "FixtureDef | None"], "tuple[FixtureDef, Callable[..., Any]] | None"]
SyncRunner = Callable[[Callable[[], Any]], Awaitable[Any]]


@functools.lru_cache(maxsize=8192)
def _required_params(func: Callable[..., Any]) -> tuple[str, ...]:
    """Names of the parameters without defaults; cached because
    `inspect.signature` costs ~30 µs and runs for every test and hook."""
    code = getattr(func, "__code__", None)
    if inspect.isfunction(func) and code is not None and not hasattr(func, "__wrapped__"):
        # A plain function: read its code object (~1 µs). Positional-only
        # parameters cannot be passed by name, so they are never fixtures.
        n_pos, n_kw = code.co_argcount, code.co_kwonlyargcount
        names = code.co_varnames[: n_pos + n_kw]
        n_required = n_pos - len(func.__defaults__ or ())
        kw_defaults = func.__kwdefaults__ or {}
        positional = names[code.co_posonlyargcount : max(n_required, code.co_posonlyargcount)]
        keyword = tuple(n for n in names[n_pos:] if n not in kw_defaults)
        return positional + keyword
    sig = inspect.signature(func)
    return tuple(
        p.name
        for p in sig.parameters.values()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.default is p.empty
    )


def fixture_names(func: Callable[..., Any], exclude: set[str]) -> list[str]:
    """Parameters of ``func`` that must be filled by fixtures."""
    # Bound methods are new objects on every access: cache their function,
    # and drop the parameter the binding fills.
    bound = inspect.ismethod(func)
    target = func.__func__ if bound else func
    try:
        names = _required_params(target)
    except (TypeError, ValueError):
        return []
    if bound and names and names[0] not in ("self", "cls"):
        names = names[1:]
    return [n for n in names if n not in exclude and n not in ("self", "cls")]


class Resolver:
    """Resolves fixtures for one test attempt (or one hook call).

    ``item`` is the test they are for (None for a suite hook): it says
    which value of a parametrized fixture this test gets, and what
    ``request`` describes.
    """

    def __init__(
        self,
        lookup: Lookup,
        scopes: dict[str, FixtureScope],
        run_sync: SyncRunner,
        in_suite: Callable[[FixtureDef], bool],
        item: Any = None,
        searched: Callable[[], list[str]] | None = None,
    ) -> None:
        self.lookup = lookup
        self.scopes = scopes
        self.run_sync = run_sync
        self.in_suite = in_suite
        self.item = item
        self.searched = searched
        # The instance the test is bound to (for `request.instance`).
        self.instance: Any = None

    def run_nested(self, coro: Any) -> Any:
        """Drive a resolution to its end from sync code (``getfixturevalue``):
        it may not wait for anything, as the loop is busy running that code."""
        try:
            while True:
                coro.send(None)
                coro.close()
                raise FixtureError(
                    "request.getfixturevalue: the fixture must be set up without waiting "
                    "(an async fixture cannot be set up from sync code)"
                )
        except StopIteration as done:
            return done.value

    def _scope_of(self, fd: FixtureDef) -> str:
        # Fixtures defined on a suite class are bound to its instance: at most suite-wide.
        if self.in_suite(fd) and _RANK[fd.scope] > _RANK["suite"]:
            return "suite"
        return fd.scope

    async def resolve(self, names: list[str], requester: str) -> dict[str, Any]:
        return {n: await self.get(n, [requester], None) for n in names}

    def _not_found(self, name: str, requester: str) -> FixtureError:
        import difflib

        known = self.searched() if self.searched is not None else []
        close = difflib.get_close_matches(name, [k for k in known if not k.startswith("/")], n=3)
        where = [k for k in known if k.startswith("/")]
        text = f"fixture {name!r} not found (needed by {requester})"
        if close:
            text += f"; close matches: {', '.join(close)}"
        if where:
            text += (
                f"; looked in the test module, {', '.join(w[1:] for w in where)} and the built-ins"
            )
        else:
            text += (
                "; define it with @fixture (or @pytest.fixture) in the test module or a "
                "conftest.py, import it there, or define it on the suite"
            )
        return FixtureError(text)

    async def get(
        self,
        name: str,
        stack: list[str],
        needed_by_scope: str | None,
        after: FixtureDef | None = None,
    ) -> Any:
        found = self.lookup(name, after)
        if found is None:
            if name == "request":
                return self._request(None, None, "test", has_param=False)
            if after is not None:
                raise FixtureError(
                    f"fixture {name!r} overrides one of its name, and there is none above it"
                )
            raise self._not_found(name, stack[-1])
        fd, bound = found
        if name in stack[1:] and after is None:
            raise FixtureError("fixture cycle: " + " -> ".join([*stack[1:], name]))
        scope_name = self._scope_of(fd)
        if needed_by_scope is not None and _RANK[scope_name] < _RANK[needed_by_scope]:
            raise FixtureError(
                f"fixture {stack[-1]!r} ({needed_by_scope} scope) cannot use {name!r} "
                f"({scope_name} scope): a fixture may only use fixtures of the same or a wider scope"
            )
        scope = self.scopes[scope_name]
        has_param, param, key = self._param(fd)
        # A wider value that depends on a parametrized fixture is one value
        # per param of it, as the parametrized one itself is.
        reached = self._params_reached(fd) if scope_name != "test" else ()
        if reached:
            key = (key, reached)
        if key in scope.values:
            return scope.values[key]
        lock = scope.locks.setdefault(key, asyncio.Lock())
        async with lock:
            if key in scope.values:
                return scope.values[key]
            if key in scope.hung:
                raise scope.hung[key]
            kwargs = {}
            for p in fd.needs:
                if p == "request":
                    kwargs[p] = self._request(fd, param, scope_name, has_param=has_param)
                elif p == name:  # overrides the one of its name further out
                    kwargs[p] = await self.get(p, [*stack, name], scope_name, after=fd)
                else:
                    kwargs[p] = await self.get(p, [*stack, name], scope_name)
            switching = scope_name != "test" and (has_param or reached)
            if switching:
                await self._switch(fd, key)
            token = capture.current.set(None) if scope_name != "test" else None
            n_before = len(scope.finalizers)
            try:
                if scope_name == "test":
                    value = await self._create(name, bound, kwargs, scope)
                else:  # wider than a test: a phase of its own (see watch)
                    raw = getattr(bound, "__func__", bound)
                    is_async = inspect.iscoroutinefunction(raw) or inspect.isasyncgenfunction(raw)
                    try:
                        value = await watch.phase(
                            f"fixture {name} ({scope_name})",
                            lambda: self._create(name, bound, kwargs, scope),
                            sync=not is_async,
                        )
                    except watch.PhaseTimeout as e:
                        scope.hung[key] = e
                        raise
            finally:
                if token is not None:
                    capture.current.reset(token)
            scope.values[key] = value
            if switching:
                scope.owned[key] = [f for _, f in scope.finalizers[n_before:]]
            return value

    def _params_reached(self, fd: FixtureDef) -> tuple[tuple[str, int], ...]:
        """``(name, param index)`` of the parametrized fixtures ``fd`` needs,
        directly or through others, for this test: its value depends on them."""
        params = getattr(self.item, "fixture_params", None)
        if not params or not fd.needs:
            return ()
        out: set[tuple[str, int]] = set()
        seen = {fd.name}
        todo = list(fd.needs)
        while todo:
            n = todo.pop()
            if n in seen or n == "request":
                continue
            seen.add(n)
            found = self.lookup(n, None)
            if found is None:
                continue
            dep = found[0]
            if dep.params is not None and n in params:
                out.add((n, params[n]))
            todo.extend(dep.needs)
        return tuple(sorted(out))

    async def _switch(self, fd: FixtureDef, key: Any) -> None:
        """Before a parametrized wider value is set up: tear down the value
        of its other params, and every wider value made from them, so that
        one param at a time is live (pytest's rule; a fixture that switches
        global state or holds a port relies on it)."""
        own = self._own_param(fd)
        for scope_name in ("suite", "module", "package", "session"):
            scope = self.scopes.get(scope_name)
            if scope is None or not scope.values:
                continue
            stale = {
                k for k in scope.values if k != key and (_fd_of(k) is fd or _uses_other(k, own))
            }
            if stale:
                errors = await scope.drop(stale)
                if errors:
                    name, e = errors[0]
                    raise FixtureError(f"teardown of fixture {name!r} failed: {e}") from e

    def _own_param(self, fd: FixtureDef) -> tuple[str, int] | None:
        """(name, index) of the param of ``fd.params`` this item runs with,
        if it runs with one (an indirect value is not one of them)."""
        item = self.item
        if item is None or fd.params is None or fd.name in getattr(item, "indirect", {}):
            return None
        index = getattr(item, "fixture_params", {}).get(fd.name)
        return None if index is None else (fd.name, index)

    def _param(self, fd: FixtureDef) -> tuple[bool, Any, Any]:
        """(has a param, the param, the cache key): a parametrized fixture
        keeps one value per param in its scope."""
        item = self.item
        if item is not None and fd.name in getattr(item, "indirect", {}):
            value = item.indirect[fd.name]
            return True, value, (fd, "indirect", item.params)
        if fd.params is not None and item is not None:
            index = getattr(item, "fixture_params", {}).get(fd.name)
            if index is not None:
                return True, fd.params[index], (fd, index)
        return False, None, fd

    def _request(
        self, fd: FixtureDef | None, param: Any, scope_name: str, *, has_param: bool
    ) -> Any:
        return FixtureRequest(self, fd, param, scope_name, has_param=has_param)

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

            fin.is_async = True  # type: ignore[attr-defined]
            scope.finalizers.append((name, fin))
            return value
        if inspect.isgeneratorfunction(raw):
            gen = func(**kwargs)  # runs none of its code: no run_sync needed
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
