"""Per-test capture of stdout, stderr and logging, correct under concurrency.

``sys.stdout``/``sys.stderr`` are replaced by proxies that look up the test
running in the current asyncio task (a ``ContextVar``) and append to its
buffers; writes outside any test go to the real streams. A logging handler
on the root logger does the same for log records. Buffers keep the head and
the tail of a stream and drop the middle past ``max_bytes`` (measured in
characters), so a test printing gigabytes cannot exhaust memory.
"""

from __future__ import annotations

import collections
import contextvars
import io
import logging
import sys
from collections.abc import Callable
from typing import Any, TextIO

LiveOutput = Callable[[str, str, str], None]

MAX_LOG_RECORDS = 10_000


def sanitize(text: str) -> str:
    """Make ``text`` valid UTF-8 (lone surrogates from undecodable bytes become U+FFFD)."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


class BoundedBuffer:
    """Keeps the first and last ``limit // 2`` characters written."""

    def __init__(self, limit: int) -> None:
        self.half = max(1, limit // 2)
        self.head: list[str] = []
        self.head_size = 0
        self.tail: collections.deque[str] = collections.deque()
        self.tail_size = 0
        self.omitted = 0

    def write(self, text: str) -> None:
        if self.head_size < self.half:
            room = self.half - self.head_size
            part = text[:room]
            self.head.append(part)
            self.head_size += len(part)
            text = text[room:]
            if not text:
                return
        self.tail.append(text)
        self.tail_size += len(text)
        # Drop whole chunks from the front of the tail while they are not needed.
        while self.tail and self.tail_size - len(self.tail[0]) >= self.half:
            dropped = self.tail.popleft()
            self.tail_size -= len(dropped)
            self.omitted += len(dropped)

    def getvalue(self) -> str:
        tail = "".join(self.tail)
        if len(tail) > self.half:
            self.omitted += len(tail) - self.half
            tail = tail[-self.half :]
            self.tail = collections.deque([tail])
            self.tail_size = len(tail)
        head = "".join(self.head)
        if self.omitted:
            return sanitize(f"{head}\n[... {self.omitted} bytes omitted ...]\n{tail}")
        return sanitize(head + tail)


class TestCapture:
    """The captured output of one test attempt."""

    def __init__(self, test_id: str, limit: int, live: LiveOutput | None) -> None:
        self.test_id = test_id
        self.limit = limit
        self.live = live
        self.live_sent = 0
        # Created on first write: most tests print nothing.
        self.streams: dict[str, BoundedBuffer] = {}
        self.logs: list[dict[str, Any]] = []
        self.logs_dropped = 0
        # `capsys` fixtures reading what the test writes (compat/capture.py).
        self.taps: list[Any] = []

    def write(self, stream: str, text: str) -> None:
        for tap in self.taps:
            tap.write(stream, text)
        buf = self.streams.get(stream)
        if buf is None:
            buf = self.streams[stream] = BoundedBuffer(self.limit)
        buf.write(text)
        if self.live is not None and self.live_sent < self.limit:
            chunk = text[: self.limit - self.live_sent]
            self.live_sent += len(chunk)
            try:
                self.live(self.test_id, stream, sanitize(chunk))
            except Exception:  # a broken consumer must not fail the test
                self.live = None

    def log(self, record: logging.LogRecord, message: str) -> None:
        if len(self.logs) >= MAX_LOG_RECORDS:
            self.logs_dropped += 1
            return
        self.logs.append(
            {
                "level": record.levelname,
                "logger": record.name,
                "message": sanitize(message),
                "time": record.created,
            }
        )

    def text(self, stream: str) -> str:
        buf = self.streams.get(stream)
        return buf.getvalue() if buf is not None else ""


current: contextvars.ContextVar[TestCapture | None] = contextvars.ContextVar(
    "dbtest_capture", default=None
)


class _BufferProxy:
    """``sys.stdout.buffer`` for binary writes: decoded with replacement."""

    def __init__(self, proxy: StreamProxy) -> None:
        self._proxy = proxy

    def write(self, data: bytes) -> int:
        cap = current.get()
        if cap is None:
            real = getattr(self._proxy.real, "buffer", None)
            return real.write(data) if real is not None else len(data)
        cap.write(self._proxy.name, bytes(data).decode("utf-8", "replace"))
        return len(data)

    def flush(self) -> None:
        real = getattr(self._proxy.real, "buffer", None)
        if real is not None:
            real.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._proxy.real.buffer, name)


class StreamProxy(io.TextIOBase):
    """Stands in for ``sys.stdout``/``sys.stderr`` and routes writes per test."""

    def __init__(self, name: str, real: TextIO) -> None:
        super().__init__()
        self.name = name  # type: ignore[misc]
        self.real = real
        self._buffer = _BufferProxy(self)

    def write(self, text: Any) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        cap = current.get()
        if cap is None:
            return self.real.write(text)
        cap.write(self.name, text)
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if current.get() is None:
            try:
                self.real.flush()
            except Exception:
                pass

    @property
    def buffer(self) -> Any:  # type: ignore[override]
        return self._buffer

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    @property
    def errors(self) -> str:  # type: ignore[override]
        return "replace"

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.real.fileno()


class CaptureHandler(logging.Handler):
    """Routes log records to the running test's capture."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        cap = current.get()
        if cap is None:
            return
        try:
            message = record.getMessage()
        except Exception as e:  # bad format args must not fail the test
            message = f"<unformattable log message {record.msg!r}: {e}>"
        cap.log(record, message)


class _Installed:
    count = 0
    saved: tuple[Any, Any] | None = None
    handler: CaptureHandler | None = None


def install() -> None:
    """Install the proxies and the log handler (reference-counted)."""
    if _Installed.count == 0:
        _Installed.saved = (sys.stdout, sys.stderr)
        sys.stdout = StreamProxy("stdout", sys.stdout)  # type: ignore[assignment]
        sys.stderr = StreamProxy("stderr", sys.stderr)  # type: ignore[assignment]
        _Installed.handler = CaptureHandler()
        logging.getLogger().addHandler(_Installed.handler)
    _Installed.count += 1


def uninstall() -> None:
    """Undo one ``install``; the last one restores the real streams."""
    if _Installed.count == 0:
        return
    _Installed.count -= 1
    if _Installed.count == 0:
        assert _Installed.saved is not None
        # Only restore what we replaced (a test may have swapped the streams itself).
        if isinstance(sys.stdout, StreamProxy):
            sys.stdout = _Installed.saved[0]
        if isinstance(sys.stderr, StreamProxy):
            sys.stderr = _Installed.saved[1]
        if _Installed.handler is not None:
            logging.getLogger().removeHandler(_Installed.handler)
        _Installed.saved = None
        _Installed.handler = None


def ensure_streams() -> None:
    """Put the proxies back if a test replaced ``sys.stdout``/``sys.stderr``."""
    if _Installed.count and _Installed.saved is not None:
        if not isinstance(sys.stdout, StreamProxy):
            sys.stdout = StreamProxy("stdout", _Installed.saved[0])  # type: ignore[assignment]
        if not isinstance(sys.stderr, StreamProxy):
            sys.stderr = StreamProxy("stderr", _Installed.saved[1])  # type: ignore[assignment]
