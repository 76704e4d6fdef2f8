"""``mocker`` and its scoped siblings: pytest-mock's fixture, dbtest's own code.

pytest-mock is a plugin, and dbtest loads none; but its ``mocker`` is asked
for by so many suites that dbtest provides the same object itself, on
``unittest.mock``: ``mocker.patch`` (with ``.object``, ``.multiple``,
``.dict``, ``.context_manager``), ``spy``, ``stub``, ``async_stub``,
``create_autospec``, ``resetall``, ``stopall``, ``stop`` and the names of
``unittest.mock`` (``Mock``, ``MagicMock``, ``AsyncMock``, ``call``, ``ANY``,
...). Every patch is undone when the fixture is torn down: after the test
for ``mocker``, after the class, module, package or session for
``class_mocker``, ``module_mocker``, ``package_mocker``, ``session_mocker``.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

from dbtest.api.fixtures import PYTEST_SCOPES, fixture

if TYPE_CHECKING:
    import unittest.mock


class PytestMockWarning(UserWarning):
    """Warnings about using ``mocker`` (named as pytest-mock names its own)."""


_ENTER_WARNING = (
    "Mocks returned by pytest-mock do not need to be used as context managers. "
    "The mocker fixture automatically undoes mocking at the end of a test. "
    "This warning can be ignored if it was triggered by mocking a context manager. "
    "https://pytest-mock.readthedocs.io/en/latest/usage.html#usage-as-context-manager"
)


@dataclass(eq=False)
class _Started:
    """One thing the fixture made: a mock, the patcher that put it in place
    (None for a mock made without patching), and what ``resetall`` resets."""

    mock: Any
    patcher: Any = None
    spy_effect: Callable[..., Any] | None = None
    # `patch.multiple` returns a dict; its mocks are what gets reset.
    resets: tuple[Any, ...] | None = None


class _Registry:
    """What one fixture started, in order; stopped newest first."""

    def __init__(self) -> None:
        self.items: list[_Started] = []

    def add(self, mock: Any, patcher: Any = None) -> _Started:
        item = _Started(mock, patcher)
        self.items.append(item)
        return item

    def find(self, mock: Any) -> _Started:
        # By identity: a mock's `==` may be anything.
        for item in reversed(self.items):
            if item.mock is mock:
                return item
        raise ValueError("This mock object is not registered")

    def remove(self, mock: Any) -> None:
        item = self.find(mock)
        if item.patcher is not None:
            item.patcher.stop()
        self.items = [i for i in self.items if i is not item]

    def clear(self) -> None:
        items, self.items = self.items, []
        for item in reversed(items):
            if item.patcher is not None:
                item.patcher.stop()


def _clear_spy(spy: Any) -> None:
    spy.spy_return = None
    spy.spy_return_iter = None
    spy.spy_return_list = []
    spy.spy_exception = None


class MockerFixture:
    """pytest-mock's ``MockerFixture``: ``unittest.mock`` whose patches are
    undone when the fixture ends."""

    def __init__(self, mock_module: ModuleType | None = None) -> None:
        if mock_module is None:
            # Imported here, not with the built-ins: ~15 ms a worker that
            # never mocks should not pay.
            import unittest.mock

            mock_module = unittest.mock
        self._started = _Registry()
        self.mock_module = mock_module
        self.patch = _Patcher(self._started, mock_module)
        self.Mock = mock_module.Mock
        self.MagicMock = mock_module.MagicMock
        self.NonCallableMock = mock_module.NonCallableMock
        self.NonCallableMagicMock = mock_module.NonCallableMagicMock
        self.PropertyMock = mock_module.PropertyMock
        self.AsyncMock = mock_module.AsyncMock
        self.call = mock_module.call
        self.ANY = mock_module.ANY
        self.DEFAULT = mock_module.DEFAULT
        self.sentinel = mock_module.sentinel
        self.mock_open = mock_module.mock_open
        self.seal = mock_module.seal

    def create_autospec(
        self, spec: Any, spec_set: bool = False, instance: bool = False, **kwargs: Any
    ) -> Any:
        """``unittest.mock.create_autospec``, remembered for ``resetall``."""
        made = self.mock_module.create_autospec(spec, spec_set, instance, **kwargs)
        self._started.add(made)
        return made

    def resetall(self, *, return_value: bool = False, side_effect: bool = False) -> None:
        """``reset_mock()`` on every mock this fixture made; a spy's record
        (``spy_return``...) is cleared too, and ``side_effect=True`` puts a
        spy back to calling the real code."""
        for item in self._started.items:
            for m in item.resets if item.resets is not None else (item.mock,):
                if not hasattr(m, "reset_mock"):
                    continue
                if isinstance(m, self.NonCallableMock):
                    m.reset_mock(return_value=return_value, side_effect=side_effect)
                else:  # an autospecced function: its reset_mock takes no arguments
                    m.reset_mock()
            if item.spy_effect is not None:
                _clear_spy(item.mock)
                if side_effect:
                    item.mock.side_effect = item.spy_effect

    def stopall(self) -> None:
        """Undo every patch, newest first; calling it again does nothing."""
        self._started.clear()

    def stop(self, mock: Any) -> None:
        """Undo the patch or spy that returned ``mock`` (ValueError if none did)."""
        self._started.remove(mock)

    def spy(self, obj: object, name: str, duplicate_iterators: bool = False) -> Any:
        """Wrap ``obj.name`` in a mock that still calls it: the calls are
        recorded, and ``spy_return``, ``spy_return_list``, ``spy_exception``
        (and ``spy_return_iter`` with ``duplicate_iterators``) say what the
        real code did. Async functions are awaited."""
        real = getattr(obj, name)

        def returned(value: Any) -> Any:
            if duplicate_iterators and isinstance(value, Iterator):
                value, spy.spy_return_iter = itertools.tee(value, 2)
            spy.spy_return = value
            spy.spy_return_list.append(value)
            return value

        def begin() -> None:
            spy.spy_return = None
            spy.spy_return_iter = None
            spy.spy_exception = None

        def call(*args: Any, **kwargs: Any) -> Any:
            begin()
            try:
                value = real(*args, **kwargs)
            except BaseException as e:
                spy.spy_exception = e
                raise
            return returned(value)

        async def call_async(*args: Any, **kwargs: Any) -> Any:
            begin()
            try:
                value = await real(*args, **kwargs)
            except BaseException as e:
                spy.spy_exception = e
                raise
            return returned(value)

        effect = functools.update_wrapper(
            call_async if inspect.iscoroutinefunction(real) else call, real
        )
        autospec = inspect.ismethod(real) or inspect.isfunction(real)
        spy = self.patch.object(obj, name, side_effect=effect, autospec=autospec)
        self._started.find(spy).spy_effect = effect
        _clear_spy(spy)
        return spy

    def stub(self, name: str | None = None) -> unittest.mock.MagicMock:
        """A ``MagicMock`` that takes any arguments (a callback to assert on)."""
        return self.mock_module.MagicMock(spec=lambda *args, **kwargs: None, name=name)

    def async_stub(self, name: str | None = None) -> unittest.mock.AsyncMock:
        """As ``stub``, an ``AsyncMock``: calls and awaits recorded apart."""
        return self.mock_module.AsyncMock(spec=lambda *args, **kwargs: None, name=name)


# Stands for "not given", so that `new=None` still means None.
_UNSET: Any = object()


class _Patcher:
    """``mocker.patch``: ``unittest.mock.patch`` and its forms, started at
    once and registered to be stopped by the fixture."""

    DEFAULT = _UNSET

    def __init__(self, started: _Registry, mock_module: ModuleType) -> None:
        self._started = started
        self.mock_module = mock_module

    def _start(self, make: Callable[..., Any], warn_enter: bool, *args: Any, **kwargs: Any) -> Any:
        patcher = make(*args, **kwargs)
        mocked = patcher.start()
        self._started.add(mocked, patcher)
        # Using the mock as a context manager is a mistake here (the patch is
        # already active); say so when it happens, as pytest-mock does.
        if warn_enter and hasattr(mocked, "reset_mock") and hasattr(mocked, "__enter__"):
            mocked.__enter__.side_effect = lambda: warnings.warn(
                _ENTER_WARNING, PytestMockWarning, stacklevel=5
            )
        return mocked

    def _new(self, new: Any) -> Any:
        return self.mock_module.DEFAULT if new is _UNSET else new

    def __call__(
        self,
        target: str,
        new: Any = _UNSET,
        spec: Any = None,
        create: bool = False,
        spec_set: Any = None,
        autospec: Any = None,
        new_callable: Any = None,
        **kwargs: Any,
    ) -> Any:
        """``patch("pkg.mod.name", ...)``: returns the mock (or ``new``)."""
        return self._start(
            self.mock_module.patch,
            True,
            target,
            new=self._new(new),
            spec=spec,
            create=create,
            spec_set=spec_set,
            autospec=autospec,
            new_callable=new_callable,
            **kwargs,
        )

    def object(
        self,
        target: Any,
        attribute: str,
        new: Any = _UNSET,
        spec: Any = None,
        create: bool = False,
        spec_set: Any = None,
        autospec: Any = None,
        new_callable: Any = None,
        **kwargs: Any,
    ) -> Any:
        """``patch.object(target, "attribute", ...)``."""
        return self._object(
            True, target, attribute, new, spec, create, spec_set, autospec, new_callable, kwargs
        )

    def context_manager(
        self,
        target: Any,
        attribute: str,
        new: Any = _UNSET,
        spec: Any = None,
        create: bool = False,
        spec_set: Any = None,
        autospec: Any = None,
        new_callable: Any = None,
        **kwargs: Any,
    ) -> Any:
        """``patch.object`` for a context manager: entering the mock is not warned about."""
        return self._object(
            False, target, attribute, new, spec, create, spec_set, autospec, new_callable, kwargs
        )

    def _object(
        self,
        warn_enter: bool,
        target: Any,
        attribute: str,
        new: Any,
        spec: Any,
        create: bool,
        spec_set: Any,
        autospec: Any,
        new_callable: Any,
        kwargs: dict[str, Any],
    ) -> Any:
        return self._start(
            self.mock_module.patch.object,
            warn_enter,
            target,
            attribute,
            new=self._new(new),
            spec=spec,
            create=create,
            spec_set=spec_set,
            autospec=autospec,
            new_callable=new_callable,
            **kwargs,
        )

    def multiple(
        self,
        target: Any,
        spec: Any = None,
        create: bool = False,
        spec_set: Any = None,
        autospec: Any = None,
        new_callable: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """``patch.multiple(target, a=DEFAULT, b=value)``: a dict of the mocks
        made for the ``DEFAULT`` ones."""
        mocked = self._start(
            self.mock_module.patch.multiple,
            True,
            target,
            spec=spec,
            create=create,
            spec_set=spec_set,
            autospec=autospec,
            new_callable=new_callable,
            **kwargs,
        )
        item = self._started.find(mocked)
        patchers = [item.patcher, *item.patcher.additional_patchers]
        # The dict holds only the mocks made for DEFAULT; values passed in
        # are reset by `resetall` too.
        given = [p.new for p in patchers if p.new is not self.mock_module.DEFAULT]
        item.resets = (*mocked.values(), *given)
        return mocked

    def dict(self, in_dict: Any, values: Any = (), clear: bool = False, **kwargs: Any) -> Any:
        """``patch.dict(mapping_or_its_dotted_name, values, clear=, **items)``."""
        return self._start(
            self.mock_module.patch.dict, True, in_dict, values=values, clear=clear, **kwargs
        )


def _mocker() -> Iterator[MockerFixture]:
    made = MockerFixture()
    try:
        yield made
    finally:
        made.stopall()


def _scoped(scope: str, name: str) -> Callable[[], Iterator[MockerFixture]]:
    def make() -> Iterator[MockerFixture]:
        yield from _mocker()

    make.__name__ = make.__qualname__ = name
    make.__doc__ = f"``mocker`` whose patches are undone at the end of the {scope}."
    return fixture(scope=PYTEST_SCOPES[scope], name=name)(make)


@fixture
def mocker() -> Iterator[MockerFixture]:
    """pytest-mock's ``mocker``: ``unittest.mock`` patches undone after the test."""
    yield from _mocker()


class_mocker = _scoped("class", "class_mocker")
module_mocker = _scoped("module", "module_mocker")
package_mocker = _scoped("package", "package_mocker")
session_mocker = _scoped("session", "session_mocker")

# pytest-mock's older name for the class.
MockFixture = MockerFixture
