"""``capsys`` and ``capfd``: what a test writes, read back by the test.

``capsys`` taps the test's own capture (dbtest already routes each test's
``sys.stdout``/``sys.stderr`` to it, correctly under concurrency): what the
test writes while it is active is also kept for ``readouterr()``. With
capture off (``-s``) it swaps the streams for the test. ``capfd`` points
file descriptors 1 and 2 at temporary files for the test, so output of
subprocesses and C code is seen too.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from typing import Any, NamedTuple

from dbtest.execution import capture as cap_mod


class CaptureResult(NamedTuple):
    out: Any
    err: Any


class _Tap:
    """Receives what the test writes, beside its capture."""

    def __init__(self) -> None:
        self.parts: dict[str, list[str]] = {"stdout": [], "stderr": []}

    def write(self, stream: str, text: str) -> None:
        if stream in self.parts:
            self.parts[stream].append(text)

    def take(self, stream: str) -> str:
        text = "".join(self.parts[stream])
        self.parts[stream].clear()
        return text


class CaptureFixture:
    """``capsys``/``capsysbinary``: ``readouterr()`` returns what was written
    since the last call; ``disabled()`` lets output through."""

    def __init__(self, binary: bool) -> None:
        self.binary = binary
        self._tap = _Tap()
        self._capture: Any = None
        self._saved: tuple[Any, Any] | None = None

    def __enter__(self) -> CaptureFixture:
        self._capture = cap_mod.current.get()
        if self._capture is not None:
            self._capture.taps.append(self._tap)
        else:
            self._saved = (sys.stdout, sys.stderr)
            sys.stdout = _Writer(self._tap, "stdout")  # type: ignore[assignment]
            sys.stderr = _Writer(self._tap, "stderr")  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._capture is not None:
            self._capture.taps.remove(self._tap)
        elif self._saved is not None:
            sys.stdout, sys.stderr = self._saved

    def readouterr(self) -> CaptureResult:
        for s in (sys.stdout, sys.stderr):
            try:
                s.flush()
            except Exception:  # noqa: BLE001 - a closed stream has nothing to flush
                pass
        out, err = self._tap.take("stdout"), self._tap.take("stderr")
        if self.binary:
            return CaptureResult(out.encode(), err.encode())
        return CaptureResult(out, err)

    def disabled(self) -> Any:
        import contextlib

        return contextlib.nullcontext()


class _Writer(io.TextIOBase):
    def __init__(self, tap: _Tap, stream: str) -> None:
        self._tap = tap
        self._stream = stream

    def write(self, text: Any) -> int:
        self._tap.write(self._stream, str(text))
        return len(text)

    def writable(self) -> bool:
        return True


class FdCapture:
    """``capfd``/``capfdbinary``: fd 1 and 2 go to files during the test."""

    def __init__(self, binary: bool) -> None:
        self.binary = binary
        self._files: list[Any] = []
        self._saved: list[int] = []
        self._read = [0, 0]
        self._sys = CaptureFixture(binary)

    def __enter__(self) -> FdCapture:
        for fd in (1, 2):
            f = tempfile.TemporaryFile()
            self._files.append(f)
            self._saved.append(os.dup(fd))
            os.dup2(f.fileno(), fd)
        self._sys.__enter__()  # what goes through sys.stdout too
        return self

    def __exit__(self, *exc: Any) -> None:
        self._sys.__exit__(*exc)
        for fd, saved in zip((1, 2), self._saved, strict=True):
            os.dup2(saved, fd)
            os.close(saved)
        for f in self._files:
            f.close()

    def readouterr(self) -> CaptureResult:
        py = self._sys.readouterr()
        parts = []
        for i, f in enumerate(self._files):
            f.seek(self._read[i])
            data = f.read()
            self._read[i] += len(data)
            text = data if self.binary else data.decode("utf-8", "replace")
            parts.append(text + (py[i] if isinstance(py[i], type(text)) else py[i].decode()))
        return CaptureResult(parts[0], parts[1])

    def disabled(self) -> Any:
        import contextlib

        return contextlib.nullcontext()
