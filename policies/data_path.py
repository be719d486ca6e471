"""OPA Data API paths: ``finsolve/authz/decision`` → the Rego ref ``data.finsolve.authz.decision``.

A segment must be a Rego identifier (ASCII letter or ``_``, then letters, digits, ``_``):
anything else (``0``, ``a-b``, ``a$b``, non-ASCII) would not parse as a reference, so it is
refused here, before an engine sees it (OPA answers such paths with 400 too).
"""

from __future__ import annotations

import re

from policies.errors import InvalidDataPathError

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def query_for_path(path: str) -> str:
    """The ``data.*`` query of a Data API path; ``InvalidDataPathError`` for a bad segment."""
    parts = [part for part in path.strip("/").split("/") if part]
    for part in parts:
        if IDENTIFIER.fullmatch(part) is None:
            raise InvalidDataPathError(
                f"data path segment {part[:64]!r} is not a Rego identifier "
                "(a letter or '_', then letters, digits or '_')"
            )
    return ".".join(["data", *parts]) if parts else "data"
