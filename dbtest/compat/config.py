"""``pytestconfig`` and ``request.config``: the run as pytest's config shows it.

Options dbtest does not have (those a conftest adds with
``pytest_addoption``, which dbtest does not run) read as their default.
"""

from __future__ import annotations

import os
from types import SimpleNamespace
from typing import Any

# pytest option names and what they are under dbtest.
_KNOWN = {"verbose": 0, "capture": "fd", "markexpr": "", "keyword": "", "usepdb": False}


class PluginManager:
    """``config.pluginmanager`` under dbtest, which loads no pytest plugins
    and runs no hooks: it starts empty (``hasplugin("logging-plugin")`` is
    False) and only keeps what the suite registers itself, so a fixture that
    unregisters a plugin and registers it back at teardown works as under
    pytest. A registered plugin's hooks are not called."""

    def __init__(self) -> None:
        self._plugins: dict[str, Any] = {}

    def register(self, plugin: Any, name: str | None = None) -> str | None:
        """Keep ``plugin`` under ``name``; None if that name is taken."""
        name = name or str(id(plugin))
        if name in self._plugins:
            return None
        self._plugins[name] = plugin
        return name

    def unregister(self, plugin: Any = None, name: str | None = None) -> Any:
        """Remove a plugin by object or name and return it (None if absent)."""
        if name is None:
            name = next((n for n, p in self._plugins.items() if p is plugin), None)
        return self._plugins.pop(name, None) if name is not None else None

    def getplugin(self, name: str) -> Any:
        return self._plugins.get(name)

    def hasplugin(self, name: str) -> bool:
        return name in self._plugins

    def is_registered(self, plugin: Any) -> bool:
        return any(p is plugin for p in self._plugins.values())

    def get_plugins(self) -> set[Any]:
        return set(self._plugins.values())

    def list_name_plugin(self) -> list[tuple[str, Any]]:
        return list(self._plugins.items())


class Config:
    """The subset of pytest's ``Config`` that suites read."""

    def __init__(self, root: str) -> None:
        from pathlib import Path  # here: see dbtest/compat/request.py

        self.rootpath = Path(root)
        self.rootdir = self.rootpath
        self.inipath = None
        self.option = SimpleNamespace(**_KNOWN)
        self.invocation_params = SimpleNamespace(dir=self.rootpath, args=())
        self.stash: dict[Any, Any] = {}
        self.pluginmanager = PluginManager()

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
