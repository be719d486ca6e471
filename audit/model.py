"""Value objects the log hands out: stored events, proofs, checkpoints, reports."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from audit.canonical import decode
from audit.merkle import leaf_hash


@dataclass(frozen=True)
class LoggedEvent:
    """One stored event: its position and the exact bytes its leaf hash covers."""

    seq: int
    canonical: bytes

    @property
    def document(self) -> dict[str, Any]:
        return decode(self.canonical)

    @property
    def leaf_hash(self) -> bytes:
        return leaf_hash(self.canonical)

    def as_json(self) -> dict[str, Any]:
        return {
            "index": self.seq,
            "event": self.document,
            "canonical": base64.b64encode(self.canonical).decode(),
            "leaf_hash": self.leaf_hash.hex(),
        }


@dataclass(frozen=True)
class EventFilter:
    type: str | None = None
    outcome: str | None = None
    actor_id: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    request_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class EventPage:
    events: list[LoggedEvent]
    next_cursor: int | None  # pass as ``after`` to get the next page


@dataclass(frozen=True)
class InclusionProof:
    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    hashes: list[bytes]

    def as_json(self) -> dict[str, Any]:
        return {
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "leaf_hash": self.leaf_hash.hex(),
            "hashes": [h.hex() for h in self.hashes],
        }


@dataclass(frozen=True)
class ConsistencyProof:
    first: int
    second: int
    hashes: list[bytes]

    def as_json(self) -> dict[str, Any]:
        return {
            "first": self.first,
            "second": self.second,
            "hashes": [h.hex() for h in self.hashes],
        }


@dataclass(frozen=True)
class Checkpoint:
    tree_size: int
    root_hash: bytes
    created_at: datetime
    note: str


@dataclass
class VerificationReport:
    """Outcome of re-hashing the whole log; ``first_bad_index`` is None when it verifies."""

    tree_size: int = 0
    events_checked: int = 0
    checkpoints_checked: int = 0
    first_bad_index: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, index: int | None, problem: str) -> None:
        self.problems.append(problem)
        if index is not None and (self.first_bad_index is None or index < self.first_bad_index):
            self.first_bad_index = index
