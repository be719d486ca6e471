"""Proofs of many leaves from shared paths (ADR 0708) equal the reference's proof per leaf."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit import merkle
from tests.audit import reference


def _node(leaves: list[bytes], start: int, end: int) -> bytes:
    return reference.mth(leaves[start:end])


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=1, max_value=70), st.data())
def test_shared_proofs_equal_the_reference_path_of_each_leaf(
    size: int, data: st.DataObject
) -> None:
    leaves = [reference.h_leaf(b"entry %d" % i) for i in range(size)]
    chosen = sorted(data.draw(st.sets(st.integers(0, size - 1), min_size=1)))
    ranges = merkle.shared_inclusion_ranges(chosen, size)
    siblings = [_node(leaves, start, end) for start, end in ranges]
    proofs, root = merkle.shared_inclusion_proofs(
        chosen, size, [leaves[i] for i in chosen], siblings
    )
    assert root == reference.mth(leaves)
    for index, proof in zip(chosen, proofs, strict=True):
        assert proof == reference.path(index, leaves)
    # no listed leaf's range is read: those hashes are computed on the way up
    assert all(not any(start <= i < end for i in chosen) for start, end in ranges)


def test_shared_reads_fewer_ranges_than_the_proofs_hold() -> None:
    size = 1 << 12
    chosen = list(range(7, size, 64))
    ranges = merkle.shared_inclusion_ranges(chosen, size)
    assert len(ranges) == len(chosen) * 6  # log2(64) empty siblings per leaf
    # against 12 hashes in each proof: half the reads of one read per proof hash


def test_a_wrong_sibling_changes_the_proofs_and_the_root() -> None:
    size = 37
    leaves = [reference.h_leaf(bytes([i])) for i in range(size)]
    chosen = [3, 20, 36]
    siblings = [_node(leaves, s, e) for s, e in merkle.shared_inclusion_ranges(chosen, size)]
    siblings[2] = bytes(32)
    proofs, root = merkle.shared_inclusion_proofs(
        chosen, size, [leaves[i] for i in chosen], siblings
    )
    assert root != reference.mth(leaves)
    assert any(proof != reference.path(i, leaves) for i, proof in zip(chosen, proofs, strict=True))


@pytest.mark.parametrize("indices", [[3, 3], [5, 2], [-1], [8]])
def test_unsorted_repeated_or_outside_indices_are_refused(indices: list[int]) -> None:
    with pytest.raises(ValueError):
        merkle.shared_inclusion_ranges(indices, 8)
    with pytest.raises(ValueError):
        merkle.shared_inclusion_proofs(indices, 8, [bytes(32)] * len(indices), [])


@pytest.mark.parametrize("count", [3, 5])  # the walk over leaves 1 and 4 of 8 reads 4 ranges
def test_too_few_or_too_many_sibling_hashes_are_refused(count: int) -> None:
    assert len(merkle.shared_inclusion_ranges([1, 4], 8)) == 4
    with pytest.raises(ValueError):
        merkle.shared_inclusion_proofs([1, 4], 8, [bytes(32)] * 2, [bytes(32)] * count)
