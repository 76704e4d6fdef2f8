"""The built-in fixtures, pytest's names, dbtest's own code.

Usable by name from any test, pytest-style or dbtest's, with no pytest
installed: ``tmp_path``, ``tmp_path_factory``, ``monkeypatch``, ``capsys``,
``capsysbinary``, ``capfd``, ``capfdbinary``, ``caplog``, ``recwarn``,
``pytestconfig``, ``cache``, ``tmpdir``/``tmpdir_factory`` (the same
directories as ``py.path.local`` objects), pytest-mock's ``mocker``,
``class_mocker``, ``module_mocker``, ``package_mocker``, ``session_mocker``
(dbtest.compat.mocker), and pytest-benchmark's and pytest-codspeed's
``benchmark`` (dbtest.compat.benchmark_fixture). Where they differ from pytest's:
docs/compat.md.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dbtest.api.fixtures import fixture
from dbtest.compat.benchmark_fixture import benchmark  # noqa: F401  (a built-in by name)
from dbtest.compat.capture import CaptureFixture, FdCapture
from dbtest.compat.config import Config, config
from dbtest.compat.localpath import local
from dbtest.compat.mocker import (  # noqa: F401  (registered as built-ins by name)
    class_mocker,
    mocker,
    module_mocker,
    package_mocker,
    session_mocker,
)
from dbtest.compat.monkeypatch import MonkeyPatch


class TempPathFactory:
    """Temporary directories under one base directory per worker."""

    def __init__(self) -> None:
        self._base: Path | None = None
        self._counts: dict[str, int] = {}

    def getbasetemp(self) -> Path:
        if self._base is None:
            self._base = Path(tempfile.mkdtemp(prefix=f"dbtest-{os.getpid()}-"))
        return self._base

    def mktemp(self, basename: str, numbered: bool = True) -> Path:
        base = self.getbasetemp()
        if not numbered:
            path = base / basename
            path.mkdir()
            return path
        n = self._counts.get(basename, 0)
        while (base / f"{basename}{n}").exists():
            n += 1
        self._counts[basename] = n + 1
        path = base / f"{basename}{n}"
        path.mkdir()
        return path


@fixture(scope="session")
def tmp_path_factory() -> TempPathFactory:
    """Makes temporary directories for the whole worker (``mktemp(name)``)."""
    return TempPathFactory()


@fixture
def tmp_path(request: Any, tmp_path_factory: TempPathFactory) -> Path:
    """A fresh empty directory for this test."""
    name = re.sub(r"[\W]", "_", request.node.name)[:30]
    return tmp_path_factory.mktemp(name)


class TempdirFactory:
    """``tmpdir_factory``: [`TempPathFactory`]'s directories as ``py.path.local``."""

    def __init__(self, paths: TempPathFactory) -> None:
        self._paths = paths

    def getbasetemp(self) -> Any:
        return local(self._paths.getbasetemp())

    def mktemp(self, basename: str, numbered: bool = True) -> Any:
        return local(self._paths.mktemp(basename, numbered))


@fixture(scope="session")
def tmpdir_factory(tmp_path_factory: TempPathFactory) -> TempdirFactory:
    """``tmp_path_factory`` handing out ``py.path.local`` directories."""
    return TempdirFactory(tmp_path_factory)


@fixture
def tmpdir(tmp_path: Path) -> Any:
    """``tmp_path`` as a ``py.path.local`` (see dbtest.compat.localpath)."""
    return local(tmp_path)


@fixture
def monkeypatch() -> Iterator[MonkeyPatch]:
    """Patch attributes, items, environment variables; undone after the test."""
    mp = MonkeyPatch()
    yield mp
    mp.undo()


@fixture
def capsys() -> Iterator[CaptureFixture]:
    """What the test writes to ``sys.stdout``/``sys.stderr``: ``readouterr()``."""
    with CaptureFixture(binary=False) as cap:
        yield cap


@fixture
def capsysbinary() -> Iterator[CaptureFixture]:
    """As ``capsys``, as bytes."""
    with CaptureFixture(binary=True) as cap:
        yield cap


@fixture
def capfd() -> Iterator[FdCapture]:
    """What the test writes to file descriptors 1 and 2: ``readouterr()``."""
    with FdCapture(binary=False) as cap:
        yield cap


@fixture
def capfdbinary() -> Iterator[FdCapture]:
    """As ``capfd``, as bytes."""
    with FdCapture(binary=True) as cap:
        yield cap


class LogCaptureFixture:
    """The log records of one test: ``records``, ``text``, ``messages``,
    ``record_tuples``, ``set_level``, ``at_level``, ``clear``."""

    def __init__(self) -> None:
        self.handler = _ListHandler()
        self._levels: list[tuple[logging.Logger, int]] = []

    @property
    def records(self) -> list[logging.LogRecord]:
        return self.handler.records

    @property
    def text(self) -> str:
        fmt = logging.Formatter("%(levelname)-8s %(name)s:%(filename)s:%(lineno)d %(message)s")
        return "".join(fmt.format(r) + "\n" for r in self.records)

    @property
    def messages(self) -> list[str]:
        return [r.getMessage() for r in self.records]

    @property
    def record_tuples(self) -> list[tuple[str, int, str]]:
        return [(r.name, r.levelno, r.getMessage()) for r in self.records]

    def clear(self) -> None:
        self.handler.records.clear()

    def get_records(self, when: str) -> list[logging.LogRecord]:
        return self.records if when == "call" else []

    def set_level(self, level: int | str, logger: str | None = None) -> None:
        log = logging.getLogger(logger)
        self._levels.append((log, log.level))
        log.setLevel(level)
        self.handler.setLevel(level)

    def at_level(self, level: int | str, logger: str | None = None) -> Any:
        import contextlib

        @contextlib.contextmanager
        def scope() -> Iterator[None]:
            log = logging.getLogger(logger)
            old, old_handler = log.level, self.handler.level
            log.setLevel(level)
            self.handler.setLevel(level)
            try:
                yield
            finally:
                log.setLevel(old)
                self.handler.setLevel(old_handler)

        return scope()

    def _restore(self) -> None:
        for log, level in reversed(self._levels):
            log.setLevel(level)


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@fixture
def caplog() -> Iterator[LogCaptureFixture]:
    """The log records emitted during the test."""
    cap = LogCaptureFixture()
    root = logging.getLogger()
    root.addHandler(cap.handler)
    try:
        yield cap
    finally:
        root.removeHandler(cap.handler)
        cap._restore()


class WarningsRecorder:
    """The warnings of one test: iterable, ``len``, indexable, ``pop(category)``,
    ``list`` and ``clear()``, over the list ``catch_warnings`` appends to."""

    def __init__(self, live: list[Any]) -> None:
        self._live = live

    def __iter__(self) -> Iterator[Any]:
        return iter(self._live)

    def __len__(self) -> int:
        return len(self._live)

    def __getitem__(self, i: Any) -> Any:
        return self._live[i]

    @property
    def list(self) -> list[Any]:
        return self._live

    def pop(self, cls: type[Warning] = Warning) -> Any:
        for i, w in enumerate(self._live):
            if issubclass(w.category, cls):
                return self._live.pop(i)
        raise AssertionError(f"{cls!r} not found in warning list")

    def clear(self) -> None:
        self._live.clear()


@fixture
def recwarn() -> Iterator[WarningsRecorder]:
    """Every warning the test raised (``warnings.catch_warnings(record=True)``)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield WarningsRecorder(caught)


@fixture(scope="session")
def pytestconfig() -> Config:
    """The run's configuration, as pytest's ``Config`` presents it."""
    return config()


class Cache:
    """pytest's ``cache``: values kept between runs, in ``.dbtest/cache``."""

    def __init__(self, root: Path) -> None:
        self._dir = root / ".dbtest" / "cache"

    def _file(self, key: str) -> Path:
        return self._dir / "v" / key

    def get(self, key: str, default: Any) -> Any:
        try:
            return json.loads(self._file(key).read_text())
        except (OSError, ValueError):
            return default

    def set(self, key: str, value: Any) -> None:
        path = self._file(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value, indent=2))

    def mkdir(self, name: str) -> Path:
        path = self._dir / "d" / name
        path.mkdir(parents=True, exist_ok=True)
        return path


@fixture(scope="session")
def cache() -> Cache:
    """Values kept from one run to the next (``get``/``set``/``mkdir``)."""
    return Cache(config().rootpath)
