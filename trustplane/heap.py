"""The long-lived heap of a server process, kept out of the cyclic garbage collector's way.

After startup a worker holds hundreds of thousands of objects that live as long as the
process (modules, SQLAlchemy metadata, pydantic schemas, the compiled policy bundle). Every
full collection walks all of them, and a server allocating fast (decisions, audit events)
triggers full collections often: measured on the audit log with 16 writers, collection
took about a fifth of the process's CPU. ``gc.freeze()`` (Python 3.7+) moves what is alive
at that moment into a permanent generation the collector skips; garbage is collected
first, so nothing that is already unreachable is kept for good (ADR 0006).
"""

from __future__ import annotations

import gc


def freeze_startup_heap() -> int:
    """Collect garbage, then freeze every surviving object; returns how many were frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
