"""The in-process executor: runs the tests of one ``run`` request and emits events.

Shared by the worker process (``dbtest/worker.py``) and ``run_in_process``.
One event loop for the process; async tests are awaited on it, sync tests and
sync hooks/fixtures are called on the loop thread under one lock.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import time
from collections.abc import Callable
from typing import Any

from dbtest.api.suite import TestSuite
from dbtest.compat import settings
from dbtest.compat.conftest import Conftest, chain_paths, fixtures_of
from dbtest.execution import capture as cap_mod
from dbtest.execution import names, order, watch, workdir, xunit
from dbtest.execution import outcome as oc
from dbtest.execution.collect import LoadedModule, import_file, load
from dbtest.execution.fixtures import FixtureError, FixtureScope, fixture_names
from dbtest.execution.host import Emit, UnittestModules
from dbtest.execution.introspect import explain_exception
from dbtest.execution.item import ImportFailure, Item
from dbtest.execution.leaks import MIN_DURATION, Leaks
from dbtest.execution.outside_loop import outside_loop
from dbtest.execution.records import make_record
from dbtest.execution.select import select
from dbtest.execution.stacks import cancel_with_stack
from dbtest.execution.suite_run import Attempt, SuiteRun
from dbtest.execution.traceback import format_exception

# The static parse lists tests under `if`/`try` blocks it cannot evaluate.
NOT_DEFINED = "not defined at import: it is under an if/try/with block that did not define it"


class Executor:
    """Runs ``run`` requests; see docs/architecture.md for the protocol it emits."""

    def __init__(
        self,
        root: str,
        *,
        capture: bool = True,
        live_output: Callable[[str, str, str], None] | None = None,
        max_output_bytes: int = 1 << 20,
    ) -> None:
        self.root = os.path.abspath(root)
        self.capture = capture
        self.live_output = live_output
        self.max_output_bytes = max_output_bytes
        self._modules: dict[str, LoadedModule | ImportFailure] = {}
        self._import_lock: asyncio.Lock | None = None
        self._sync_lock_obj: asyncio.Lock | None = None
        self.session_scope = FixtureScope("session")
        self._module_scopes: dict[str, FixtureScope] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self.generation = 0
        self._open_suites: list[tuple[SuiteRun, Emit]] = []
        self.unittest = UnittestModules()
        self._module_hooks = xunit.ModuleHooks()
        self._closed = False
        self._in_sync = False
        # Imported conftest.py files, by path relative to the root.
        self._conftests: dict[str, Conftest] = {}
        # The run's `setup-timeout`, as the last request gave it (for close()).
        self.setup_timeout: float | None = None
        # `--shuffle`'s seed (the run's, the same in every request).
        self.seed: int | None = None
        # pytest's name rules (the run's, the same in every request).
        self.names = names.of(None)
        self.leaks = Leaks()
        # Called between two tests run one after another: the worker reads a
        # `cancel` there that the loop would only see after the unit.
        self.poll: Callable[[], None] | None = None
        if capture:
            cap_mod.install()

    # -- plumbing --------------------------------------------------------------
    @property
    def sync_lock(self) -> asyncio.Lock:
        if self._sync_lock_obj is None:
            self._sync_lock_obj = asyncio.Lock()
        return self._sync_lock_obj

    async def run_sync(self, fn: Callable[[], Any]) -> Any:
        """Call sync user code on the loop thread, never concurrently with other
        sync code, and with no loop marked as running (see outside_loop).

        Sync code that asks for more of it (``request.getfixturevalue`` in a
        sync fixture) is already inside: then it is called directly. The lock
        is only ever held across an await by sync code that runs in a thread
        (an ``IsolatedAsyncioTestCase``); a call made here cannot be
        interleaved with anything, so it takes the lock only to wait for such
        a thread."""
        if self._in_sync:
            return fn()
        lock = self._sync_lock_obj
        if lock is not None and lock.locked():
            async with lock:
                return self._sync_call(fn)
        return self._sync_call(fn)

    def _sync_call(self, fn: Callable[[], Any]) -> Any:
        self._in_sync = True
        try:
            return outside_loop(fn)
        finally:
            self._in_sync = False

    async def _call(self, func: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        """Call a sync or async hook/test with keyword arguments."""
        if inspect.iscoroutinefunction(getattr(func, "__func__", func)):
            return await func(**kwargs)
        result = await self.run_sync(lambda: func(**kwargs))
        if inspect.isawaitable(result):
            result = await result
        return result

    def module_scope(self, path: str) -> FixtureScope:
        scope = self._module_scopes.get(path)
        if scope is None:
            scope = self._module_scopes[path] = FixtureScope("module")
        return scope

    async def _conftest(self, path: str) -> Conftest:
        """A ``conftest.py``, imported once per worker (a phase of its own)."""
        found = self._conftests.get(path)
        if found is not None:
            return found
        try:
            module = await watch.phase(
                f"import {path}",
                lambda: self.run_sync(lambda: import_file(self.root, path)),
                sync=True,
            )
            found = Conftest(path, module, fixtures_of(module))
        except ImportFailure as f:
            found = Conftest(
                path, None, error=(f"{path} failed to import: {f.message}", f.traceback)
            )
        self._conftests[path] = found
        return found

    async def _load(self, path: str) -> LoadedModule:
        if self._import_lock is None:
            self._import_lock = asyncio.Lock()
        async with self._import_lock:
            if path not in self._modules:
                cwd = workdir.current()
                try:
                    conftests = [await self._conftest(c) for c in chain_paths(self.root, path)]
                    broken = next((c for c in conftests if c.error is not None), None)
                    if broken is not None and broken.error is not None:
                        raise ImportFailure(path, broken.error[0], broken.error[1])
                    # Imports run user code: sync, on the loop thread, under the sync lock.
                    self._modules[path] = await watch.phase(
                        f"import {path}",
                        lambda: self.run_sync(lambda: load(self.root, path, conftests, self.names)),
                        sync=True,
                        starts_things=False,
                    )
                except ImportFailure as f:
                    self._modules[path] = f
                finally:
                    workdir.restore(cwd, self.root)
        result = self._modules[path]
        if isinstance(result, ImportFailure):
            raise result
        return result

    # -- public API ------------------------------------------------------------
    async def run_unit(self, request: dict[str, Any], emit: Emit) -> None:
        """Run the tests of one ``run`` request; emits ``started``/``retrying``/``finished``/``run_error``."""
        gen = self.generation
        unit = request.get("unit")
        path = str(request.get("path", ""))
        ids = [str(i) for i in request.get("ids") or [path]]
        self.setup_timeout = request.get("setup_timeout")
        self.names = names.of(request.get("names"))
        # This unit's task only: its phases are announced under its number.
        hung = frozenset(request.get("hung") or ())
        watch.unit_watch.set(watch.UnitWatch(emit, unit, self.setup_timeout, hung, self.leaks))
        try:
            loaded = await self._load(path)
        except ImportFailure as f:
            # `pytest.importorskip()` or `skip(allow_module_level=True)`:
            # the module's tests are skipped, not errors.
            outcome = oc.SKIPPED if f.skipped else oc.ERROR
            for test_id in ids:
                emit(self._finished(unit, make_record(
                    id=test_id, outcome=outcome, path=path, start=time.time(),
                    message=f.message, traceback=None if f.skipped else (f.traceback or None),
                )))  # fmt: skip
            return
        selected, missing = select(loaded, ids)
        conditional = set(request.get("conditional") or ())
        for test_id in missing:
            # A test under `if`/`try` whose block did not define it at import
            # is skipped; any other id the import lost is an error.
            if test_id in conditional:
                outcome, message = oc.SKIPPED, NOT_DEFINED
            else:
                outcome, message = oc.ERROR, f"no test with id {test_id!r} in {path} after import"
            emit(self._finished(unit, make_record(
                id=test_id, outcome=outcome, path=path, start=time.time(), message=message,
            )))  # fmt: skip
        groups: list[tuple[type | None, list[Item]]] = []
        for item in selected:
            if groups and groups[-1][0] is item.suite_cls:
                groups[-1][1].append(item)
            else:
                groups.append((item.suite_cls, [item]))
        if len(groups) > 1 and all(
            g[1][0].style == "unittest" and g[1][0].case is None for g in groups
        ):
            # A module kept whole (`keep-together`) runs its classes as
            # `python -m unittest` does: by name.
            groups.sort(key=lambda g: getattr(g[0], "__name__", ""))
        self.seed = request.get("seed")
        if self.seed is not None and not request.get("keep_order"):
            groups = order.shuffle_groups(groups, self.seed, path)
        for suite_cls, items in groups:
            if items[0].style == "unittest":
                from dbtest.execution.unittest_compat import run_unittest_group

                await run_unittest_group(self, loaded, suite_cls, items, request, emit, gen)
            else:
                await self._run_group(loaded, suite_cls, items, request, emit, gen)

    def stop_starting(self) -> None:
        """From now on, tests of units already under way end ``cancelled``
        instead of starting (`cancel` also stops the running ones)."""
        self.generation += 1

    async def cancel(self) -> None:
        """Cancel what is running: tests not finished yet end ``cancelled``."""
        self.generation += 1
        for task in list(self._tasks):
            task.cancel()

    async def close(self) -> None:
        """Tear down what is still open: suites, module and session fixtures, tearDownModule."""
        if self._closed:
            return
        self._closed = True
        if self._last_emit is not None:
            # Teardown after the last unit: phases of the worker, not of a unit.
            watch.unit_watch.set(
                watch.UnitWatch(self._last_emit, None, self.setup_timeout, leaks=self.leaks)
            )
        for run, emit in list(reversed(self._open_suites)):
            await self._teardown_suite(run, emit)
        for path, (module, err) in list(self.unittest.results.items()):
            if err is None and self.unittest.emit is not None:
                from dbtest.execution.unittest_compat import teardown_module

                await teardown_module(self, path, module, self.unittest.emit)
        self.unittest.results.clear()
        # Newest first, as within a scope: a later module may use what an
        # earlier one set up.
        for path, scope in reversed(list(self._module_scopes.items())):
            for name, e in await scope.close():
                self._orphan_error(
                    f"{path}", f"fixture {name!r} teardown failed: {oc.headline(e)}", e
                )
        # setup_module ran before the module's fixtures: it is undone after.
        await self._module_hooks.teardown_all(self.run_sync, self._orphan_error)
        for name, e in await self.session_scope.close():
            self._orphan_error("session", f"fixture {name!r} teardown failed: {oc.headline(e)}", e)
        if self.capture:
            cap_mod.uninstall()

    # Errors found in close() go to the last emit we were given.
    _last_emit: Emit | None = None

    def _orphan_error(self, scope: str, message: str, exc: BaseException) -> None:
        if self._last_emit is not None:
            self._last_emit(
                {
                    "ev": "run_error",
                    "scope": scope,
                    "message": message,
                    "traceback": format_exception(exc),
                }
            )

    @staticmethod
    def _finished(unit: Any, record: dict[str, Any]) -> dict[str, Any]:
        return {"ev": "finished", "unit": unit, "record": record}

    # -- suites ------------------------------------------------------------------
    async def _run_group(
        self,
        loaded: LoadedModule,
        suite_cls: type | None,
        items: list[Item],
        request: dict[str, Any],
        emit: Emit,
        gen: int,
    ) -> None:
        self._last_emit = emit
        run = SuiteRun(self, loaded, suite_cls)
        self._open_suites.append((run, emit))
        try:
            concurrency = max(1, int(getattr(suite_cls, "concurrency", 1) or 1)) if suite_cls else 1
            # --async-concurrency caps it: 1 makes every test strictly serial.
            concurrency = min(concurrency, int(request.get("concurrency_cap") or concurrency))
            if concurrency == 1:
                poll = self.poll
                for item in items:
                    if poll is not None:
                        poll()
                    await self._run_test(item, run, request, emit, gen, hold=True)
            else:
                sem = asyncio.Semaphore(concurrency)

                async def one(item: Item) -> None:
                    async with sem:
                        await self._run_test(item, run, request, emit, gen)

                await asyncio.gather(*(one(i) for i in items))
        finally:
            await self._teardown_suite(run, emit, alone=bool(request.get("exclusive")))

    async def _setup_suite(self, run: SuiteRun) -> None:
        run.started = True
        try:
            if run.fresh_instance:
                assert run.suite_cls is not None
                setup_class = xunit.hook(run.suite_cls, "setup_class", run.suite_cls)
                if setup_class is not None:
                    await watch.phase(
                        f"setup_class {run.scope_id}",
                        lambda: self.run_sync(setup_class),
                        sync=True,
                    )
            elif run.suite_cls is not None:
                hook_fn = run.suite_cls.setup_suite
                if hook_fn is TestSuite.setup_suite:
                    run.instance = await self.run_sync(run.suite_cls)
                else:
                    await watch.phase(
                        f"setup_suite {run.scope_id}",
                        lambda: self._setup_suite_hook(run),
                        sync=not _is_coroutine_function(hook_fn),
                    )
            run.setup_done = True
        except watch.PhaseTimeout as e:
            run.setup_error = (str(e), e.stack or str(e))
        except BaseException as e:  # noqa: BLE001
            if run.fresh_instance:
                what = "setup_class"
            else:
                what = "setup_suite" if run.instance is not None else "creating the suite"
            run.setup_error = (
                f"{what} of {run.scope_id} failed: {oc.headline(e)}",
                format_exception(e),
            )

    async def _setup_suite_hook(self, run: SuiteRun) -> None:
        assert run.suite_cls is not None
        run.instance = await self.run_sync(run.suite_cls)
        hook = run.instance.setup_suite
        kwargs = await run.resolver(run.scope).resolve(fixture_names(hook, set()), "setup_suite")
        token = cap_mod.current.set(None)
        try:
            await self._call(hook, kwargs)
        finally:
            cap_mod.current.reset(token)

    async def _teardown_suite(self, run: SuiteRun, emit: Emit, alone: bool = False) -> None:
        # A result held back (see `_run_test`) must not wait through user
        # code: a teardown hook or fixture, or, unless this unit runs alone
        # in the worker (`alone`), another unit's test.
        hook_fn = getattr(run.suite_cls, "teardown_suite", TestSuite.teardown_suite)
        teardown_class = (
            xunit.hook(run.suite_cls, "teardown_class", run.suite_cls)
            if run.fresh_instance
            else None
        )
        user_code = (
            hook_fn is not TestSuite.teardown_suite or teardown_class or run.scope.finalizers
        )
        flush = getattr(emit, "flush", None)
        if flush is not None and (user_code or not alone):
            flush()
        if (run, emit) not in self._open_suites:
            return
        self._open_suites.remove((run, emit))
        if not run.started:
            return
        if run.setup_done and teardown_class is not None:
            try:
                what = f"teardown_class {run.scope_id}"
                await watch.phase(what, lambda: self.run_sync(teardown_class), sync=True)
            except watch.PhaseTimeout as e:
                emit({"ev": "run_error", "scope": run.scope_id, "message": str(e), "traceback": e.stack or None})  # fmt: skip
            except BaseException as e:  # noqa: BLE001
                emit({"ev": "run_error", "scope": run.scope_id, "message": f"teardown_class of {run.scope_id} failed: {oc.headline(e)}", "traceback": format_exception(e)})  # fmt: skip
        if run.setup_done and run.instance is not None and hook_fn is not TestSuite.teardown_suite:
            try:

                async def teardown() -> None:
                    hook = run.instance.teardown_suite
                    kwargs = await run.resolver(run.scope).resolve(
                        fixture_names(hook, set()), "teardown_suite"
                    )
                    await self._call(hook, kwargs)

                await watch.phase(
                    f"teardown_suite {run.scope_id}",
                    teardown,
                    sync=not _is_coroutine_function(hook_fn),
                )
            except watch.PhaseTimeout as e:
                emit({"ev": "run_error", "scope": run.scope_id, "message": str(e), "traceback": e.stack or None})  # fmt: skip
            except BaseException as e:  # noqa: BLE001
                emit({
                    "ev": "run_error", "scope": run.scope_id,
                    "message": f"teardown_suite of {run.scope_id} failed: {oc.headline(e)}",
                    "traceback": format_exception(e),
                })  # fmt: skip
        for name, e in await run.scope.close():
            emit({
                "ev": "run_error", "scope": run.scope_id,
                "message": f"teardown of fixture {name!r} failed: {oc.headline(e)}",
                "traceback": format_exception(e),
            })  # fmt: skip

    # -- one test ----------------------------------------------------------------
    async def _run_test(
        self,
        item: Item,
        run: SuiteRun,
        request: dict[str, Any],
        emit: Emit,
        gen: int,
        hold: bool = False,
    ) -> None:
        """Run one test (with its retries). With `hold`, the caller promises
        that no user code runs before its next message, so the `finished`
        message may travel with it (see `dbtest.worker.Outbox`)."""
        unit = request.get("unit")
        timeout = item.timeout if item.timeout is not None else request.get("timeout")
        retries = item.retries if item.retries is not None else int(request.get("retries") or 0)
        send = getattr(emit, "hold", emit) if hold else emit

        def finish(a: Attempt, attempts: int = 1, flaky: bool = False) -> None:
            leak = self.leaks.check() if a.duration >= MIN_DURATION else None
            send(self._finished(unit, make_record(
                id=item.id, outcome=a.outcome, path=item.path, line=item.line, tags=item.tags,
                duration=a.duration, start=a.start, attempts=attempts, flaky=flaky, strict=a.strict,
                message=a.message, traceback=a.traceback, capture=a.capture,
                extra=({"title": item.title} if item.title else {}) | a.extra, leak=leak,
            )))  # fmt: skip

        if gen != self.generation:
            finish(Attempt(oc.CANCELLED, time.time(), 0.0, "cancelled before it started"))
            return
        if item.error is not None:
            finish(Attempt(oc.ERROR, time.time(), 0.0, item.error))
            return
        if item.skip is not None:
            finish(Attempt(oc.XFAILED if item.notrun else oc.SKIPPED, time.time(), 0.0, item.skip))
            return
        hooks = self._module_hooks
        module_error = (
            hooks.error(item.path)
            if hooks.ready(item.path)
            else await hooks.setup(item.path, run.loaded.module, self.run_sync)
        )
        if module_error is not None:
            finish(Attempt(oc.ERROR, time.time(), 0.0, module_error[0], module_error[1]))
            return
        if not run.setup_done and run.setup_error is None:
            async with run.setup_lock:  # concurrent tests of a suite wait for one setup_suite
                if not run.started:
                    await self._setup_suite(run)
        if run.setup_error is not None:
            finish(Attempt(oc.ERROR, time.time(), 0.0, run.setup_error[0], run.setup_error[1]))
            return
        attempt = 1
        failed_before = False
        while True:
            if self.seed is not None:
                order.reseed(self.seed, item.id)
            emit({
                "ev": "started", "unit": unit, "id": item.id, "start": time.time(),
                "timeout": timeout, "attempt": attempt, "sync": not item.is_async,
            })  # fmt: skip
            result = await self._attempt(item, run, timeout, gen)
            if result.outcome in oc.RETRYABLE and attempt <= retries and gen == self.generation:
                emit(
                    {"ev": "retrying", "id": item.id, "attempt": attempt, "outcome": result.outcome}
                )
                failed_before = True
                attempt += 1
                continue
            finish(result, attempt, failed_before and result.outcome == oc.PASSED)
            return

    async def _attempt(self, item: Item, run: SuiteRun, timeout: float | None, gen: int) -> Attempt:
        capture = (
            cap_mod.TestCapture(item.id, self.max_output_bytes, self.live_output)
            if self.capture
            else None
        )
        if run.plain_hooks and item.plain and not self.sync_lock.locked():
            return await self._attempt_plain(item, run, capture)
        if not item.is_async:
            return await self._attempt_inline(item, run, timeout, capture)
        task = asyncio.ensure_future(self._attempt_body(item, run, timeout, capture))
        self._tasks.add(task)
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            # The caller (not us) was cancelled: stop the test too and report it.
            task.cancel()
            try:
                return await task
            except BaseException:
                return Attempt(oc.CANCELLED, time.time(), 0.0, "cancelled", capture=capture)
        finally:
            self._tasks.discard(task)

    async def _attempt_inline(
        self, item: Item, run: SuiteRun, timeout: float | None, capture: cap_mod.TestCapture | None
    ) -> Attempt:
        """One attempt of a sync test that needs fixtures or hooks, in the
        unit's own task: a task per attempt (what an async test needs, to be
        timed out) cost a fifth of such a test's time. A sync call cannot be
        interrupted anyway; a `cancel` meanwhile reaches the awaits around it
        (an async fixture, a teardown) through the unit's task, and ends the
        attempt `cancelled` as it would end the attempt's own task."""
        task = asyncio.current_task()
        assert task is not None
        outer = (cap_mod.current.get(), watch.test_clock.get())
        self._tasks.add(task)
        try:
            return await self._attempt_body(item, run, timeout, capture)
        except asyncio.CancelledError:
            return Attempt(oc.CANCELLED, time.time(), 0.0, "cancelled", capture=capture)
        finally:
            self._tasks.discard(task)
            # What the attempt set for itself (a task's context would have
            # kept it) must not reach the unit's next test.
            cap_mod.current.set(outer[0])
            watch.test_clock.set(outer[1])

    async def _attempt_plain(
        self, item: Item, run: SuiteRun, capture: cap_mod.TestCapture | None
    ) -> Attempt:
        """One attempt of a sync test with no fixtures and no per-test hooks.

        Most tests are like this, and for them the general path (a task per
        attempt, fixture scopes, the sync lock) costs several times the test
        itself. The outcome is the same: there is nothing to set up or tear
        down, and a sync call cannot be interrupted by a timeout or a cancel
        anyway (the scheduler kills the worker for that).
        """
        token = cap_mod.current.set(capture)
        cwd = workdir.current()
        start = time.time()
        t0 = time.perf_counter()
        exc: BaseException | None = None
        cancelled = False
        try:
            instance = run.test_instance()
            func = item.func.__get__(instance) if instance is not None else item.func
            result = outside_loop(func, **item.kwargs)
            if inspect.isawaitable(result):
                await result
        except asyncio.CancelledError:
            cancelled = True
        except BaseException as e:  # noqa: BLE001 - every user exception becomes an outcome
            exc = e
        finally:
            cap_mod.current.reset(token)
        duration = time.perf_counter() - t0
        workdir.restore(cwd, self.root)
        cap_mod.ensure_streams()
        if cancelled:
            return Attempt(
                oc.CANCELLED, start, duration, "cancelled while running", capture=capture
            )
        return self._outcome(item, exc, start, duration, capture)

    async def _attempt_body(
        self, item: Item, run: SuiteRun, timeout: float | None, capture: cap_mod.TestCapture | None
    ) -> Attempt:
        # Set for the attempt alone: its own task's context, or put back by _attempt_inline.
        cap_mod.current.set(capture)
        cwd = workdir.current()
        start = time.time()
        t0 = time.perf_counter()
        test_scope = FixtureScope("test")
        resolver = run.resolver(test_scope, item)
        # Wider phases inside the test (a module fixture it sets up first)
        # do not count against its timeout (see watch.TestClock).
        clock = watch.TestClock(item.id, timeout)
        watch.test_clock.set(clock)
        state: dict[str, Any] = {"setup": False, "mark": 0}
        exc: BaseException | None = None
        cancelled = False

        async def body() -> None:
            filters = [*item.filterwarnings, *settings.FILTERWARNINGS]
            if not filters:
                return await unfiltered()
            import warnings

            # pytest's `filterwarnings` marks, the nearest applied last (it
            # wins), after the configuration's.
            with warnings.catch_warnings():
                for spec in reversed(filters):
                    warnings._setoption(spec)  # type: ignore[attr-defined]
                return await unfiltered()

        async def unfiltered() -> None:
            for cond, reason in item.skip_ifs:
                if await self.run_sync(cond):
                    import unittest

                    raise unittest.SkipTest(reason)
            instance = run.test_instance()
            func = item.func.__get__(instance) if instance is not None else item.func
            # The setup hook first (it prepares a clean state), then the test's
            # fixtures; teardown undoes them in the reverse order.
            setup, state["teardown"] = run.per_test_hooks(instance, func)
            if setup is not None:
                await self._call(
                    setup, await resolver.resolve(fixture_names(setup, set()), "setup")
                )
            state["setup"] = True
            state["mark"] = len(test_scope.finalizers)
            resolver.instance = instance
            # Autouse and `usefixtures` first (widest scope first), then the
            # test's own; only the test's own are passed to it.
            for extra in (*item.autouse, *item.usefixtures):
                await resolver.get(extra, [item.name], None)
            names = fixture_names(func, set(item.kwargs))
            kwargs = dict(item.kwargs)
            kwargs.update(await resolver.resolve(names, item.name))
            if item.is_async:
                await func(**kwargs)
            else:
                result = await self.run_sync(lambda: func(**kwargs))
                if inspect.isawaitable(result):
                    await result

        try:
            if timeout and item.is_async:

                async def guarded() -> BaseException | None:
                    # KeyboardInterrupt/SystemExit escaping a Task would stop the
                    # whole loop: hand them back as values instead.
                    try:
                        await body()
                    except asyncio.CancelledError:
                        raise
                    except BaseException as e:  # noqa: BLE001
                        return e
                    return None

                inner = asyncio.ensure_future(guarded())
                try:
                    done = await _wait_on_clock(inner, clock, timeout)
                except asyncio.CancelledError:
                    inner.cancel()
                    raise
                if not done:
                    stack = await cancel_with_stack(inner)
                    raise oc.TestTimeout(f"timed out after {timeout:g} s", stack)
                err = inner.result()
                if err is not None:
                    raise err
            else:
                await body()
        except asyncio.CancelledError:
            cancelled = True
        except BaseException as e:  # noqa: BLE001 - every user exception becomes an outcome
            exc = e
        duration_body = time.perf_counter() - t0

        # Teardown: the test's fixtures (newest first), the teardown hook, then
        # the fixtures the setup hook used.
        teardown_exc: BaseException | None = None
        for _name, e in await test_scope.close(down_to=state["mark"]):
            teardown_exc = teardown_exc or e
        td = state.get("teardown")
        if state["setup"] and td is not None:
            try:
                await self._call(td, await resolver.resolve(fixture_names(td, set()), "teardown"))
            except BaseException as e:  # noqa: BLE001
                teardown_exc = teardown_exc or e
        for _name, e in await test_scope.close():
            teardown_exc = teardown_exc or e
        duration = time.perf_counter() - t0
        del duration_body
        workdir.restore(cwd, self.root)  # a test's chdir must not leak into the next
        cap_mod.ensure_streams()

        if cancelled:
            return Attempt(
                oc.CANCELLED, start, duration, "cancelled while running", capture=capture
            )
        a = self._outcome(item, exc, start, duration, capture)
        if teardown_exc is not None and a.outcome in (
            oc.PASSED,
            oc.XPASSED,
            oc.SKIPPED,
            oc.XFAILED,
        ):
            a.outcome = oc.ERROR
            a.message = f"teardown failed: {oc.headline(teardown_exc)}"
            a.traceback = format_exception(teardown_exc)
        return a

    def _outcome(
        self,
        item: Item,
        exc: BaseException | None,
        start: float,
        duration: float,
        capture: cap_mod.TestCapture | None,
    ) -> Attempt:
        if exc is None:
            if item.xfail is not None:
                msg = f"unexpectedly passed{': ' + item.xfail.reason if item.xfail.reason else ''}"
                return Attempt(
                    oc.XPASSED, start, duration, msg, capture=capture, strict=item.xfail.strict
                )
            return Attempt(oc.PASSED, start, duration, capture=capture)
        outcome = oc.classify(exc)
        if isinstance(exc, FixtureError):
            outcome = oc.ERROR
        message = oc.headline(exc)
        if isinstance(exc, AssertionError) and not exc.args:
            message = explain_exception(exc) or "assertion failed"
        tb = None if outcome in (oc.SKIPPED, oc.TIMEOUT, oc.XFAILED) else format_exception(exc)
        if isinstance(exc, oc.TestTimeout):
            tb = exc.stack or None
        elif isinstance(exc, watch.PhaseTimeout):
            message, tb = str(exc), exc.stack or None
        if isinstance(exc, FixtureError):
            message, tb = str(exc), None
        xf = item.xfail
        if xf is not None and outcome in (oc.FAILED, oc.ERROR):
            if xf.raises is None or isinstance(exc, xf.raises):
                reason = f"{xf.reason}: " if xf.reason else ""
                return Attempt(oc.XFAILED, start, duration, reason + message, tb, capture)
        return Attempt(outcome, start, duration, message, tb, capture)


def _is_coroutine_function(func: Any) -> bool:
    return inspect.iscoroutinefunction(getattr(func, "__func__", func))


async def _wait_on_clock(task: asyncio.Future[Any], clock: watch.TestClock, timeout: float) -> bool:
    """Wait for `task` until the test's clock reaches `timeout`; True if it finished."""
    while True:
        remaining = timeout - clock.used()
        if clock.in_phase:
            # A wider phase runs (its own budget bounds it): look again soon.
            remaining = max(remaining, 0.05)
        if remaining <= 0:
            return task.done()
        done, _ = await asyncio.wait({task}, timeout=remaining)
        if done:
            return True
