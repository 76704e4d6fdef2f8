"""``pytestconfig`` and ``request.config``: the run as pytest's config shows it.

Options dbtest does not have (those a conftest adds with
``pytest_addoption``, which dbtest does not run) read as their default.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

# pytest option names and what they are under dbtest.
_KNOWN = {"verbose": 0, "capture": "fd", "markexpr": "", "keyword": "", "usepdb": False}


class Config:
    """The subset of pytest's ``Config`` that suites read."""

    def __init__(self, root: str) -> None:
        self.rootpath = Path(root)
        self.rootdir = self.rootpath
        self.inipath = None
        self.option = SimpleNamespace(**_KNOWN)
        self.invocation_params = SimpleNamespace(dir=self.rootpath, args=())
        self.stash: dict[Any, Any] = {}

    def getoption(self, name: str, default: Any = None, skip: bool = False) -> Any:
        key = name.lstrip("-").replace("-", "_")
        return getattr(self.option, key, default)

    def getini(self, name: str) -> Any:
        return []

    def addinivalue_line(self, name: str, line: str) -> None:
        """Accepted and ignored (markers are dbtest tags already)."""


_CONFIG: Config | None = None


def config() -> Config:
    """The one config of this worker, rooted where its tests run."""
    global _CONFIG
    if _CONFIG is None:
        _CONFIG = Config(os.getcwd())
    return _CONFIG
