"""The documented exit codes (docs/cli.md), as the engine defines them
(`rust_core/engine/src/exit_code.rs`)."""

from dbtest._core import EXIT_CODES

_CODE = {name: code for code, name, _meaning in EXIT_CODES}

OK: int = _CODE["OK"]
TESTS_FAILED: int = _CODE["TESTS_FAILED"]
INTERRUPTED: int = _CODE["INTERRUPTED"]
INTERNAL_ERROR: int = _CODE["INTERNAL_ERROR"]
USAGE_ERROR: int = _CODE["USAGE_ERROR"]
NO_TESTS: int = _CODE["NO_TESTS"]
