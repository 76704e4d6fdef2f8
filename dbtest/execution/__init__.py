"""The in-process executor: lazy import, one event loop, capture, outcomes, records."""

from __future__ import annotations

import asyncio
from typing import Any

from dbtest.execution.collect import collect_file
from dbtest.execution.executor import Executor
from dbtest.execution.item import ImportFailure

__all__ = ["Executor", "ImportFailure", "collect_file", "run_in_process"]


def run_in_process(
    root: str,
    request_list: list[dict[str, Any]],
    *,
    capture: bool = True,
    concurrent: bool = False,
    max_output_bytes: int = 1 << 20,
    live_output: Any = None,
) -> list[dict[str, Any]]:
    """Run ``run`` requests on one fresh event loop and return every emitted event.

    Units run one after another (or all at once with ``concurrent=True``, as a
    worker running several async units does); fixtures are torn down at the end.
    """
    events: list[dict[str, Any]] = []

    async def main() -> None:
        ex = Executor(
            root, capture=capture, live_output=live_output, max_output_bytes=max_output_bytes
        )
        try:
            reqs = [{"op": "run", "unit": i, **r} for i, r in enumerate(request_list)]
            if concurrent:
                await asyncio.gather(*(ex.run_unit(r, events.append) for r in reqs))
            else:
                for r in reqs:
                    await ex.run_unit(r, events.append)
        finally:
            await ex.close()

    asyncio.run(main())
    return events
