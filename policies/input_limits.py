"""What a decision input may hold: only values the audit log can canonicalize (RFC 8785).

Every decision is logged into the audit log, whose events are hashed in their RFC 8785
canonical form. That form has no integers beyond ±(2**53 - 1) (I-JSON), no NaN or infinities
and no lone UTF-16 surrogates. An input holding one would be decided but could not be
logged as given, so it is refused as invalid before it is evaluated.
"""

from __future__ import annotations

import math
from typing import Any

from policies.errors import InvalidRequestError

MAX_SAFE_INTEGER = 2**53 - 1


def _text_problem(text: str) -> str | None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "a string with a lone surrogate"
    return None


def _problem(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return None
        return f"an integer beyond ±(2**53 - 1) ({str(value)[:24]})"
    if isinstance(value, float):
        return None if math.isfinite(value) else f"a non-finite number ({value})"
    if isinstance(value, str):
        return _text_problem(value)
    return None


def _representable(document: Any) -> bool:
    """The fast check behind ``unrepresentable``: no paths are built while walking."""
    stack: list[Any] = [document]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is str:
            if not value.isascii() and _text_problem(value):
                return False
        elif kind is dict:
            for key, item in value.items():
                if type(key) is str and not key.isascii() and _text_problem(key):
                    return False
                stack.append(item)
        elif kind is list or kind is tuple:
            stack.extend(value)
        elif kind is int:
            if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
                return False
        elif kind is float:
            if not math.isfinite(value):
                return False
        elif kind is not bool and value is not None and _slow_problem(value):
            return False
    return True


def _slow_problem(value: Any) -> bool:
    """Subclasses of the JSON types: judged by the full walk."""
    return isinstance(value, dict | list | tuple) or _problem(value) is not None


def unrepresentable(document: Any) -> str | None:
    """Where and what the first value JSON canonicalization cannot represent is, or None."""
    if _representable(document):
        return None
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and _text_problem(key):
                    return f"{where or '/'}: a key with a lone surrogate"
                stack.append((f"{where}/{key}", item))
        elif isinstance(value, list | tuple):
            stack.extend((f"{where}/{index}", item) for index, item in enumerate(value))
        else:
            problem = _problem(value)
            if problem is not None:
                return f"{where or '/'}: {problem}"
    return None


def check_representable(document: Any) -> None:
    """``InvalidRequestError`` when the document holds a value the audit log cannot take."""
    problem = unrepresentable(document)
    if problem is not None:
        raise InvalidRequestError(message(problem))


def message(problem: str) -> str:
    return f"input {problem[:200]}: not representable in canonical JSON (RFC 8785)"
