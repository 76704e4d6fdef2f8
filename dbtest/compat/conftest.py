"""``conftest.py`` files: the fixtures a directory gives the tests under it.

For a test file, the ``conftest.py`` files of its directory and every parent
up to the project root are imported (once per worker, outermost first,
before the test module, as pytest does) and their fixtures are visible to
its tests, the nearest first. A conftest that fails to import makes the
tests under it errors, with its traceback; the run goes on. Hooks
(``pytest_*`` functions) are not run: the engine names them at the start
of the run.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from types import FunctionType, ModuleType
from typing import Any

from dbtest.api.fixtures import FixtureDef, get_fixture


@dataclass
class Conftest:
    """One imported ``conftest.py``: its fixtures by name."""

    path: str  # relative to the root, `/`-separated
    module: ModuleType | None
    fixtures: dict[str, FixtureDef] = field(default_factory=dict)
    # The import failed: (message, traceback).
    error: tuple[str, str] | None = None


def chain_paths(root: str, test_path: str) -> list[str]:
    """The ``conftest.py`` files that apply to ``test_path`` (relative to
    ``root``), outermost first, as paths relative to the root."""
    directory = test_path.replace("\\", "/").rpartition("/")[0]
    return list(_chain(root, directory))


@functools.lru_cache(maxsize=4096)
def _chain(root: str, directory: str) -> tuple[str, ...]:
    # Per directory, once per worker: most test files share theirs.
    above = _chain(root, directory.rpartition("/")[0]) if directory else ()
    rel = f"{directory}/conftest.py" if directory else "conftest.py"
    return (*above, rel) if os.path.isfile(os.path.join(root, rel)) else above


def fixtures_of(module: ModuleType) -> dict[str, FixtureDef]:
    """The fixtures a module defines or imports, by the name they are visible under."""
    out: dict[str, FixtureDef] = {}
    for attr, obj in vars(module).items():
        # Only functions and pytest's fixture wrappers can be fixtures; this
        # runs over every global of every test module.
        if type(obj) is not FunctionType and type(obj).__name__ != "FixtureFunctionDefinition":
            continue
        fd = get_fixture(obj)
        if fd is not None:
            out.setdefault(fd.name, fd)
            if attr != fd.name and attr not in out and _is_alias(attr, obj):
                out[attr] = fd
    return out


def _is_alias(attr: str, obj: Any) -> bool:
    # A dbtest fixture imported under another name keeps working under it;
    # a pytest fixture with `name=` is visible only under that name.
    return getattr(obj, "_fixture_function_marker", None) is None and not hasattr(
        obj, "_pytestfixturefunction"
    )
