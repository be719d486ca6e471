"""Run independent pieces of work side by side in forked child processes (ADR 0104).

Used by whole-log verification, which is CPU-bound in Python (hashing and row decoding) and
so gains nothing from threads. ``fork`` rather than ``spawn``: a spawned child would spend
more than a second importing the application before hashing anything. A child touches none
of the parent's connections (it opens its own) and leaves through ``os._exit`` like every
``multiprocessing`` child, so nothing of the parent's is closed or flushed twice.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def map_forked(
    child: Callable[[Item], Result],
    local: Callable[[Item], Result],
    items: Sequence[Item],
    stop: Callable[[Result], bool],
) -> list[Result]:
    """Results in order: ``local(items[0])`` here, ``child(item)`` for the rest in forked
    processes (an item whose child fails or dies is redone here with ``local``). From the
    first result for which ``stop`` holds, later items are dropped and their children killed.
    """
    context = multiprocessing.get_context("fork")
    children: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []
    try:
        for item in items[1:]:
            receive, send = context.Pipe(duplex=False)
            process = context.Process(target=_run_child, args=(child, item, send), daemon=True)
            process.start()
            send.close()
            children.append((process, receive))
        results = [local(items[0])]
        for item, (_, receive) in zip(items[1:], children, strict=True):
            if stop(results[-1]):
                break
            answer: tuple[Result] | None = _receive(receive)
            results.append(answer[0] if answer else local(item))
        return results
    finally:
        for started, pipe in children:
            pipe.close()
            if started.is_alive():
                started.kill()
            started.join()


def _receive(receive: Connection) -> tuple[Result] | None:
    """The child's result, or None when it raised or died before sending one."""
    try:
        ok, value = receive.recv()
    except EOFError:
        return None
    return (value,) if ok else None


def _run_child(child: Callable[[Item], Result], item: Item, send: Connection) -> None:
    try:
        answer: tuple[bool, object] = (True, child(item))
    except BaseException:  # whatever went wrong, the parent redoes the item
        answer = (False, None)
    send.send(answer)
    send.close()
