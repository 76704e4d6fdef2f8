"""Which of a module's items a unit's ids name: exact ids, prefixes, a
case the parse listed that parametrized fixtures multiplied, a doctest."""

from __future__ import annotations

from dbtest import ids as id_grammar
from dbtest.execution.collect import LoadedModule
from dbtest.execution.item import Item


def _may_be_doctest(test_id: str, module_name: str) -> bool:
    """A doctest's id names the module or a dotted object in it
    (``path::module.func``), which no test, suite or case id does: only then
    are the module's doctests looked for (finding them imports doctest and
    walks the module)."""
    rest = id_grammar.local(test_id)
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
        if not req.isascii() and id_grammar.path_of(req) == path:
            # Python keeps identifiers in NFKC form (`µ` becomes `μ`); the
            # static parse keeps the source's: the id it listed is the one
            # kept. Only the names are normalized, not the file or the cases.
            import unicodedata

            _, names, case = id_grammar.split(req)
            real = id_grammar.join(path, [unicodedata.normalize("NFKC", n) for n in names], case)
            if real in index:
                chosen.add(real)
                renamed[real] = req
                continue
        hit = False
        for item in items:
            if (
                req == path
                or id_grammar.is_under(item.id, req)
                or id_grammar.extends_case(item.id, req)
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
