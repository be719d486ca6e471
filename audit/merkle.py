"""RFC 6962 / RFC 9162 Merkle tree hashing, proof construction and proof verification.

Pure functions, no I/O. The tree over leaves ``D[0:n]`` is addressed through *perfect
subtrees* ``(level, index)`` covering leaves ``[index << level, (index + 1) << level)``; every
hash the RFC's recursive definitions need is one of those, or a fold of a few of them along
the right edge, so a store that keeps perfect subtrees answers any proof with O(log n) reads.

Proofs are built in two passes: ``*_plan`` lists the perfect subtrees a proof needs, the
caller fetches them in one read, and ``*_from_nodes`` computes the proof from them.
"""

from __future__ import annotations

import hashlib
import itertools
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence

HASH_SIZE = 32
NodeId = tuple[int, int]  # (level, index)
Range = tuple[int, int]  # [start, end)
NodeGetter = Callable[[NodeId], bytes]


def leaf_hash(data: bytes) -> bytes:
    """MTH of one entry: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def root_from_leaves(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[0:n]) from leaf hashes (the empty tree hashes to SHA-256 of nothing)."""
    frontier: list[tuple[int, bytes]] = []
    for index, leaf in enumerate(leaves):
        frontier = append_to_frontier(frontier, index, leaf)[0]
    return root_from_frontier([h for _, h in frontier])


# --- the right edge ("frontier") of a growing tree --------------------------------------


def append_to_frontier(
    frontier: list[tuple[int, bytes]], size: int, leaf: bytes
) -> tuple[list[tuple[int, bytes]], list[bytes]]:
    """Append leaf number ``size``; returns the new frontier and the completed subtrees.

    ``frontier`` holds ``(level, hash)`` of the perfect subtrees on the right edge, largest
    first (one per set bit of ``size``). The completed list holds the hashes of every
    perfect subtree that ends at the new leaf, by level: ``[leaf, level1, level2, ...]``.
    """
    completed = [leaf]
    current = leaf
    level = 0
    frontier = list(frontier)
    while size >> level & 1:
        _, left = frontier.pop()
        current = node_hash(left, current)
        level += 1
        completed.append(current)
    frontier.append((level, current))
    return frontier, completed


class TreeBuilder:
    """A growing tree's right edge, extended leaf by leaf (mutable, for hot loops)."""

    __slots__ = ("frontier", "size")

    def __init__(self, size: int = 0, frontier: Sequence[bytes] = ()) -> None:
        if len(frontier) != bin(size).count("1"):
            raise ValueError("frontier does not match the tree size")
        self.size = size
        self.frontier = list(frontier)

    def append(self, leaf: bytes) -> bytes:
        """Add a leaf; returns the concatenated hashes of the subtrees ending at it."""
        completed = [leaf]
        current = leaf
        size = self.size
        frontier = self.frontier
        while size & 1:
            current = node_hash(frontier.pop(), current)
            completed.append(current)
            size >>= 1
        frontier.append(current)
        self.size += 1
        return b"".join(completed)

    def root(self) -> bytes:
        return root_from_frontier(self.frontier)


def frontier_levels(size: int) -> list[int]:
    """Levels of the right-edge perfect subtrees of a tree of ``size`` leaves, largest first."""
    return [level for level in range(size.bit_length() - 1, -1, -1) if size >> level & 1]


def frontier_nodes(size: int) -> list[NodeId]:
    """The perfect subtrees on the right edge of a tree of ``size`` leaves, largest first."""
    nodes: list[NodeId] = []
    start = 0
    for level in frontier_levels(size):
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def root_from_frontier(hashes: Sequence[bytes]) -> bytes:
    """Fold the right-edge subtree hashes (largest first) into the root."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    root = hashes[-1]
    for left in reversed(hashes[:-1]):
        root = node_hash(left, root)
    return root


# --- ranges of the RFC recursion -> perfect subtrees ------------------------------------


def range_nodes(start: int, end: int) -> list[NodeId]:
    """Perfect subtrees whose fold is MTH(D[start:end]) for a range of the RFC recursion."""
    nodes: list[NodeId] = []
    while True:
        n = end - start
        if _is_power_of_two(n):
            level = n.bit_length() - 1
            nodes.append((level, start >> level))
            return nodes
        k = split_point(n)
        level = k.bit_length() - 1
        nodes.append((level, start >> level))
        start += k


def range_hash(start: int, end: int, get: NodeGetter) -> bytes:
    return root_from_frontier([get(node) for node in range_nodes(start, end)])


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """RFC 6962 2.1.1 PATH(m, D[n]) as ranges, leaf-side first."""
    path: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index - start < k:
            path.append((start + k, end))
            end = start + k
        else:
            path.append((start, start + k))
            start += k
    path.reverse()
    return path


def consistency_ranges(first: int, second: int) -> list[Range]:
    """RFC 6962 2.1.2 PROOF(m, D[n]) = SUBPROOF(m, D[n], true) as ranges."""
    proof: list[Range] = []
    start, end, m, complete = 0, second, first, True
    while True:
        n = end - start
        if m == n:
            if not complete:
                proof.append((start, end))
            break
        k = split_point(n)
        if m <= k:
            proof.append((start + k, end))
            end = start + k
        else:
            proof.append((start, start + k))
            start += k
            m -= k
            complete = False
    proof.reverse()
    return proof


def plan(ranges: Iterable[Range]) -> set[NodeId]:
    """Every perfect subtree needed to hash the given ranges."""
    return {node for start, end in ranges for node in range_nodes(start, end)}


def hashes_for(ranges: Iterable[Range], nodes: Mapping[NodeId, bytes]) -> list[bytes]:
    return [range_hash(start, end, nodes.__getitem__) for start, end in ranges]


def inclusion_plan(index: int, size: int) -> set[NodeId]:
    _check_inclusion_args(index, size)
    return plan(inclusion_ranges(index, size)) | {(0, index)}


def inclusion_from_nodes(index: int, size: int, nodes: Mapping[NodeId, bytes]) -> list[bytes]:
    return hashes_for(inclusion_ranges(index, size), nodes)


def consistency_plan(first: int, second: int) -> set[NodeId]:
    _check_consistency_args(first, second)
    if first in (0, second):
        return set()
    return plan(consistency_ranges(first, second))


def consistency_from_nodes(first: int, second: int, nodes: Mapping[NodeId, bytes]) -> list[bytes]:
    if first in (0, second):
        return []
    return hashes_for(consistency_ranges(first, second), nodes)


def _check_inclusion_args(index: int, size: int) -> None:
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")


def _check_consistency_args(first: int, second: int) -> None:
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")


# --- verification (RFC 9162 2.1.3.2 and 2.1.4.2) -----------------------------------------


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 2.1.3.2: does ``proof`` take ``leaf`` at ``index`` to ``root``?"""
    if not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    result = leaf
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and result == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 2.1.4.2: is the tree of ``second`` leaves an extension of ``first``?"""
    if not 0 <= first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof
    if not proof:
        return False
    path = list(proof)
    if _is_power_of_two(first):
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root


# --- inclusion proofs of many leaves at once ----------------------------------------------


def shared_inclusion_ranges(indices: Sequence[int], size: int) -> list[Range]:
    """The sibling ranges that proofs of the sorted, distinct ``indices`` need from storage.

    The RFC 6962 split is walked top-down, visiting only subtrees that hold a listed leaf.
    A sibling range that holds a listed leaf is not read: its hash is computed on the way
    up from the listed leaves below it and the ranges read for them. Only sibling ranges
    without a listed leaf are returned, in the order ``shared_inclusion_proofs`` consumes
    them. For n leaves spread over a tree of N that is about n * log2(N / n) ranges instead
    of the n * log2(N) hashes the proofs hold.
    """
    _check_shared_args(indices, size)
    ranges: list[Range] = []

    def walk(start: int, end: int, lo: int, hi: int) -> None:
        while end - start > 1:
            mid = start + split_point(end - start)
            split = bisect_left(indices, mid, lo, hi)
            if split == hi:  # every listed leaf is on the left: the right side is read
                ranges.append((mid, end))
                end = mid
            elif split == lo:
                ranges.append((start, mid))
                start = mid
            else:
                walk(start, mid, lo, split)
                start, lo = mid, split

    if indices:
        walk(0, size, 0, len(indices))
    return ranges


def shared_inclusion_proofs(
    indices: Sequence[int], size: int, leaves: Sequence[bytes], siblings: Iterable[bytes]
) -> tuple[list[list[bytes]], bytes]:
    """Audit paths (leaf-side first) of the sorted, distinct ``indices`` and the root.

    ``leaves`` are the listed leaves' hashes, ``siblings`` the hashes of the ranges
    ``shared_inclusion_ranges`` returned, in its order. Every proof equals what
    ``inclusion_from_nodes`` gives for its leaf alone; the root is MTH of the whole tree,
    which a caller can hold against a signed checkpoint.
    """
    _check_shared_args(indices, size)
    if len(leaves) != len(indices):
        raise ValueError("one leaf hash per listed index is needed")
    proofs: list[list[bytes]] = [[] for _ in indices]
    read = iter(siblings)

    def subtree(start: int, end: int, lo: int, hi: int) -> bytes:
        if end - start == 1:
            return leaves[lo]
        mid = start + split_point(end - start)
        split = bisect_left(indices, mid, lo, hi)
        if split == hi:
            right = next(read)  # read before descending: the order the walk listed them
            left = subtree(start, mid, lo, hi)
            for proof in proofs[lo:hi]:
                proof.append(right)
        elif split == lo:
            left = next(read)
            right = subtree(mid, end, lo, hi)
            for proof in proofs[lo:hi]:
                proof.append(left)
        else:
            left = subtree(start, mid, lo, split)
            right = subtree(mid, end, split, hi)
            for proof in proofs[lo:split]:
                proof.append(right)
            for proof in proofs[split:hi]:
                proof.append(left)
        return node_hash(left, right)

    if not indices:
        return [], root_from_frontier([])
    try:
        root = subtree(0, size, 0, len(indices))
    except StopIteration as exc:
        raise ValueError("fewer sibling hashes than the walk needs") from exc
    if next(read, None) is not None:
        raise ValueError("more sibling hashes than the walk needs")
    return proofs, root


def _check_shared_args(indices: Sequence[int], size: int) -> None:
    if indices and not (indices[0] >= 0 and indices[-1] < size):
        raise ValueError(f"leaf indices must lie within a tree of size {size}")
    if any(b <= a for a, b in itertools.pairwise(indices)):
        raise ValueError("leaf indices must be sorted and distinct")
