"""An end-to-end flow against the fake database; async tests run concurrently."""

import asyncio

from inventory import FakeAsyncDB, Inventory, OutOfStock

from dbtest import TestSuite, expect, fixture


@fixture(scope="session")
async def shared_db():
    db = FakeAsyncDB()
    await db.connect()
    yield db
    await db.close()


class OrderFlow(TestSuite):
    tags = ["integration", "db"]
    concurrency = 4

    async def setup_suite(self, shared_db):
        self.inventory = Inventory(shared_db)
        await self.inventory.add("K1", "Kettle", 3500, quantity=20)

    async def test_parallel_reservations(self):
        results = await asyncio.gather(*(self.inventory.reserve("K1", 1) for _ in range(5)))
        expect(sorted(results, reverse=True)).to_have_length(5)

    async def test_reserve_then_fail(self):
        await self.inventory.add("L1", "Lamp", 2500, quantity=1)
        await self.inventory.reserve("L1", 1)
        with expect.raises(OutOfStock):
            await self.inventory.reserve("L1", 1)

    async def test_queries_are_counted(self, shared_db):
        before = shared_db.queries
        await self.inventory.reserve("K1", 1)
        expect(shared_db.queries).to_be_greater_than_or_equal(before + 2)
