"""Event ids: random (version 4) UUIDs without a system call per event.

``uuid.uuid4()`` reads ``os.urandom`` for every id, and that call releases the GIL: with
many threads recording, each id then waits for the GIL to come back (ADR 0103). An event id
must be unique, not secret (the log's integrity rests on the Merkle tree and the signed
checkpoints), so ids come from the ``random`` module's generator, which CPython seeds from
``os.urandom`` and re-seeds in a forked child, so processes never share a sequence.
"""

from __future__ import annotations

import random

_VERSION_4 = 0x4 << 76  # version nibble
_VARIANT_RFC4122 = 0x2 << 62  # variant bits 10
_CLEAR = ~((0xF << 76) | (0x3 << 62))


def new_event_id() -> str:
    """A random UUID (version 4, RFC 9562 variant) in its canonical text form."""
    value = random.getrandbits(128) & _CLEAR | _VERSION_4 | _VARIANT_RFC4122
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
