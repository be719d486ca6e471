"""Apply OPA ``system.log.mask`` results (JSON pointers or upsert/remove ops) to a log event."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _split(pointer: str) -> list[str]:
    if not pointer.startswith("/"):
        return []
    return [_unescape(part) for part in pointer[1:].split("/")]


_ATOMS = (str, int, float, bool, type(None))


def _copy(value: Any) -> Any:
    """A deep copy of a JSON tree: plain dicts and lists copied directly (several times
    faster than ``copy.deepcopy``), anything else through ``copy.deepcopy``."""
    kind = type(value)
    if kind is dict:
        return {key: _copy(item) for key, item in value.items()}
    if kind is list:
        return [_copy(item) for item in value]
    if kind in _ATOMS:
        return value
    return copy.deepcopy(value)


def _parent(document: Any, tokens: list[str]) -> Any:
    node = document
    for token in tokens[:-1]:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


def apply_mask(event: dict[str, Any], rules: Iterable[Any]) -> tuple[dict[str, Any], list[str]]:
    """A masked deep copy of ``event`` and the pointers that were erased or replaced.

    Only paths under ``/input`` and ``/result`` may be touched (as in OPA); a path that does
    not exist is ignored.
    """
    masked = _copy(event)
    touched: list[str] = []
    for rule in rules:
        if isinstance(rule, str):
            op, path, value = "remove", rule, None
        elif isinstance(rule, dict) and isinstance(rule.get("path"), str):
            op, path, value = str(rule.get("op", "remove")), rule["path"], rule.get("value")
        else:
            continue
        tokens = _split(path)
        if len(tokens) < 2 or tokens[0] not in {"input", "result"}:
            continue
        parent = _parent(masked, tokens)
        key = tokens[-1]
        if not isinstance(parent, dict):
            continue
        if op == "upsert":
            parent[key] = value
            touched.append(path)
        elif key in parent:
            del parent[key]
            touched.append(path)
    return masked, sorted(touched)
