"""``verify_proof``: one inclusion proof, as the API serves it, checked offline."""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit import AuditLog, NoteVerifier
from reports import parse_key, verify_proof
from tests.reports.conftest import ORIGIN


def served(log: AuditLog, index: int) -> tuple[dict[str, Any], dict[str, Any]]:
    checkpoint = log.checkpoint()
    proof = {**log.inclusion_proof(index, checkpoint.tree_size).as_json()}
    proof["checkpoint"] = checkpoint.note
    return proof, log.event(index).as_json()


def seed(log: AuditLog) -> None:
    from audit import AuditEventIn, EventType, Target

    log.record_many(
        [
            AuditEventIn(type=EventType.DECISION, target=Target(type="t", id=str(i)))
            for i in range(9)
        ]
    )


def test_a_served_proof_verifies_with_and_without_the_event(audit_log: AuditLog) -> None:
    seed(audit_log)
    key = parse_key(audit_log.public_key())
    proof, event = served(audit_log, 4)
    assert verify_proof(proof, key).ok
    check = verify_proof(proof, key, event=event)
    assert check.ok
    assert (check.index, check.tree_size) == (4, proof["tree_size"])


def test_what_breaks_a_proof(audit_log: AuditLog) -> None:
    seed(audit_log)
    key = parse_key(audit_log.public_key())
    proof, event = served(audit_log, 4)
    other_key = NoteVerifier(ORIGIN, Ed25519PrivateKey.generate().public_key())
    assert not verify_proof(proof, other_key).ok
    assert not verify_proof({**proof, "hashes": ["zz"]}, key).ok
    assert not verify_proof({"leaf_index": 4}, key).ok
    assert not verify_proof({**proof, "tree_size": proof["tree_size"] - 1}, key).ok
    assert not verify_proof(proof, key, event={**event, "index": 5}).ok
    assert not verify_proof(proof, key, event={**event, "canonical": "!!"}).ok
    old_checkpoint = proof["checkpoint"]
    seed(audit_log)
    newer, _ = served(audit_log, 4)
    mixed = verify_proof(newer, key, checkpoint=old_checkpoint)  # a note kept apart
    assert not mixed.ok
    assert "tree size" in mixed.problems[0]
