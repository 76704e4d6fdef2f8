"""``tmpdir``'s path object: the part of ``py.path.local`` that tests use.

pytest's ``tmpdir`` is a ``py.path.local``, whose code lives in pytest
(the ``py`` module pytest installs is a shim into it), and dbtest never
imports pytest. So ``tmpdir`` is this class: the methods suites call on it,
and an ``os.PathLike`` (``open``, ``os.path`` and ``pathlib`` take it). An
``isinstance(x, py.path.local)`` check is what it cannot pass.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any


class LocalPath(os.PathLike):
    """A filesystem path with ``py.path.local``'s methods."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.strpath = os.path.abspath(os.fspath(path) if path is not None else os.getcwd())

    # -- identity -----------------------------------------------------------
    def __fspath__(self) -> str:
        return self.strpath

    def __str__(self) -> str:
        return self.strpath

    def __repr__(self) -> str:
        return f"local({self.strpath!r})"

    def __eq__(self, other: object) -> bool:
        try:
            return self.strpath == os.path.abspath(os.fspath(other))  # type: ignore[arg-type]
        except TypeError:
            return False

    def __hash__(self) -> int:
        return hash(self.strpath)

    def __lt__(self, other: LocalPath) -> bool:
        return self.strpath < os.fspath(other)

    def __truediv__(self, other: str) -> LocalPath:
        return self.join(other)

    # -- names --------------------------------------------------------------
    @property
    def basename(self) -> str:
        return os.path.basename(self.strpath)

    @property
    def dirname(self) -> str:
        return os.path.dirname(self.strpath)

    @property
    def purebasename(self) -> str:
        return os.path.splitext(self.basename)[0]

    @property
    def ext(self) -> str:
        return os.path.splitext(self.basename)[1]

    def join(self, *parts: str | os.PathLike[str]) -> LocalPath:
        return LocalPath(os.path.join(self.strpath, *map(os.fspath, parts)))

    def dirpath(self, *parts: str) -> LocalPath:
        return LocalPath(self.dirname).join(*parts)

    def new(self, **kw: str) -> LocalPath:
        """Another path like this one (``basename=``, ``ext=``, ``dirname=``...)."""
        dirname = kw.get("dirname", self.dirname)
        purebase = kw.get("purebasename", self.purebasename)
        ext = kw.get("ext", self.ext)
        if ext and not ext.startswith("."):
            ext = "." + ext
        basename = kw.get("basename", purebase + ext)
        return LocalPath(os.path.join(dirname, basename))

    def relto(self, other: str | os.PathLike[str]) -> str:
        base = os.fspath(other).rstrip(os.sep) + os.sep
        return self.strpath[len(base) :] if self.strpath.startswith(base) else ""

    def bestrelpath(self, other: str | os.PathLike[str]) -> str:
        return os.path.relpath(os.fspath(other), self.strpath)

    def realpath(self) -> LocalPath:
        return LocalPath(os.path.realpath(self.strpath))

    def parts(self) -> list[LocalPath]:
        return [
            LocalPath(p) for p in reversed([self.strpath, *map(str, Path(self.strpath).parents)])
        ]

    # -- queries ------------------------------------------------------------
    def exists(self) -> bool:
        return os.path.exists(self.strpath)

    def isdir(self) -> bool:
        return os.path.isdir(self.strpath)

    def isfile(self) -> bool:
        return os.path.isfile(self.strpath)

    def islink(self) -> bool:
        return os.path.islink(self.strpath)

    def check(self, **kw: Any) -> bool:
        """``check()``, ``check(dir=1)``, ``check(file=1)``, ``check(exists=0)``..."""
        tests = {"exists": self.exists, "dir": self.isdir, "file": self.isfile, "link": self.islink}
        for key, want in (kw or {"exists": 1}).items():
            if key == "basename":
                ok = self.basename == want
            elif key in tests:
                ok = tests[key]() == bool(want)
            else:
                raise TypeError(f"check() got an unexpected keyword argument {key!r}")
            if not ok:
                return False
        return True

    def stat(self) -> os.stat_result:
        return os.stat(self.strpath)

    def size(self) -> int:
        return self.stat().st_size

    def mtime(self) -> float:
        return self.stat().st_mtime

    def samefile(self, other: str | os.PathLike[str]) -> bool:
        return os.path.samefile(self.strpath, os.fspath(other))

    def listdir(self, fil: str | Callable[[LocalPath], bool] | None = None) -> list[LocalPath]:
        children = sorted(self.join(name) for name in os.listdir(self.strpath))
        if fil is None:
            return children
        if isinstance(fil, str):
            return [c for c in children if Path(c.strpath).match(fil)]
        return [c for c in children if fil(c)]

    def visit(self, fil: str | None = None) -> Iterator[LocalPath]:
        for root, dirs, files in os.walk(self.strpath):
            dirs.sort()
            for name in sorted(dirs + files):
                path = LocalPath(os.path.join(root, name))
                if fil is None or Path(path.strpath).match(fil):
                    yield path

    # -- contents -----------------------------------------------------------
    def open(self, mode: str = "r", *args: Any, **kw: Any) -> IO[Any]:
        return open(self.strpath, mode, *args, **kw)  # noqa: SIM115 - the caller closes it

    def read(self, mode: str = "r") -> Any:
        with self.open(mode) as f:
            return f.read()

    def read_text(self, encoding: str) -> str:
        return Path(self.strpath).read_text(encoding=encoding)

    def read_binary(self) -> bytes:
        return Path(self.strpath).read_bytes()

    def readlines(self, cr: bool = True) -> list[str]:
        text = self.read()
        return text.splitlines(keepends=cr)

    def write(self, data: str | bytes, mode: str = "w", ensure: bool = False) -> None:
        if ensure:
            self.dirpath().ensure(dir=True)
        if isinstance(data, bytes) and "b" not in mode:
            mode += "b"
        with self.open(mode) as f:
            f.write(data)

    def write_text(self, data: str, encoding: str, ensure: bool = False) -> None:
        if ensure:
            self.dirpath().ensure(dir=True)
        Path(self.strpath).write_text(data, encoding=encoding)

    def write_binary(self, data: bytes, ensure: bool = False) -> None:
        if ensure:
            self.dirpath().ensure(dir=True)
        Path(self.strpath).write_bytes(data)

    # -- changes ------------------------------------------------------------
    def mkdir(self, *parts: str) -> LocalPath:
        path = self.join(*parts)
        os.mkdir(path.strpath)
        return path

    def ensure(self, *parts: str, dir: bool = False) -> LocalPath:  # noqa: A002 - py's name
        """The path, created if missing (a directory with ``dir=True``, else a file)."""
        path = self.join(*parts)
        if dir:
            os.makedirs(path.strpath, exist_ok=True)
        else:
            os.makedirs(path.dirname, exist_ok=True)
            if not path.exists():
                open(path.strpath, "a").close()  # noqa: SIM115
        return path

    def remove(self, rec: int = 1, ignore_errors: bool = False) -> None:
        if self.isdir() and not self.islink() and rec:
            shutil.rmtree(self.strpath, ignore_errors=ignore_errors)
        elif self.isdir() and not self.islink():
            os.rmdir(self.strpath)
        else:
            os.remove(self.strpath)

    def copy(self, target: str | os.PathLike[str]) -> None:
        dest = os.fspath(target)
        if self.isdir():
            shutil.copytree(self.strpath, dest, dirs_exist_ok=True)
        else:
            shutil.copy2(self.strpath, dest)

    def move(self, target: str | os.PathLike[str]) -> None:
        shutil.move(self.strpath, os.fspath(target))

    def rename(self, target: str | os.PathLike[str]) -> None:
        os.rename(self.strpath, os.fspath(target))

    def chmod(self, mode: int) -> None:
        os.chmod(self.strpath, mode)

    def chdir(self) -> LocalPath:
        """Make this the working directory; returns the previous one."""
        old = LocalPath()
        os.chdir(self.strpath)
        return old

    def as_cwd(self) -> _AsCwd:
        return _AsCwd(self)


class _AsCwd:
    """``with path.as_cwd():`` — back to the previous directory after."""

    def __init__(self, path: LocalPath) -> None:
        self._path = path
        self._old: LocalPath | None = None

    def __enter__(self) -> LocalPath | None:
        self._old = self._path.chdir()
        return self._old

    def __exit__(self, *exc: object) -> None:
        if self._old is not None:
            self._old.chdir()


def local(path: str | os.PathLike[str]) -> LocalPath:
    """``py.path.local(path)``, dbtest's own."""
    return LocalPath(path)
