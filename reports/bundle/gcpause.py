"""Pausing Python's cyclic garbage collector while a bundle is built or verified (ADR 0708).

A bundle of 10,000 items allocates hundreds of thousands of small objects that live until
the bundle is written (records, proof hashes, node maps): each pass of the cyclic collector
walks every tracked object of the process, and at the benchmark's size those passes cost a
quarter of the build. Nothing a bundle allocates forms a cycle that has to be collected
early; reference counting frees it as before, and the collector runs again afterwards.
Pauses nest and may overlap across threads: the collector is re-enabled when the last one
ends, and only if it was enabled when the first began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    global _depth, _was_enabled  # noqa: PLW0603 - one process-wide collector
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
