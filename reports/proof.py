"""Offline check of one inclusion proof as ``GET /v1/audit/proof/inclusion`` returns it."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from audit import AuditIntegrityError, NoteVerifier, leaf_hash, open_checkpoint, verify_inclusion


@dataclass
class ProofCheck:
    index: int | None = None
    tree_size: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_proof(
    proof: Mapping[str, Any],
    key: NoteVerifier,
    *,
    event: Mapping[str, Any] | None = None,
    checkpoint: str | None = None,
) -> ProofCheck:
    """The proof takes the leaf to the root of a checkpoint signed by ``key``.

    ``checkpoint`` (a note kept apart) replaces the one the proof carries; ``event`` (as
    ``GET /v1/audit/events/{index}`` returns it) makes the leaf come from the event's own
    canonical bytes instead of the proof's ``leaf_hash``.
    """
    check = ProofCheck()
    try:
        index, size = int(proof["leaf_index"]), int(proof["tree_size"])
        hashes = [bytes.fromhex(h) for h in proof["hashes"]]
        leaf = bytes.fromhex(proof["leaf_hash"])
        note = checkpoint if checkpoint is not None else str(proof["checkpoint"])
    except (KeyError, TypeError, ValueError) as exc:
        check.problems.append(f"malformed proof: {exc}")
        return check
    check.index, check.tree_size = index, size
    if event is not None:
        try:
            canonical = base64.b64decode(str(event["canonical"]), validate=True)
        except (KeyError, binascii.Error) as exc:
            check.problems.append(f"malformed event: {exc}")
            return check
        if int(event.get("index", -1)) != index:
            check.problems.append("the event is not the one the proof is for")
        if leaf_hash(canonical) != leaf:
            check.problems.append("the event's canonical bytes do not hash to the proof's leaf")
        leaf = leaf_hash(canonical)
    try:
        body = open_checkpoint(note, key)
    except AuditIntegrityError as exc:
        check.problems.append(f"checkpoint: {exc}")
        return check
    if body.tree_size != size:
        check.problems.append(
            f"the proof is for tree size {size}, the checkpoint's is {body.tree_size}"
        )
    elif not verify_inclusion(index, size, leaf, hashes, body.root_hash):
        check.problems.append("the proof does not take the leaf to the checkpoint's root")
    return check
