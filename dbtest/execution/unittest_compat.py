"""Run ``unittest.TestCase`` classes natively, mapping results to dbtest records.

Counting scheme (equal to ``python -m unittest``'s counts): each
``addSuccess``/``addFailure``/``addError``/``addSkip``/``addExpectedFailure``/
``addUnexpectedSuccess`` and each failing, erroring or skipped ``subTest`` is
one record. A failing subtest is reported as ``path::Class::test_x[<params>]``
(``[msg]`` or ``[i=1, j=2]`` from ``subTest(msg, **params)``); a test whose
only failures are in subtests has no record of its own, exactly as unittest
counts it (no success). An unexpected success is ``xpassed`` with ``strict``
since unittest fails the run for it.

``setUpModule``/``tearDownModule`` run once per module per process
(``tearDownModule`` at ``Executor.close``); ``setUpClass``/``tearDownClass``
once per class per unit. A failing ``setUpClass`` makes each test of the
class ``error`` (unittest reports one error for the class instead).
"""

from __future__ import annotations

import asyncio
import sys
import time
import unittest
from typing import TYPE_CHECKING, Any

from dbtest import ids as id_grammar
from dbtest.execution import capture as cap_mod
from dbtest.execution import order, watch, workdir
from dbtest.execution import outcome as oc
from dbtest.execution.outside_loop import outside_loop
from dbtest.execution.records import make_record
from dbtest.execution.traceback import format_exception

if TYPE_CHECKING:
    from dbtest.execution.collect import LoadedModule
    from dbtest.execution.host import Emit, Host
    from dbtest.execution.item import Item


class _Result(unittest.TestResult):
    """Collects ``(outcome, subtest description, message, traceback)`` per test."""

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[tuple[str, str | None, str | None, str | None]] = []

    @staticmethod
    def _err(err: Any) -> tuple[str, str]:
        exc = err[1]
        if exc is None:
            return "error", ""
        return oc.headline(exc), format_exception(exc)

    def addSuccess(self, test: Any) -> None:  # noqa: N802
        self.entries.append((oc.PASSED, None, None, None))

    def addFailure(self, test: Any, err: Any) -> None:  # noqa: N802
        doctest = sys.modules.get("doctest")  # only a run with doctests imported it
        if doctest is not None and isinstance(test, doctest.DocTestCase) and err[1] is not None:
            # The doctest's own report says it all; a traceback through doctest.py adds nothing.
            report = str(err[1])
            self.entries.append((oc.FAILED, None, report.partition("\n")[0], report))
            return
        self.entries.append((oc.FAILED, None, *self._err(err)))

    def addError(self, test: Any, err: Any) -> None:  # noqa: N802
        self.entries.append((oc.ERROR, None, *self._err(err)))

    def addSkip(self, test: Any, reason: str) -> None:  # noqa: N802
        sub = _sub_desc(test) if isinstance(test, unittest.case._SubTest) else None
        self.entries.append((oc.SKIPPED, sub, reason, None))

    def addExpectedFailure(self, test: Any, err: Any) -> None:  # noqa: N802
        self.entries.append((oc.XFAILED, None, *self._err(err)))

    def addUnexpectedSuccess(self, test: Any) -> None:  # noqa: N802
        self.entries.append((oc.XPASSED, None, "unexpected success", None))

    def addSubTest(self, test: Any, subtest: Any, err: Any) -> None:  # noqa: N802
        if err is None:
            return
        kind = oc.FAILED if issubclass(err[0], test.failureException) else oc.ERROR
        self.entries.append((kind, _sub_desc(subtest), *self._err(err)))


def _sub_desc(subtest: Any) -> str:
    """``msg, k=v, ...`` from ``subTest(msg, **params)``."""
    parts = []
    msg = getattr(subtest, "_message", None)
    if isinstance(msg, str):
        parts.append(msg)
    params = getattr(subtest, "params", None) or {}
    parts.extend(f"{k}={v!r}" for k, v in params.items())
    return (", ".join(parts) or "subtest").replace("[", "(").replace("]", ")")


async def _setup_module(ex: Host, loaded: LoadedModule, emit: Emit) -> tuple[str, str] | None:
    ex.unittest.emit = emit
    if loaded.path in ex.unittest.results:
        return ex.unittest.results[loaded.path][1]
    module = loaded.module
    err: tuple[str, str] | None = None
    setup = getattr(module, "setUpModule", None)
    if setup is not None:
        try:
            await _hook(ex, f"setUpModule {loaded.path}", setup)
        except watch.PhaseTimeout as e:
            err = (str(e), e.stack or str(e))
        except unittest.SkipTest as e:
            # As unittest: the module's tests are skipped (an empty traceback
            # marks the skip), and its tearDownModule does not run.
            err = (str(e) or "skipped", "")
            try:
                unittest.case.doModuleCleanups()
            except BaseException:  # noqa: BLE001
                pass
        except BaseException as e:  # noqa: BLE001
            err = (f"setUpModule of {loaded.path} failed: {oc.headline(e)}", format_exception(e))
            try:
                unittest.case.doModuleCleanups()
            except BaseException:  # noqa: BLE001
                pass
    ex.unittest.results[loaded.path] = (module, err)
    return err


async def teardown_module(ex: Host, path: str, module: Any, emit: Emit) -> None:
    """``tearDownModule`` and module cleanups; a failure is a ``run_error``."""
    for step in (getattr(module, "tearDownModule", None), unittest.case.doModuleCleanups):
        if step is None:
            continue
        try:
            await _hook(ex, f"tearDownModule {path}", step)
        except watch.PhaseTimeout as e:
            emit(
                {"ev": "run_error", "scope": path, "message": str(e), "traceback": e.stack or None}
            )
        except BaseException as e:  # noqa: BLE001
            emit({"ev": "run_error", "scope": path, "message": f"tearDownModule of {path} failed: {oc.headline(e)}", "traceback": format_exception(e)})  # fmt: skip


async def run_unittest_group(
    ex: Host,
    loaded: LoadedModule,
    cls: Any,
    items: list[Item],
    request: dict[str, Any],
    emit: Emit,
    gen: int,
) -> None:
    """Run the selected tests of one TestCase class."""
    unit = request.get("unit")
    scope_id = id_grammar.child(loaded.path, cls.__name__)

    def record(item: Item, outcome: str, start: float, duration: float, message: str | None = None,
               tb: str | None = None, capture: Any = None, test_id: str | None = None,
               strict: bool = False, attempts: int = 1, flaky: bool = False) -> None:  # fmt: skip
        emit({"ev": "finished", "unit": unit, "record": make_record(
            id=test_id or item.id, outcome=outcome, path=item.path, line=item.line, tags=item.tags,
            duration=duration, start=start, message=message, traceback=tb, capture=capture,
            strict=strict, attempts=attempts, flaky=flaky,
        )})  # fmt: skip

    runnable = [i for i in items if i.skip is None]
    for item in items:
        if item.skip is not None:
            record(item, oc.SKIPPED, time.time(), 0.0, item.skip)
    if not runnable:
        return
    class_error = await _setup_module(ex, loaded, emit)
    if class_error is not None and not class_error[1]:
        for item in runnable:  # setUpModule raised SkipTest
            record(item, oc.SKIPPED, time.time(), 0.0, class_error[0])
        return
    class_ready = False
    if class_error is None:
        try:
            await _hook(ex, f"setUpClass {scope_id}", cls.setUpClass)
            class_ready = True
        except watch.PhaseTimeout as e:
            class_error = (str(e), e.stack or str(e))
        except unittest.SkipTest as e:
            for item in runnable:
                record(item, oc.SKIPPED, time.time(), 0.0, str(e) or "skipped")
            await ex.run_sync(cls.doClassCleanups)
            return
        except BaseException as e:  # noqa: BLE001
            class_error = (
                f"setUpClass of {scope_id} failed: {oc.headline(e)}",
                format_exception(e),
            )
            try:
                await ex.run_sync(cls.doClassCleanups)
            except BaseException:  # noqa: BLE001
                pass
    try:
        for item in runnable:
            if ex.poll is not None:
                ex.poll()
            if gen != ex.generation:
                record(item, oc.CANCELLED, time.time(), 0.0, "cancelled before it started")
                continue
            if class_error is not None:
                record(item, oc.ERROR, time.time(), 0.0, class_error[0], class_error[1])
                continue
            retries = item.retries if item.retries is not None else int(request.get("retries") or 0)
            await _run_case(ex, cls, item, unit, emit, record, retries, gen)
    finally:
        if class_ready:
            for step in (cls.tearDownClass, cls.doClassCleanups):
                try:
                    await _hook(ex, f"tearDownClass {scope_id}", step)
                except watch.PhaseTimeout as e:
                    emit({"ev": "run_error", "scope": scope_id, "message": str(e), "traceback": e.stack or None})  # fmt: skip
                except BaseException as e:  # noqa: BLE001
                    emit({"ev": "run_error", "scope": scope_id, "message": f"tearDownClass of {scope_id} failed: {oc.headline(e)}", "traceback": format_exception(e)})  # fmt: skip


async def _run_case(
    ex: Host, cls: Any, item: Item, unit: Any, emit: Emit, record: Any, retries: int, gen: int
) -> None:
    """One test method, run again up to `retries` times while it fails (its
    subtests included), as the executor retries other tests."""
    attempt = 1
    while True:
        last = await _attempt_case(ex, cls, item, unit, emit, attempt)
        failing = [e for e in last[2] if e[0] in oc.RETRYABLE]
        if failing and attempt <= retries and gen == ex.generation:
            emit({"ev": "retrying", "id": item.id, "attempt": attempt, "outcome": failing[0][0]})
            attempt += 1
            continue
        break
    start, duration, entries, capture = last
    flaky = attempt > 1 and not failing
    seen: dict[str, int] = {}
    for outcome, sub, message, tb in entries:
        test_id = item.id
        if sub is not None:
            base = f"{item.id}[{sub}]"
            n = seen.get(base, 0)
            seen[base] = n + 1
            test_id = base if n == 0 else f"{item.id}[{sub}#{n}]"
        record(item, outcome, start, duration, message, tb, capture, test_id,
               strict=outcome == oc.XPASSED, attempts=attempt, flaky=flaky)  # fmt: skip


async def _attempt_case(
    ex: Host, cls: Any, item: Item, unit: Any, emit: Emit, attempt: int
) -> tuple[float, float, list[tuple[str, Any, Any, Any]], Any]:
    """Run the test method once: (start, duration, result entries, capture)."""
    capture = (
        cap_mod.TestCapture(item.id, ex.max_output_bytes, ex.live_output) if ex.capture else None
    )
    if ex.seed is not None:
        order.reseed(ex.seed, item.id)
    emit({"ev": "started", "unit": unit, "id": item.id, "start": time.time(), "timeout": item.timeout,
          "attempt": attempt, "sync": True})  # fmt: skip
    start = time.time()
    t0 = time.perf_counter()
    result = _Result()
    cwd = workdir.current()

    def run() -> None:
        token = cap_mod.current.set(capture)
        try:
            case = item.case if item.case is not None else cls(item.name)
            case.run(result)
        except BaseException as e:  # noqa: BLE001 - e.g. SystemExit escaping unittest
            result.entries.append((oc.ERROR, None, oc.headline(e), format_exception(e)))
        finally:
            cap_mod.current.reset(token)

    async with ex.sync_lock:
        if isinstance(cls, type) and issubclass(cls, unittest.IsolatedAsyncioTestCase):
            # It runs its own event loop, which cannot nest in ours: give it a thread.
            await asyncio.get_running_loop().run_in_executor(None, _in_context(run))
        else:
            outside_loop(run)
    duration = time.perf_counter() - t0
    workdir.restore(cwd, ex.root)
    cap_mod.ensure_streams()
    return start, duration, result.entries or [(oc.PASSED, None, None, None)], capture


_UNITTEST_DEFAULTS = {
    getattr(unittest.TestCase, name).__func__
    for name in ("setUpClass", "tearDownClass", "doClassCleanups")
}


async def _hook(ex: Host, what: str, hook: Any) -> None:
    """A class or module hook: a phase when it is the user's own (unittest's
    empty defaults and the cleanups runner are not announced)."""
    if (
        getattr(hook, "__func__", hook) in _UNITTEST_DEFAULTS
        or hook is unittest.case.doModuleCleanups
    ):
        await ex.run_sync(hook)
    else:
        await watch.phase(what, lambda: ex.run_sync(hook), sync=True)


def _in_context(fn: Any) -> Any:
    import contextvars

    ctx = contextvars.copy_context()
    return lambda: ctx.run(fn)
