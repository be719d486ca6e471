"""Shared-path verification agrees with RFC 9162 verification, proof by proof."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from audit import leaf_hash, verify_inclusion
from audit.merkle import inclusion_from_nodes, inclusion_plan, root_from_leaves
from reports.bundle.proofs import SharedPaths, verify_at_once


def tree(size: int) -> tuple[list[bytes], dict[tuple[int, int], bytes]]:
    leaves = [leaf_hash(str(i).encode()) for i in range(size)]
    nodes: dict[tuple[int, int], bytes] = {}
    level = list(leaves)
    height = 0
    while level:
        for i, value in enumerate(level):
            nodes[(height, i)] = value
        level = [
            hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest()
            for i in range(0, len(level) - 1, 2)
        ]
        height += 1
    return leaves, nodes


@settings(max_examples=60, deadline=None)
@given(
    size=st.integers(1, 70),
    picks=st.lists(st.integers(0, 10_000), min_size=1, max_size=25),
    tamper=st.integers(0, 10_000),
)
def test_shared_paths_match_rfc_verification(size: int, picks: list[int], tamper: int) -> None:
    leaves, nodes = tree(size)
    root = root_from_leaves(leaves)
    shared = SharedPaths(size, root)
    for pick in picks:
        index = pick % size
        assert inclusion_plan(index, size) <= set(nodes)
        proof = inclusion_from_nodes(index, size, nodes)
        assert verify_inclusion(index, size, leaves[index], proof, root)
        assert shared.verify(index, leaves[index], proof)
        if proof:
            position = tamper % len(proof)
            bad = [*proof]
            bad[position] = bytes(32)
            assert not shared.verify(index, leaves[index], bad)
            assert not verify_inclusion(index, size, leaves[index], bad, root)
        assert not shared.verify(index, leaf_hash(b"other"), proof)
        assert not shared.verify(index, leaves[index], [*proof, bytes(32)])
    assert not shared.verify(size, leaves[0], [])


@settings(max_examples=150, deadline=None)
@given(
    size=st.integers(1, 90),
    picks=st.lists(st.integers(0, 10_000), min_size=0, max_size=30),
    tamper=st.integers(0, 10_000),
    how=st.sampled_from(["none", "hash", "leaf", "longer", "shorter", "index"]),
)
def test_batch_verification_accepts_exactly_what_every_proof_alone_accepts(
    size: int, picks: list[int], tamper: int, how: str
) -> None:
    leaves, nodes = tree(size)
    root = root_from_leaves(leaves)
    chosen = sorted({pick % size for pick in picks})
    batch: dict[int, tuple[bytes, list[bytes]]] = {
        index: (leaves[index], inclusion_from_nodes(index, size, nodes)) for index in chosen
    }
    if chosen and how != "none":
        victim = chosen[tamper % len(chosen)]
        leaf, proof = batch[victim]
        if how == "hash" and proof:
            position = (tamper // 7) % len(proof)
            proof = [*proof]
            proof[position] = bytes(32)
        elif how == "leaf":
            leaf = leaf_hash(b"other")
        elif how == "longer":
            proof = [*proof, bytes(32)]
        elif how == "shorter" and proof:
            proof = proof[:-1]
        elif how == "index":
            moved = (victim + 1 + tamper) % (size + 1)  # maybe outside the tree
            if moved not in batch:
                del batch[victim]
                victim = moved
        batch[victim] = (leaf, proof)
    alone = all(
        0 <= index < size and verify_inclusion(index, size, leaf, proof, root)
        for index, (leaf, proof) in batch.items()
    )
    listed = [(index, leaf, b"".join(proof)) for index, (leaf, proof) in batch.items()]
    assert verify_at_once(size, root, listed) == alone
    assert not batch or not verify_at_once(size, leaf_hash(b"another root"), listed)
