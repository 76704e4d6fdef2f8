"""A tiny inventory service with a fake async database client, for the demo tests."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

log = logging.getLogger("inventory")


class OutOfStock(Exception):
    """Not enough units of an item to reserve."""


@dataclass
class Item:
    sku: str
    name: str
    price_cents: int
    quantity: int = 0


class FakeAsyncDB:
    """An in-memory stand-in for an async database client (think asyncpg)."""

    def __init__(self) -> None:
        self.rows: dict[str, Item] = {}
        self.connected = False
        self.queries = 0
        self._lock = asyncio.Lock()

    async def connect(self) -> None:
        await asyncio.sleep(0.001)  # the network round trip
        self.connected = True

    async def close(self) -> None:
        self.connected = False

    def _check(self) -> None:
        if not self.connected:
            raise ConnectionError("not connected")

    async def get(self, sku: str) -> Item | None:
        self._check()
        self.queries += 1
        await asyncio.sleep(0)
        return self.rows.get(sku)

    async def put(self, item: Item) -> None:
        self._check()
        async with self._lock:
            self.queries += 1
            await asyncio.sleep(0)
            self.rows[item.sku] = item

    async def delete_all(self) -> None:
        self._check()
        self.rows.clear()


class Inventory:
    """Business logic on top of the database client."""

    def __init__(self, db: FakeAsyncDB) -> None:
        self.db = db

    async def add(self, sku: str, name: str, price_cents: int, quantity: int = 0) -> Item:
        if price_cents < 0:
            raise ValueError(f"negative price for {sku}")
        item = Item(sku, name, price_cents, quantity)
        await self.db.put(item)
        log.info("added %s", sku)
        return item

    async def reserve(self, sku: str, count: int) -> int:
        item = await self.db.get(sku)
        if item is None:
            raise KeyError(sku)
        if item.quantity < count:
            log.warning("out of stock: %s (%d < %d)", sku, item.quantity, count)
            raise OutOfStock(f"{sku}: only {item.quantity} left, {count} requested")
        item.quantity -= count
        await self.db.put(item)
        return item.quantity


def price_with_tax(cents: int, rate: float) -> int:
    """Price including tax, rounded half up to the cent."""
    return int(cents * (1 + rate) + 0.5)


def format_price(cents: int, currency: str = "EUR") -> str:
    return f"{cents // 100}.{cents % 100:02d} {currency}"
