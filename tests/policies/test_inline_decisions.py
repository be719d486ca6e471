"""When a decision may run on the event loop (ADR 0007): only on a loaded embedded engine."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy.engine import Engine

from audit import InMemoryAuditLog
from policies import PolicyRoom, build_policy_room
from tests.policies.corpus import CASES
from web.policy_gate import PolicyRouteGate
from web.routers.policies import decided


def test_durable_decisions_are_evaluated_on_the_loop_but_never_block_it(engine: Engine) -> None:
    """A durable decision waits for its commit (ADR 0208): the blocking ``decide`` stays in
    the threadpool (``decides_inline`` False, ``check`` blocking); the loop only evaluates
    and awaits the commit (``evaluates_inline``, ``admit``: ADR 0213)."""
    room = build_policy_room(engine, InMemoryAuditLog(), watch=False)
    gate = PolicyRouteGate(room)
    try:
        assert not room.evaluates_inline  # the first decision reads the store and compiles
        room.decisions.decide(CASES[0].request)
        assert room.bundles.loaded
        assert room.evaluates_inline
        assert not room.decides_inline
        assert gate.blocking
    finally:
        room.close()


def test_the_embedded_engine_decides_inline_once_loaded(engine: Engine) -> None:
    """Async decision logging (explicit setting): CPU work only, on the event loop."""
    room = build_policy_room(engine, InMemoryAuditLog(), watch=False, durable_log=False)
    gate = PolicyRouteGate(room)
    try:
        assert not room.decides_inline  # the first decision reads the store and compiles
        assert gate.blocking
        room.decisions.decide(CASES[0].request)
        assert room.decides_inline
        assert not gate.blocking
    finally:
        room.close()


@dataclass
class Room:
    decides_inline: bool


def test_decided_runs_inline_or_in_a_worker_thread() -> None:
    def where() -> str:
        return threading.current_thread().name

    async def both() -> tuple[Any, Any, str]:
        here = where()
        inline = await decided(cast(PolicyRoom, Room(True)), where)
        offloaded = await decided(cast(PolicyRoom, Room(False)), where)
        return inline, offloaded, here

    inline, offloaded, loop_thread = asyncio.run(both())
    assert inline == loop_thread
    assert offloaded != loop_thread
