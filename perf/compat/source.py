"""What the test source says about a test, for naming the cause of a difference.

The panel reads the tree with Python's `ast` (it is the panel, not dbtest):
where a test is defined, what its classes derive from, its decorators and
arguments, which fixtures the conftest.py files define (with `params=`,
`autouse=True`), and which marks the project's pytest config deselects.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class TestId:
    """`path::Class::name[params]` split into its parts."""

    path: str
    chain: tuple[str, ...]  # classes then the test's name
    params: str | None

    @property
    def base(self) -> str:
        """The id without its `[params]`."""
        return "::".join((self.path, *self.chain))

    @classmethod
    def parse(cls, test_id: str) -> TestId:
        path, _, rest = test_id.partition("::")
        params = None
        if rest.endswith("]") and "[" in rest:
            rest, _, params = rest.partition("[")
            params = params[:-1]
        return cls(path, tuple(rest.split("::")) if rest else (), params)


@dataclass
class Fixture:
    name: str
    params: bool
    autouse: bool
    directory: str  # relative directory of its conftest.py ("" for module fixtures)


@dataclass
class Source:
    root: Path
    _fixtures: list[Fixture] | None = field(default=None, init=False)
    _modules: dict[str, ast.Module | None] = field(default_factory=dict, init=False)

    def module(self, path: str) -> ast.Module | None:
        if path not in self._modules:
            try:
                self._modules[path] = ast.parse((self.root / path).read_bytes())
            except (OSError, SyntaxError, ValueError):
                self._modules[path] = None
        return self._modules[path]

    def classes(self, path: str) -> dict[str, ast.ClassDef]:
        tree = self.module(path)
        return {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)} if tree else {}

    def find(self, path: str, chain: tuple[str, ...]) -> ast.AST | None:
        """The class or function `chain` names, looking through same-file bases."""
        node: ast.AST | None = self.module(path)
        for name in chain:
            node = self._member(path, node, name) if node is not None else None
        return node

    def _member(self, path: str, node: ast.AST, name: str, depth: int = 0) -> ast.AST | None:
        for child in getattr(node, "body", []):
            if (
                isinstance(child, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                and child.name == name
            ):
                return child
        if isinstance(node, ast.ClassDef) and depth < 10:
            for base in node.bases:
                local = self.classes(path).get(_dotted(base))
                if local is not None and (found := self._member(path, local, name, depth + 1)):
                    return found
        return None

    def defined_nested(self, path: str, name: str) -> bool:
        """A function `name` exists somewhere in the file (under if/try, in a function...)."""
        tree = self.module(path)
        return tree is not None and any(
            isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name
            for n in ast.walk(tree)
        )

    def is_plain_class(self, path: str, cls: ast.ClassDef, depth: int = 0) -> bool:
        """No base, `object`, or only plain classes of the same file."""
        local = self.classes(path)
        for base in cls.bases:
            name = _dotted(base)
            if name == "object":
                continue
            if (
                name not in local
                or depth > 10
                or not self.is_plain_class(path, local[name], depth + 1)
            ):
                return False
        return True

    def marks(self, path: str, chain: tuple[str, ...]) -> str:
        """The source of every decorator on the test and its classes, and of `pytestmark`."""
        texts = []
        tree = self.module(path)
        if tree is not None:
            texts += [ast.unparse(n) for n in tree.body if _assigns(n, "pytestmark")]
        for i in range(1, len(chain) + 1):
            node = self.find(path, chain[:i])
            if node is not None:
                texts += [ast.unparse(d) for d in getattr(node, "decorator_list", [])]
                texts += [
                    ast.unparse(n) for n in getattr(node, "body", []) if _assigns(n, "pytestmark")
                ]
        return "\n".join(texts)

    def arguments(self, path: str, chain: tuple[str, ...]) -> list[str]:
        node = self.find(path, chain)
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return []
        return [a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]

    def fixtures(self) -> list[Fixture]:
        """`@pytest.fixture` functions of every conftest.py of the tree."""
        if self._fixtures is None:
            self._fixtures = []
            for conftest in sorted(self.root.rglob("conftest.py")):
                rel = conftest.relative_to(self.root)
                tree = self.module(str(rel))
                directory = "" if rel.parent == Path(".") else rel.parent.as_posix()
                self._fixtures += _fixture_defs(tree, directory) if tree else []
        return self._fixtures

    def module_fixtures(self, path: str) -> list[Fixture]:
        tree = self.module(path)
        return _fixture_defs(tree, "") if tree else []

    def applying_fixtures(self, test: TestId) -> list[Fixture]:
        """The fixtures of the test's module and of the conftest.py files above it."""
        return [
            fx
            for fx in self.fixtures() + self.module_fixtures(test.path)
            if fx.directory == "" or test.path.startswith(fx.directory + "/")
        ]

    def fixture_params_apply(self, test: TestId) -> bool:
        """A fixture with `params=` parametrizes this test: it asks for one, or one is autouse."""
        args = set(self.arguments(test.path, test.chain))
        return any(
            fx.params and (fx.autouse or fx.name in args) for fx in self.applying_fixtures(test)
        )

    def deselected_marks(self) -> set[str]:
        """Marks the project's pytest config deselects with `-m "not X"` in addopts."""
        marks: set[str] = set()
        for name in ("pytest.toml", "pyproject.toml", "pytest.ini", "tox.ini", "setup.cfg"):
            try:
                text = (self.root / name).read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            for line in text.splitlines():
                if "addopts" in line:
                    marks.update(re.findall(r"-m\s*['\"]?\s*not\s+(\w+)", line))
        return marks


def _dotted(node: ast.AST) -> str:
    return ast.unparse(node)


def _assigns(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == name for t in node.targets
    )


def _fixture_defs(tree: ast.Module, directory: str) -> list[Fixture]:
    found = []
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for deco in node.decorator_list:
            call = deco if isinstance(deco, ast.Call) else None
            target = call.func if call else deco
            if not _dotted(target).endswith("fixture"):
                continue
            kwargs = {k.arg: k.value for k in call.keywords} if call else {}
            name = node.name
            if isinstance(kwargs.get("name"), ast.Constant):
                name = kwargs["name"].value
            autouse = (
                isinstance(kwargs.get("autouse"), ast.Constant) and kwargs["autouse"].value is True
            )
            found.append(Fixture(name, "params" in kwargs, autouse, directory))
    return found
