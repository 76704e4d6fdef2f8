"""`BenchmarkGroup`: entries that do the same operation different ways,
measured side by side and compared with the group's baseline entry."""

from __future__ import annotations

import functools
import inspect
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

# Groups passed to `register_group`, in registration order; the runner looks
# here as well as in module globals, so a group created inside a function
# is found too.
_REGISTERED: list[BenchmarkGroup] = []


def _format_value(value: Any, index: int) -> str:
    if value is None or isinstance(value, (bool, int, float, str)):
        text = str(value)
        # Ids are `path::group::entry[params]`: keep the brackets unambiguous.
        if not any(c in text for c in "[]:,") and text.strip() == text and text:
            return text
    return f"#{index}"


def _params_cases(params: Mapping[str, Sequence[Any]]) -> list[tuple[dict[str, Any], str]]:
    """Cartesian product of parameter values, each with its id `n=10,m=x`."""
    keys = list(params)
    for key in keys:
        if not isinstance(key, str) or not key.isidentifier():
            raise ValueError(f"benchmark parameter names must be identifiers, got {key!r}")
        values = params[key]
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise ValueError(f"params[{key!r}] must be a list of values, got {values!r}")
    lists = [list(params[k]) for k in keys]
    for key, values in zip(keys, lists, strict=True):
        if not values:
            raise ValueError(f"params[{key!r}] is empty")
    cases = []
    for combo in itertools.product(*(list(enumerate(v)) for v in lists)):
        kwargs = {k: v for k, (_, v) in zip(keys, combo, strict=True)}
        pid = ",".join(f"{k}={_format_value(v, i)}" for k, (i, v) in zip(keys, combo, strict=True))
        cases.append((kwargs, pid))
    return cases


@dataclass
class BenchEntry:
    """One measured callable: an entry of a group, for one parameter case."""

    group: BenchmarkGroup
    name: str
    func: Callable[..., Any]
    tags: tuple[str, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    params: str | None = None

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.func)

    @property
    def is_baseline(self) -> bool:
        return self.group.baseline is not None and self.name == self.group.baseline

    @property
    def local_id(self) -> str:
        """`group::entry[params]`: the id without the file path."""
        suffix = f"[{self.params}]" if self.params is not None else ""
        return f"{self.group.name}::{self.name}{suffix}"

    def bound(self) -> Callable[[], Any]:
        """The entry as a no-argument callable (parameters bound)."""
        if not self.kwargs:
            return self.func
        return functools.partial(self.func, **self.kwargs)


class BenchmarkGroup:
    """A named set of benchmark entries compared with one baseline entry.

    `time`, `min_samples`, `warmup` and `processes` override dbtest's
    defaults for this group (seconds, count, seconds, count); command-line
    options override both. `processes=1` measures in the bench worker
    itself, for entries whose state cannot be rebuilt in a fresh process.
    `gc=True` leaves the garbage collector enabled while sampling.
    """

    def __init__(
        self,
        name: str,
        baseline: str | None = None,
        *,
        time: float | None = None,
        min_samples: int | None = None,
        warmup: float | None = None,
        gc: bool = False,
        tags: Iterable[str] = (),
        processes: int | None = None,
    ) -> None:
        if not isinstance(name, str) or not name.strip():
            raise ValueError("a BenchmarkGroup needs a non-empty name")
        if "::" in name or "[" in name:
            raise ValueError(f"benchmark group name {name!r} may not contain '::' or '['")
        if time is not None and not time > 0:
            raise ValueError(f"BenchmarkGroup {name!r}: time must be > 0, got {time!r}")
        if min_samples is not None and (not isinstance(min_samples, int) or min_samples < 1):
            raise ValueError(f"BenchmarkGroup {name!r}: min_samples must be >= 1")
        if warmup is not None and warmup < 0:
            raise ValueError(f"BenchmarkGroup {name!r}: warmup must be >= 0")
        if processes is not None and (not isinstance(processes, int) or processes < 1):
            raise ValueError(f"BenchmarkGroup {name!r}: processes must be an integer >= 1")
        self.name = name
        self.baseline = baseline
        self.time = time
        self.min_samples = min_samples
        self.warmup = warmup
        self.gc = gc
        self.processes = processes
        self.tags = tuple(tags)
        self.entries: list[BenchEntry] = []
        self.setup_hooks: list[Callable[[], Any]] = []
        self.teardown_hooks: list[Callable[[], Any]] = []

    def __repr__(self) -> str:
        return f"BenchmarkGroup({self.name!r}, entries={len(self.entries)})"

    def add(
        self,
        name: str | None = None,
        tags: Iterable[str] = (),
        params: Mapping[str, Sequence[Any]] | None = None,
    ) -> Callable[[F], F]:
        """Decorator adding a sync or async function as an entry, named
        `name` or after the function (`@group.add()`, or bare `@group.add`).

        Without `params` the function takes no arguments; with
        `params={"n": [10, 100]}` it is called as `f(n=10)`, `f(n=100)`,
        each case its own entry (`entry[n=10]`).
        """
        if callable(name):
            # Bare `@group.add`: the entry is named after the function.
            return self.add()(name)  # type: ignore[return-value]

        def decorator(func: F) -> F:
            entry_name = name if name is not None else func.__name__
            if not isinstance(entry_name, str) or not entry_name.strip():
                raise ValueError(f"group {self.name!r}: entry names must be non-empty strings")
            if "::" in entry_name or "[" in entry_name:
                raise ValueError(f"entry name {entry_name!r} may not contain '::' or '['")
            if any(e.name == entry_name for e in self.entries):
                raise ValueError(f"group {self.name!r} already has an entry {entry_name!r}")
            all_tags = self.tags + tuple(t for t in tags if t not in self.tags)
            if params is None:
                self.entries.append(BenchEntry(self, entry_name, func, all_tags))
            else:
                for kwargs, pid in _params_cases(params):
                    self.entries.append(BenchEntry(self, entry_name, func, all_tags, kwargs, pid))
            return func

        return decorator

    def setup(self, func: F) -> F:
        """Decorator: run `func` (sync or async) before the group's entries."""
        self.setup_hooks.append(func)
        return func

    def teardown(self, func: F) -> F:
        """Decorator: run `func` (sync or async) after the group's entries."""
        self.teardown_hooks.append(func)
        return func


def register_group(group: BenchmarkGroup) -> BenchmarkGroup:
    """Register a group explicitly. What runs is what the static parse lists:
    `g = register_group(BenchmarkGroup(...))` at module level is listed like
    `g = BenchmarkGroup(...)`; a group built inside a function is not."""
    if not isinstance(group, BenchmarkGroup):
        raise TypeError(f"register_group expects a BenchmarkGroup, got {type(group).__name__}")
    if not any(g is group for g in _REGISTERED):
        _REGISTERED.append(group)
    return group


def registered_count() -> int:
    """How many groups were registered so far (the runner diffs this)."""
    return len(_REGISTERED)


def registered_since(count: int) -> list[BenchmarkGroup]:
    return list(_REGISTERED[count:])
