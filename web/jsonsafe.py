"""JSON values every part of trustplane can carry (I-JSON, RFC 7493), checked at the edge.

Python's ``json`` accepts ``NaN``, ``Infinity``, integers of any size and lone surrogates;
the audit log's canonical form (RFC 8785) and most peers do not. A value that cannot be
carried is refused with a 422 that names the problem, before it reaches a room.
"""

from __future__ import annotations

import math
from typing import Any

MAX_SAFE_INTEGER = 2**53 - 1  # I-JSON: integers exact in an IEEE 754 double
MAX_DEPTH = 32


def check_json_value(value: Any, *, max_depth: int = MAX_DEPTH) -> None:
    """Raise ``ValueError`` naming the first part of ``value`` that I-JSON cannot carry."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            raise ValueError(f"JSON nested deeper than {max_depth} levels")
        if isinstance(item, bool) or item is None:
            continue
        if isinstance(item, int):
            if abs(item) > MAX_SAFE_INTEGER:
                raise ValueError("integer outside the exact range of I-JSON (±2^53-1)")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise ValueError("NaN and Infinity are not JSON numbers")
        elif isinstance(item, str):
            _check_text(item)
        elif isinstance(item, dict):
            for key, member in item.items():
                _check_text(str(key))
                stack.append((member, depth + 1))
        elif isinstance(item, list | tuple):
            stack.extend((member, depth + 1) for member in item)
        else:
            raise ValueError(f"not a JSON value: {type(item).__name__}")


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("string is not valid Unicode (a lone surrogate)") from exc
