"""Random order inside a unit (`--shuffle`), from the run's one seed.

The engine shuffles the units (rust_core/engine/src/order.rs); the worker
shuffles what it alone knows after import: the classes of a module and the
tests of a class or of the module's functions. A class with ``ordered = True``
keeps its tests in file order (it still moves among the others). The order
depends only on the seed and the ids, so every worker, and the next run
with ``--seed N``, derives the same one.
"""

from __future__ import annotations

import random
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import TypeVar

    T = TypeVar("T")


def _rng(seed: int, key: str) -> random.Random:
    # A str seed is hashed with SHA-512 by `random`: stable across processes,
    # whatever PYTHONHASHSEED says.
    return random.Random(f"{seed}:{key}")


def shuffle_groups(
    groups: Sequence[tuple[type | None, list[T]]], seed: int, path: str
) -> list[tuple[type | None, list[T]]]:
    """The groups (a class, or the module's functions, with their items) in
    the seed's order, and the items in each unless the class is ``ordered``."""
    rng = _rng(seed, path)
    out = []
    for cls, items in groups:
        items = list(items)
        if getattr(cls, "ordered", False) is not True:
            rng.shuffle(items)
        out.append((cls, items))
    rng.shuffle(out)
    return out


def reseed(seed: int, test_id: str) -> None:
    """Reset `random` (and numpy's global generator, if the test imported
    numpy) from the run's seed and the test's id, as pytest-randomly does:
    a test sees the same random numbers whatever ran before it."""
    random.seed(f"{seed}:{test_id}")
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        try:
            numpy.random.seed(_rng(seed, test_id + ":numpy").getrandbits(32))
        except Exception:  # a stub or partial numpy: its state is its own
            pass
