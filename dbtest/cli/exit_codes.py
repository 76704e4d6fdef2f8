"""The documented exit codes (docs/cli.md), as the engine defines them
(`rust_core/engine/src/exit_code.rs`)."""

from __future__ import annotations

import sys

from dbtest._core import EXIT_CODES

# Annotations only: importing typing at start-up delays the workers (cli/__init__.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn

_CODE = {name: code for code, name, _meaning in EXIT_CODES}

OK: int = _CODE["OK"]
TESTS_FAILED: int = _CODE["TESTS_FAILED"]
INTERRUPTED: int = _CODE["INTERRUPTED"]
INTERNAL_ERROR: int = _CODE["INTERNAL_ERROR"]
USAGE_ERROR: int = _CODE["USAGE_ERROR"]
NO_TESTS: int = _CODE["NO_TESTS"]


def fail(message: str, code: int = USAGE_ERROR) -> NoReturn:
    """Print a one-line error to stderr and exit with `code`."""
    sys.stderr.write(f"dbtest: error: {message}\n")
    sys.stderr.flush()
    raise SystemExit(code)
