"""Checking many inclusion proofs against one signed root (RFC 9162 2.1.3.2), offline.

``verify_at_once`` is the verifier's fast path: every proof is walked the RFC 9162 way, and
a walk ends as soon as it reaches a node another proof already took to the root, where the
two must agree on the node's hash and on every proof hash above it. Each node of the union
of the paths is hashed once. ``SharedPaths`` checks one proof at a time, sharing what the
earlier ones proved; the verifier uses it only after the fast path failed, to name each
proof that does not hold.

A proof is given as its hashes concatenated (32 bytes each, leaf side first).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from operator import itemgetter

from audit import node_hash

HASH = 32


def verify_at_once(size: int, root: bytes, listed: Sequence[tuple[int, bytes, bytes]]) -> bool:
    """True only if every ``(index, leaf hash, proof)`` is an inclusion proof of that leaf
    at that index in the tree of ``size`` leaves whose root is ``root``: then each proof,
    checked alone, verifies too. False says only that some proof fails (or an index is
    listed twice)."""
    ordered = sorted(listed, key=itemgetter(0))
    return verify_in_order(
        size,
        root,
        [index for index, _, _ in ordered],
        [leaf for _, leaf, _ in ordered],
        [proof for _, _, proof in ordered],
    )


def verify_in_order(
    size: int, root: bytes, indices: Sequence[int], leaves: Sequence[bytes], proofs: Sequence[bytes]
) -> bool:
    """``verify_at_once`` over leaves already in index order, given as three lists.

    The leaves are walked in index order. A node holds an earlier leaf exactly when it
    holds the previous one (nodes cover contiguous ranges), so a walk looks up only the
    node it shares with the previous leaf, where it ends, and keeps only the nodes it
    shares with the next one: the nodes below are one leaf's alone.
    """
    last = size - 1
    reached: dict[tuple[int, int], tuple[bytes, bytes, int]] = {}
    # every interior node's hash begins with 0x01: a copy of a hash that has taken it is
    # cheaper than a new hash of the two children joined to it
    interior = hashlib.sha256(b"\x01").copy
    previous = -1
    following = [*indices[1:], -1] if indices else []
    for index, leaf, proof, after in zip(indices, leaves, proofs, following, strict=True):
        if not previous < index < size or len(proof) % HASH:
            return False
        fn, sn, node, at, shifts, end = index, last, leaf, 0, 0, len(proof)
        while sn:
            if at == end:
                return False
            sibling = proof[at : at + HASH]
            at += HASH
            hashing = interior()
            if fn & 1 or fn == sn:
                hashing.update(sibling)
                hashing.update(node)
                while not fn & 1 and fn:  # the right edge: a node without a sibling here
                    fn >>= 1
                    sn >>= 1
                    shifts += 1
            else:
                hashing.update(node)
                hashing.update(sibling)
            node = hashing.digest()
            fn >>= 1
            sn >>= 1
            shifts += 1
            if previous >> shifts == fn:
                # an earlier walk took this node to the root: same hash, same path above
                met = reached.get((fn, sn))
                if met is None or met[0] != node or met[1][met[2] :] != proof[at:]:
                    return False
                break
            if after >> shifts == fn:
                reached[(fn, sn)] = (node, proof, at)
        else:
            if at != end or node != root:
                return False
        previous = index
    return True


class SharedPaths:
    """Inclusion proofs of many leaves against one root, one proof at a time, sharing work.

    The tree over ``size`` leaves splits as RFC 6962 defines; every node is the hash of a
    leaf range. Walking up from a leaf, a range already proven to lead to the root (on an
    earlier path, or as a sibling on one) ends the walk: the node computed must equal it.
    Any mismatch, a proof of the wrong length or an index outside the tree fails.
    """

    def __init__(self, size: int, root: bytes) -> None:
        self.size = size
        self.known: dict[tuple[int, int], bytes] = {(0, size): root}

    def verify(self, index: int, leaf: bytes, proof: Sequence[bytes]) -> bool:
        if not 0 <= index < self.size:
            return False
        steps = self._steps(index)
        if len(steps) != len(proof):
            return False
        known = self.known
        learned: list[tuple[tuple[int, int], bytes]] = []
        current, node = (index, index + 1), leaf
        for level, (parent, sibling, left) in enumerate(steps):
            proven = known.get(current)
            if proven is not None:
                # the rest of the path is proven: the rest of the proof must be exactly it
                rest = zip(steps[level:], proof[level:], strict=True)
                if proven != node or any(known.get(step[1]) != h for step, h in rest):
                    return False
                break
            sibling_hash = proof[level]
            learned.append((current, node))
            learned.append((sibling, sibling_hash))
            node = node_hash(node, sibling_hash) if left else node_hash(sibling_hash, node)
            current = parent
        else:
            if known[current] != node:  # current is the whole tree: the signed root
                return False
        known.update(learned)
        return True

    def _steps(self, index: int) -> list[tuple[tuple[int, int], tuple[int, int], bool]]:
        """Leaf-side first: (parent range, sibling range, is the path's node the left one)."""
        steps = []
        start, end = 0, self.size
        while end - start > 1:
            k = 1 << ((end - start - 1).bit_length() - 1)
            if index - start < k:
                steps.append(((start, end), (start + k, end), True))
                end = start + k
            else:
                steps.append(((start, end), (start, start + k), False))
                start += k
        steps.reverse()
        return steps
