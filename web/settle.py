"""Waiting for durable decisions without a worker thread (ADR 0213).

A decision on the loaded embedded engine is CPU work (well under a millisecond): it is
evaluated on the event loop, its event built there and queued for the audit writer's next
group commit, and the request then *awaits* that commit; the writer thread wakes it through
``loop.call_soon_threadsafe``. No worker thread sits blocked on a lock per request, and
concurrent requests still share one commit (one fsync). A remote OPA, a bundle still to
load, or a write that must be done one event at a time keep the threadpool (ADR 0007).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool

from policies import Decision, DecisionReceipt, Evaluated, PolicyRoom


def _wake(ready: asyncio.Future[None]) -> None:
    if not ready.done():
        ready.set_result(None)


async def settled(receipt: DecisionReceipt, wait_seconds: float) -> list[Decision]:
    """The receipt's decisions once their events are durable; the decision log's bounded
    wait applies (``DecisionLogUnavailableError`` past ``wait_seconds``: 503)."""
    if receipt.needs_thread:
        return await run_in_threadpool(receipt.settle)
    if not receipt.done:
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()

        def wake() -> None:  # on the audit writer's thread: hand over, nothing more
            loop.call_soon_threadsafe(_wake, ready)

        receipt.add_done_callback(wake)
        # past the wait, settle(0) below raises the 503 unless the commit just landed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ready, wait_seconds)
    return receipt.settle(timeout=0)


async def decide_durably(
    room: PolicyRoom,
    evaluate: Callable[[], Evaluated],
    request: Mapping[str, Any] | None = None,
) -> Decision:
    """One decision, answered only once its event (when it has one) is durable.

    ``request``: the input ``evaluate`` decides; when its fact checks must read a store
    (``DecisionService.reads_records``), it is evaluated in the threadpool so the event loop
    never waits on the database, and its commit is still awaited without a thread.
    """
    decisions = room.decisions
    if not room.evaluates_inline:
        return await run_in_threadpool(lambda: decisions.submit([evaluate()]).settle()[0])
    if request is not None and decisions.reads_records(request):
        evaluated = await run_in_threadpool(evaluate)
    else:
        evaluated = evaluate()
    receipt = decisions.submit([evaluated])
    return (await settled(receipt, room.logger.wait_seconds))[0]
