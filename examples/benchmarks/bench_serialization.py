"""Serializing one order record: json (the baseline) against pickle, repr and
marshal, plus an async producer and how json scales with the batch size.

Run it: `dbtest bench examples/benchmarks/bench_serialization.py`
"""

import asyncio
import json
import marshal
import pickle

from dbtest import BenchmarkGroup

RECORD = {
    "id": 918_273,
    "customer": {"name": "Ada Lovelace", "email": "ada@example.com", "vip": True},
    "items": [
        {"sku": f"SKU-{i:04d}", "qty": i % 3 + 1, "price": 9.99 + i, "tags": ["new", "sale"]}
        for i in range(6)
    ],
    "shipping": {"street": "12 St James's Square", "city": "London", "zip": "SW1Y 4JH"},
    "notes": "leave at the door " * 4,
    "total": 1234.56,
}

serialize = BenchmarkGroup("serialize one record", baseline="json", tags=["serialization"])


@serialize.setup
def check_round_trip():
    # Outside the timed region: make sure every format can represent the record.
    assert json.loads(json.dumps(RECORD)) == RECORD
    assert pickle.loads(pickle.dumps(RECORD)) == RECORD


@serialize.add("json")
def json_dumps():
    json.dumps(RECORD)


@serialize.add("pickle", tags=["binary"])
def pickle_dumps():
    pickle.dumps(RECORD, protocol=pickle.HIGHEST_PROTOCOL)


@serialize.add("marshal", tags=["binary"])
def marshal_dumps():
    marshal.dumps(RECORD)


@serialize.add("repr")
def repr_dumps():
    repr(RECORD)


async def _fetch_record():
    # Stands in for an async source that already has the record at hand.
    return RECORD


@serialize.add("json (async source)", tags=["async"])
async def json_async():
    json.dumps(await _fetch_record())


@serialize.add("json batch", params={"n": [1, 4]})
def json_batch(n):
    json.dumps([RECORD] * n)


if __name__ == "__main__":  # a quick look without dbtest's runner
    asyncio.run(json_async())
    print(len(json.dumps(RECORD)), "bytes of json")
