"""RFC 6962 vectors, and the room's proofs checked by the independent reference verifier."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit import merkle
from audit.export import range_proof_ranges, root_from_range
from tests.audit import reference

ENTRIES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
LEAVES = [merkle.leaf_hash(e) for e in ENTRIES]


def hexes(values: list[bytes]) -> list[str]:
    return [v.hex() for v in values]


def stored_nodes(leaves: list[bytes]) -> dict[tuple[int, int], bytes]:
    """Perfect subtrees as the SQL store keeps them (built with TreeBuilder)."""
    builder = merkle.TreeBuilder()
    nodes = {}
    for index, leaf in enumerate(leaves):
        blob = builder.append(leaf)
        for level in range(len(blob) // 32):
            nodes[(level, ((index + 1) >> level) - 1)] = blob[level * 32 : (level + 1) * 32]
    return nodes


@pytest.mark.parametrize("size", range(9))
def test_known_roots(size: int) -> None:
    assert merkle.root_from_leaves(LEAVES[:size]).hex() == ROOTS[size]
    assert reference.mth(LEAVES[:size]).hex() == ROOTS[size]
    builder = merkle.TreeBuilder()
    for leaf in LEAVES[:size]:
        builder.append(leaf)
    assert builder.root().hex() == ROOTS[size]


@pytest.mark.parametrize(
    ("index", "size", "expected"),
    [
        (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
        (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    ],
)  # fmt: skip
def test_known_inclusion_proofs(index: int, size: int, expected: list[str]) -> None:
    nodes = stored_nodes(LEAVES)
    got = merkle.inclusion_from_nodes(index, size, nodes)
    assert hexes(got) == expected
    assert merkle.verify_inclusion(index, size, LEAVES[index], got, bytes.fromhex(ROOTS[size]))


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (2, 8, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
        (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
        (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    ],
)  # fmt: skip
def test_known_consistency_proofs(first: int, second: int, expected: list[str]) -> None:
    got = merkle.consistency_from_nodes(first, second, stored_nodes(LEAVES))
    assert hexes(got) == expected
    assert merkle.verify_consistency(
        first, second, bytes.fromhex(ROOTS[first]), bytes.fromhex(ROOTS[second]), got
    )


def synthetic(n: int) -> list[bytes]:
    return [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


def test_every_proof_of_small_trees_matches_the_reference() -> None:
    leaves = synthetic(40)
    nodes = stored_nodes(leaves)
    for n in range(1, 41):
        root = reference.mth(leaves[:n])
        for m in range(n):
            plan = merkle.inclusion_plan(m, n)
            assert plan <= nodes.keys()
            got = merkle.inclusion_from_nodes(m, n, nodes)
            assert got == reference.path(m, leaves[:n])
            assert reference.verify_inclusion(m, n, leaves[m], got, root)
            assert merkle.verify_inclusion(m, n, leaves[m], got, root)
        for m in range(n + 1):
            got = merkle.consistency_from_nodes(m, n, nodes)
            old = reference.mth(leaves[:m])
            assert got == (reference.proof(m, leaves[:n]) if m > 0 else [])
            assert reference.verify_consistency(m, n, old, root, got)
            assert merkle.verify_consistency(m, n, old, root, got)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 3000), st.data())
def test_proofs_need_logarithmic_reads_and_verify(n: int, data: st.DataObject) -> None:
    m = data.draw(st.integers(0, n - 1))
    first = data.draw(st.integers(0, n))
    bound = 2 * n.bit_length() + 2
    assert len(merkle.inclusion_plan(m, n)) <= bound
    assert len(merkle.consistency_plan(first, n)) <= bound


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 200), st.data())
def test_wrong_proofs_are_rejected_by_both_verifiers(n: int, data: st.DataObject) -> None:
    leaves = synthetic(n)
    nodes = stored_nodes(leaves)
    root = reference.mth(leaves)
    m = data.draw(st.integers(0, n - 1))
    got = merkle.inclusion_from_nodes(m, n, nodes)
    bad_leaf = hashlib.sha256(b"x").digest()
    assert not merkle.verify_inclusion(m, n, bad_leaf, got, root)
    assert not reference.verify_inclusion(m, n, bad_leaf, got, root)
    if got:
        broken = [*got[:-1], bad_leaf]
        assert not merkle.verify_inclusion(m, n, leaves[m], broken, root)
        assert not merkle.verify_inclusion(m, n, leaves[m], got[:-1], root)
        assert not merkle.verify_inclusion(m, n, leaves[m], [*got, bad_leaf], root)
    assert not merkle.verify_inclusion(n, n, leaves[m], got, root)
    first = data.draw(st.integers(1, n))
    proof = merkle.consistency_from_nodes(first, n, nodes)
    old = reference.mth(leaves[:first])
    if proof:
        assert not merkle.verify_consistency(first, n, old, root, [*proof[:-1], bad_leaf])
        assert not merkle.verify_consistency(first, n, bad_leaf, root, proof)
        assert not reference.verify_consistency(first, n, bad_leaf, root, proof)
    assert not merkle.verify_consistency(first, n, old, bad_leaf, proof)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 300), st.data())
def test_range_proofs_rebuild_the_root(n: int, data: st.DataObject) -> None:
    leaves = synthetic(n)
    nodes = stored_nodes(leaves)
    start = data.draw(st.integers(0, n - 1))
    end = data.draw(st.integers(start + 1, n))
    ranges = range_proof_ranges(start, end, n)
    proof = merkle.hashes_for(ranges, nodes)
    assert len(proof) <= 2 * n.bit_length() + 2
    assert root_from_range(start, end, n, leaves[start:end], proof) == reference.mth(leaves)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        merkle.inclusion_plan(5, 5)
    with pytest.raises(ValueError):
        merkle.consistency_plan(6, 5)
    with pytest.raises(ValueError):
        merkle.TreeBuilder(3, [])
    assert merkle.consistency_from_nodes(0, 5, {}) == []
    assert not merkle.verify_consistency(3, 2, b"", b"", [])
    assert not merkle.verify_consistency(2, 4, b"a", b"b", [])
    assert merkle.verify_consistency(0, 4, b"a", b"b", [])
    assert merkle.frontier_nodes(6) == [(2, 0), (1, 2)]
