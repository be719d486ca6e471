"""Inclusion proofs of many leaves at one checkpoint size; checkpoints looked up by size."""

from __future__ import annotations

import pytest

from audit import AuditLog, verify_inclusion
from tests.audit.conftest import event


def test_batched_proofs_equal_single_ones(audit_log: AuditLog) -> None:
    audit_log.record_many([event(i) for i in range(37)])
    checkpoint = audit_log.checkpoint()
    indices = [0, 5, 17, 35, 36]
    batched = audit_log.inclusion_proofs(indices, checkpoint.tree_size)
    for proof in batched:
        single = audit_log.inclusion_proof(proof.leaf_index, checkpoint.tree_size)
        assert proof == single
        assert verify_inclusion(
            proof.leaf_index, proof.tree_size, proof.leaf_hash, proof.hashes, checkpoint.root_hash
        )


def test_checkpoint_lookup_by_size(audit_log: AuditLog) -> None:
    audit_log.record_many([event(i) for i in range(4)])
    first = audit_log.checkpoint()
    audit_log.record_many([event(i) for i in range(3)])
    assert audit_log.checkpoint_at(first.tree_size) == first
    assert audit_log.checkpoint_at(first.tree_size + 1) is None
    covering = audit_log.checkpoint_covering(first.tree_size)
    assert covering is not None
    assert covering.tree_size >= first.tree_size


def test_batched_proofs_refuse_leaves_outside_the_tree(audit_log: AuditLog) -> None:
    import pytest

    from audit import AuditRangeError

    audit_log.record_many([event(i) for i in range(3)])
    with pytest.raises(AuditRangeError):
        audit_log.inclusion_proofs([0, 3], 3)
    with pytest.raises(AuditRangeError):
        audit_log.inclusion_proofs([0], 99)


def test_batched_proofs_keep_the_callers_order_and_repeats(audit_log: AuditLog) -> None:
    audit_log.record_many([event(i) for i in range(21)])
    size = audit_log.checkpoint().tree_size
    indices = [20, 3, 3, 0, 11]
    batched = audit_log.inclusion_proofs(indices, size)
    assert [proof.leaf_index for proof in batched] == indices
    assert batched == [audit_log.inclusion_proof(index, size) for index in indices]
    assert audit_log.inclusion_proofs([], size) == []


def test_proof_nodes_read_in_chunks_are_all_found(
    audit_log: AuditLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    from audit import store

    audit_log.record_many([event(i) for i in range(40)])
    size = audit_log.checkpoint().tree_size
    whole = audit_log.inclusion_proofs(list(range(size)), size)
    monkeypatch.setattr(store, "NODE_CHUNK", 3)  # many reads of three keys each
    assert audit_log.inclusion_proofs(list(range(size)), size) == whole
    assert whole == [audit_log.inclusion_proof(index, size) for index in range(size)]


def test_batched_proofs_from_an_altered_tree_are_refused(audit_log: AuditLog) -> None:
    from sqlalchemy import text

    from audit import AuditIntegrityError
    from tests.audit.conftest import tamper

    audit_log.record_many([event(i) for i in range(8)])
    size = audit_log.checkpoint().tree_size
    with audit_log.store.engine.connect() as conn:
        blob = conn.execute(text("SELECT hashes FROM audit_tree WHERE leaf_index = 7")).scalar_one()
    # row 7 holds the subtree of leaves 4..7: the sibling in leaf 0's proof
    tamper(
        audit_log.store.engine,
        "UPDATE audit_tree SET hashes = :h WHERE leaf_index = 7",
        h=bytes(len(bytes(blob))),
    )
    with pytest.raises(AuditIntegrityError):
        audit_log.inclusion_proofs([0, 1], size)


@pytest.mark.parametrize("indices", [[0], [44], [31, 32], [13, 40], [2, 3, 33, 43]])
def test_sparse_batched_proofs_on_a_ragged_right_edge_equal_single_ones(
    audit_log: AuditLog, indices: list[int]
) -> None:
    # 45 leaves: the siblings on the right edge are folds of several stored nodes, the
    # others one aligned node read from the row of its last leaf
    audit_log.record_many([event(i) for i in range(45)])
    size = audit_log.checkpoint().tree_size
    batched = audit_log.inclusion_proofs(indices, size)
    assert batched == [audit_log.inclusion_proof(index, size) for index in indices]


@pytest.mark.parametrize(
    "statement",
    [
        # row 7 keeps only its leaf hash: the node of leaves 4..7 (level 2) is gone
        "UPDATE audit_tree SET hashes = substr(hashes, 1, 32) WHERE leaf_index = 7",
        "DELETE FROM audit_tree WHERE leaf_index = 7",
    ],
)
def test_batched_proofs_with_a_node_missing_are_refused(
    audit_log: AuditLog, statement: str
) -> None:
    from audit import AuditIntegrityError
    from tests.audit.conftest import tamper

    audit_log.record_many([event(i) for i in range(9)])
    assert audit_log.checkpoint_at(8) is None  # no signed root to catch it: the read must
    tamper(audit_log.store.engine, statement)
    with pytest.raises(AuditIntegrityError, match="missing"):
        audit_log.inclusion_proofs([0, 1], 8)
