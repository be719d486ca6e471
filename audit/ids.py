"""Event ids: random (version 4) UUIDs without a system call per event.

``uuid.uuid4()`` reads ``os.urandom`` for every id, and that call releases the GIL: with
many threads recording, each id then waits for the GIL to come back (ADR 0103). An event id
must be unique, not secret (the log's integrity rests on the Merkle tree and the signed
checkpoints), so ids come from a generator of this module's own, seeded from
``os.urandom`` at import and again in every forked child (so processes never share a
sequence). It is not the ``random`` module's shared generator: whoever seeds that one (a
test framework, a library) would make ids repeat.
"""

from __future__ import annotations

import os
import random

_VERSION_4 = 0x4 << 76  # version nibble
_VARIANT_RFC4122 = 0x2 << 62  # variant bits 10
_CLEAR = ~((0xF << 76) | (0x3 << 62))

_generator = random.Random()  # noqa: S311 - unique, not secret; seeded from os.urandom
os.register_at_fork(after_in_child=_generator.seed)


def new_event_id() -> str:
    """A random UUID (version 4, RFC 9562 variant) in its canonical text form."""
    value = _generator.getrandbits(128) & _CLEAR | _VERSION_4 | _VARIANT_RFC4122
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
