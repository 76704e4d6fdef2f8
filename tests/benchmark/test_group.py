"""The authoring API: groups, entries, params, hooks, registration."""

import pytest

from dbtest import BenchmarkGroup, register_group
from dbtest.benchmark.group import registered_count, registered_since
from dbtest.benchmark.runner import find_groups, select_entries


def test_entries_sync_async_and_tags():
    g = BenchmarkGroup("g", baseline="a", tags=["grp"])

    @g.add("a")
    def a():
        return 1

    @g.add("b", tags=["fast"])
    async def b():
        return 2

    assert a() == 1  # the decorator returns the function unchanged
    assert [e.name for e in g.entries] == ["a", "b"]
    assert [e.is_async for e in g.entries] == [False, True]
    assert [e.is_baseline for e in g.entries] == [True, False]
    assert g.entries[1].tags == ("grp", "fast")
    assert g.entries[0].local_id == "g::a"


def test_params_make_one_entry_per_value_with_ids():
    g = BenchmarkGroup("grow")
    seen = []

    @g.add("x", params={"n": [10, 100], "mode": ["a", "b c"]})
    def x(n, mode):
        seen.append((n, mode))

    assert [e.params for e in g.entries] == [
        "n=10,mode=a",
        "n=10,mode=b c",
        "n=100,mode=a",
        "n=100,mode=b c",
    ]
    assert g.entries[0].local_id == "grow::x[n=10,mode=a]"
    for e in g.entries:
        e.bound()()
    assert seen == [(10, "a"), (10, "b c"), (100, "a"), (100, "b c")]


def test_unrepresentable_param_values_use_their_index():
    g = BenchmarkGroup("g")
    g.add("x", params={"data": [[1, 2], "ok", "a::b"]})(lambda data: None)
    assert [e.params for e in g.entries] == ["data=#0", "data=ok", "data=#2"]


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: BenchmarkGroup(""), "non-empty name"),
        (lambda: BenchmarkGroup("a::b"), "may not contain"),
        (lambda: BenchmarkGroup("g", time=0), "time must be > 0"),
        (lambda: BenchmarkGroup("g", min_samples=0), "min_samples"),
        (lambda: BenchmarkGroup("g").add("x", params={"n": []})(lambda n: n), "is empty"),
        (lambda: BenchmarkGroup("g").add("x", params={"n": 5})(lambda n: n), "list of values"),
    ],
)
def test_bad_definitions_are_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_duplicate_entry_and_bare_decorator():
    g = BenchmarkGroup("g")
    g.add("x")(lambda: None)
    with pytest.raises(ValueError, match="already has an entry 'x'"):
        g.add("x")(lambda: None)

    # Bare @g.add names the entry after the function, as the static parse does.
    @g.add
    def loads() -> None:
        pass

    assert loads.__name__ == "loads"
    assert [e.name for e in g.entries] == ["x", "loads"]


def test_hooks_are_recorded():
    g = BenchmarkGroup("g")

    @g.setup
    def s():
        pass

    @g.teardown
    async def t():
        pass

    assert g.setup_hooks == [s] and g.teardown_hooks == [t]


def test_module_globals_and_registered_groups_are_found_once():
    import types

    before = registered_count()
    mod = types.ModuleType("m")
    mod.first = BenchmarkGroup("first")
    hidden = BenchmarkGroup("hidden")
    register_group(hidden)
    register_group(mod.first)  # found both ways: listed once
    groups = find_groups(mod, registered_since(before))
    assert [g.name for g in groups] == ["first", "hidden"]
    with pytest.raises(TypeError):
        register_group("nope")


def test_select_entries_by_exact_and_prefix_ids():
    g = BenchmarkGroup("g")
    g.add("a")(lambda: None)
    g.add("p", params={"n": [1, 2]})(lambda n: None)
    h = BenchmarkGroup("h")
    h.add("z")(lambda: None)
    path = "bench_x.py"

    def ids(req):
        found, missing = select_entries(path, [g, h], req)
        return [
            f"{e.group.name}::{e.name}" + (f"[{e.params}]" if e.params else "") for e in found
        ], missing

    assert ids([path])[0] == ["g::a", "g::p[n=1]", "g::p[n=2]", "h::z"]
    assert ids([f"{path}::h"])[0] == ["h::z"]
    assert ids([f"{path}::g::p"])[0] == ["g::p[n=1]", "g::p[n=2]"]
    assert ids([f"{path}::g::p[n=2]", f"{path}::g::a"]) == (["g::a", "g::p[n=2]"], [])
    assert ids([f"{path}::g::nope"]) == ([], [f"{path}::g::nope"])


def test_selecting_an_entry_brings_its_groups_baseline():
    g = BenchmarkGroup("g", baseline="base")
    g.add("base")(lambda: None)
    g.add("fast")(lambda: None)
    g.add("other")(lambda: None)
    found, _ = select_entries("b.py", [g], ["b.py::g::fast"])
    assert [e.name for e in found] == ["base", "fast"]
