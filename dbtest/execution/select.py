"""Which of a module's items a unit's ids name: exact ids, prefixes, a
case the parse listed that parametrized fixtures multiplied, a doctest."""

from __future__ import annotations

from dbtest.execution.collect import LoadedModule
from dbtest.execution.item import Item


def extends_case(item_id: str, req: str) -> bool:
    """A case the parse listed, multiplied at import by parametrized fixtures
    or a class's cases: ``t[1]`` stands for ``t[sqlite-1]`` and ``t[1-x]``
    (the engine's ``extends_case`` is the same rule)."""
    base, bracket, case = req.partition("[")
    if not bracket or not item_id.startswith(base + "[") or len(item_id) <= len(req):
        return False
    return f"-{case[:-1]}-" in f"-{item_id[len(base) + 1 : -1]}-"


def _may_be_doctest(test_id: str, module_name: str) -> bool:
    """A doctest's id names the module or a dotted object in it
    (``path::module.func``), which no test, suite or case id does: only then
    are the module's doctests looked for (finding them imports doctest and
    walks the module)."""
    rest = test_id.partition("::")[2]
    return rest == module_name or ("." in rest and "::" not in rest and "[" not in rest)


def select(loaded: LoadedModule, ids: list[str]) -> tuple[list[Item], list[str]]:
    """Items named by ``ids`` (exact ids or prefixes), in file order; and the ids that matched nothing."""
    # Exact ids, the usual request, are looked up: scanning every item for
    # every id made a unit of 64 tests of a 1,000-test file cost milliseconds.
    items, path, index = loaded.items, loaded.path, loaded.by_id
    chosen: set[str] = set()
    missing = []
    renamed: dict[str, str] = {}
    found_later: list[Item] = []
    for req in ids:
        if req in index:
            chosen.add(req)
            continue
        doc = loaded.doctests.get(req) if _may_be_doctest(req, loaded.module.__name__) else None
        if doc is not None:
            found_later.append(doc)
            continue
        if not req.isascii() and req.startswith(path + "::"):
            # Python keeps identifiers in NFKC form (`µ` becomes `μ`); the
            # static parse keeps the source's: the id it listed is the one
            # kept. Only the names are normalized, not the file or the cases.
            import unicodedata

            names, bracket, cases = req[len(path) + 2 :].partition("[")
            real = f"{path}::{unicodedata.normalize('NFKC', names)}{bracket}{cases}"
            if real in index:
                chosen.add(real)
                renamed[real] = req
                continue
        hit = False
        for item in items:
            if (
                req == path
                or item.id.startswith(req + "::")
                or item.id.startswith(req + "[")
                or extends_case(item.id, req)
            ):
                chosen.add(item.id)
                hit = True
        if not hit:
            missing.append(req)
    picked = [i for i in items if i.id in chosen] + found_later
    if renamed:
        from dataclasses import replace

        picked = [replace(i, id=renamed[i.id]) if i.id in renamed else i for i in picked]
    return picked, missing
