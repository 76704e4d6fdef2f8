"""Values of the sub-expressions of a failed bare ``assert``, without an import hook.

When an ``assert`` without a message fails, the statement's source is re-read
from the failing frame (``linecache``), parsed with ``ast``, and the
interesting sub-expressions (comparison operands, operands of ``and``/``or``/
``not``, call arguments, attribute chains, subscripts) are evaluated again in
the frame's globals and locals.

Limits (documented in docs/writing-tests.md):

- Re-evaluation happens after the failure. An expression containing a call is
  only re-evaluated when every call in it is a known side-effect-free builtin
  (``len``, ``sorted``, ``isinstance`` ...); other calls are shown by their
  arguments only. ``await``, ``yield`` and ``:=`` are never re-evaluated.
- Attribute access and subscripts are re-evaluated, so a property with side
  effects runs again.
- Values mutated by the failing expression itself show their new value.
- Needs the source file; code from ``exec`` strings gets the plain message.
"""

from __future__ import annotations

import ast
import linecache
from types import FrameType
from typing import Any

from dbtest.api.diff import diff, short_repr

_PURE_BUILTINS = frozenset(
    {
        "len", "sorted", "set", "frozenset", "list", "tuple", "dict", "str", "repr",
        "abs", "min", "max", "sum", "any", "all", "isinstance", "issubclass", "type",
        "bool", "int", "float", "round", "reversed", "hasattr", "callable", "id",
    }
)  # fmt: skip

_UNSAFE = (ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr, ast.Lambda)


_parsed: dict[tuple[str, int], ast.Module | None] = {}


def _tree(filename: str, frame: FrameType) -> ast.Module | None:
    lines = linecache.getlines(filename, frame.f_globals)
    key = (filename, hash(tuple(lines)))
    if key not in _parsed:
        try:
            _parsed[key] = ast.parse("".join(lines), filename) if lines else None
        except SyntaxError:
            _parsed[key] = None
    return _parsed[key]


def _find_assert(tree: ast.Module, lineno: int) -> ast.Assert | None:
    best = None
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert) and node.lineno <= lineno <= (
            node.end_lineno or node.lineno
        ):
            if best is None or node.lineno >= best.lineno:
                best = node
    return best


def _safe(node: ast.AST, frame: FrameType) -> bool:
    """True when re-evaluating ``node`` cannot call user code (beyond attribute access)."""
    for sub in ast.walk(node):
        if isinstance(sub, _UNSAFE):
            return False
        if isinstance(sub, ast.Call):
            f = sub.func
            if not isinstance(f, ast.Name) or f.id not in _PURE_BUILTINS:
                return False
            # The name must still mean the builtin (not shadowed by the test).
            if f.id in frame.f_locals or f.id in frame.f_globals:
                return False
    return True


class _Unavailable:
    pass


def _eval(node: ast.expr, frame: FrameType) -> Any:
    expr = ast.Expression(body=node)
    ast.fix_missing_locations(expr)
    try:
        code = compile(expr, "<dbtest-introspect>", "eval")
        return eval(code, frame.f_globals, dict(frame.f_locals))  # noqa: S307
    except BaseException:
        return _Unavailable


def _is_trivial(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant)


def explain(frame: FrameType, lineno: int) -> str | None:
    """The failure message of the bare ``assert`` at ``lineno`` in ``frame``, or None."""
    try:
        filename = frame.f_code.co_filename
        tree = _tree(filename, frame)
        if tree is None:
            return None
        node = _find_assert(tree, lineno)
        if node is None or node.msg is not None:
            return None
        source = ast.unparse(node.test)
        lines = [f"assert {source}"]
        _describe(node.test, frame, lines, depth=0)
        return "\n".join(lines)
    except Exception:
        return None


def _show(node: ast.expr, frame: FrameType, lines: list[str], seen: set[str], indent: str) -> Any:
    """Add ``where <expr> = <value>`` for a sub-expression; returns the value (or _Unavailable)."""
    text = ast.unparse(node)
    if _is_trivial(node) or text in seen:
        return _eval(node, frame) if _is_trivial(node) else _Unavailable
    seen.add(text)
    if not _safe(node, frame):
        # Show what we can without calling: the arguments of the call.
        if isinstance(node, ast.Call):
            lines.append(
                f"{indent}{text} was not re-evaluated (it calls code that may have side effects)"
            )
            for arg in node.args:
                _show(arg, frame, lines, seen, indent + "  ")
            for kw in node.keywords:
                _show(kw.value, frame, lines, seen, indent + "  ")
        return _Unavailable
    value = _eval(node, frame)
    if value is _Unavailable:
        return value
    lines.append(f"{indent}where {text} = {short_repr(value)}")
    # Expand attribute chains and subscripts one level: `user.name` shows `user` too.
    if isinstance(node, (ast.Attribute, ast.Subscript)) and not isinstance(node.value, ast.Name):
        _show(node.value, frame, lines, seen, indent + "  ")
    if isinstance(node, ast.Call):
        for arg in node.args:
            if not isinstance(arg, ast.Constant):
                _show(arg, frame, lines, seen, indent + "  ")
    return value


def _describe(test: ast.expr, frame: FrameType, lines: list[str], depth: int) -> None:
    seen: set[str] = set()
    if isinstance(test, ast.Compare):
        values = [_show(test.left, frame, lines, seen, "  ")]
        for comp in test.comparators:
            values.append(_show(comp, frame, lines, seen, "  "))
        if len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
            left, right = values
            if left is not _Unavailable and right is not _Unavailable:
                d = diff(right, left)
                if d:
                    lines.append(
                        "Difference (- right, + left):" if d.startswith("---") else "Difference:"
                    )
                    lines.append(d)
        return
    if isinstance(test, ast.BoolOp):
        for v in test.values:
            _show(v, frame, lines, seen, "  ")
        return
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        _show(test.operand, frame, lines, seen, "  ")
        return
    _show(test, frame, lines, seen, "  ")


def explain_exception(exc: AssertionError) -> str | None:
    """For a message-less ``AssertionError`` from a bare ``assert``, the explained message."""
    if exc.args:
        return None
    from dbtest.execution.traceback import last_user_frame

    found = last_user_frame(exc)
    if found is None:
        return None
    frame, lineno = found
    return explain(frame, lineno)
