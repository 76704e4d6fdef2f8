"""What the project's pytest configuration asks of every test.

The engine reads the configuration (``rust_core/engine/src/config/pytest.rs``)
and hands each worker what applies inside it through the environment:
``xfail_strict`` and ``filterwarnings``.
"""

from __future__ import annotations

import os


# `xfail_strict = true`: an xfail mark without `strict=` is strict.
def _xfail_strict() -> bool:
    return os.environ.get("DBTEST_XFAIL_STRICT") == "1"


XFAIL_STRICT = _xfail_strict()


# `filterwarnings`: applied around every test, before its own marks.
def _filters() -> list[str]:
    text = os.environ.get("DBTEST_FILTERWARNINGS")
    if not text:
        return []
    import json  # only then: 2 ms of every worker's start otherwise

    return [str(f) for f in json.loads(text)]


FILTERWARNINGS: list[str] = _filters()


def load() -> None:
    """Read the environment again: an in-process worker (``--in-process``)
    sets it after this module was imported."""
    global XFAIL_STRICT, FILTERWARNINGS
    XFAIL_STRICT = _xfail_strict()
    FILTERWARNINGS = _filters()
