"""An independent RFC 6962 implementation used only by the tests.

Written straight from the recursive definitions of RFC 6962 section 2.1 (MTH, PATH,
PROOF/SUBPROOF) over lists of entries, with verifiers that mirror those recursions
instead of the iterative RFC 9162 algorithms the room uses, so a shared mistake is
unlikely to hide.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def h_leaf(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def h_node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def k_of(n: int) -> int:
    """The largest power of two smaller than n (RFC 6962 2.1: k < n <= 2k)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes (already H(0x00 || d))."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = k_of(n)
    return h_node(mth(leaves[:k]), mth(leaves[k:]))


def path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    n = len(leaves)
    if n == 1:
        return []
    k = k_of(n)
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def proof(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    return subproof(m, leaves, True)


def subproof(m: int, leaves: Sequence[bytes], b: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if b else [mth(leaves)]
    k = k_of(n)
    if m <= k:
        return [*subproof(m, leaves[:k], b), mth(leaves[k:])]
    return [*subproof(m - k, leaves[k:], False), mth(leaves[:k])]


def root_from_inclusion(m: int, n: int, leaf: bytes, hashes: Sequence[bytes]) -> bytes | None:
    """Rebuild the root by walking PATH's recursion backwards; None if the shape is wrong."""
    if n == 1:
        return leaf if not hashes else None
    if not hashes:
        return None
    k = k_of(n)
    *rest, sibling = hashes
    if m < k:
        inner = root_from_inclusion(m, k, leaf, rest)
        return None if inner is None else h_node(inner, sibling)
    inner = root_from_inclusion(m - k, n - k, leaf, rest)
    return None if inner is None else h_node(sibling, inner)


def verify_inclusion(m: int, n: int, leaf: bytes, hashes: Sequence[bytes], root: bytes) -> bool:
    if not 0 <= m < n:
        return False
    return root_from_inclusion(m, n, leaf, list(hashes)) == root


def _sub(
    m: int, n: int, b: bool, hashes: list[bytes], old_root: bytes
) -> tuple[bytes, bytes] | None:
    """(old subtree hash, new subtree hash) implied by SUBPROOF's output."""
    if m == n:
        if b:
            return (old_root, old_root) if not hashes else None
        return (hashes[0], hashes[0]) if len(hashes) == 1 else None
    if not hashes:
        return None
    k = k_of(n)
    *rest, last = hashes
    if m <= k:
        inner = _sub(m, k, b, rest, old_root)
        return None if inner is None else (inner[0], h_node(inner[1], last))
    inner = _sub(m - k, n - k, False, rest, old_root)
    return None if inner is None else (h_node(last, inner[0]), h_node(last, inner[1]))


def verify_consistency(
    m: int, n: int, old_root: bytes, new_root: bytes, hashes: Sequence[bytes]
) -> bool:
    if not 0 < m <= n:
        return m == 0 and not hashes
    if m == n:
        return not hashes and old_root == new_root
    result = _sub(m, n, True, list(hashes), old_root)
    return result is not None and result == (old_root, new_root)
