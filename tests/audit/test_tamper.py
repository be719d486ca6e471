"""Tamper matrix: every kind of edit to the stored log is found by ``verify()``."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from sqlalchemy.engine import Engine

import audit.forking
import audit.verify
from audit import AuditLog
from audit.merkle import TreeBuilder, leaf_hash
from audit.note import CheckpointBody, NoteSigner
from audit.store import AuditStore
from audit.verify import verify_log
from tests.audit.conftest import ORIGIN, event, tamper

SIZE = 30


@pytest.fixture(params=[1, 3], ids=["one process", "three processes"], autouse=True)
def processes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """Every tamper case is found alike by one walk and by three segments side by side."""
    segment_counts: list[int] = []
    real_map_forked = audit.forking.map_forked

    def spy(child: Any, local: Any, items: Sequence[Any], stop: Any) -> Any:
        segment_counts.append(len(items))
        return real_map_forked(child, local, items, stop)

    monkeypatch.setattr(audit.verify, "map_forked", spy)
    monkeypatch.setattr(audit.verify, "MIN_SEGMENT", 4)
    monkeypatch.setattr(audit.verify, "available_cpus", lambda: request.param)
    yield request.param
    assert max(segment_counts) == request.param  # the untampered log was split as planned


@pytest.fixture
def filled(make_log: Callable[..., AuditLog]) -> AuditLog:
    log = make_log(checkpoint_every_events=10, checkpoint_every_seconds=3600)
    for i in range(SIZE):
        log.record(event(i))
    log.checkpoint()
    assert [c.tree_size for c in log.checkpoints()] == [1, 11, 21, 30]
    report = log.verify()
    assert report.ok
    assert report.events_checked == SIZE
    assert report.first_bad_index is None
    return log


def canonical(engine: Engine, seq: int) -> bytes:
    with engine.connect() as conn:
        return bytes(
            conn.execute(
                text("SELECT canonical FROM audit_event WHERE seq = :s"), {"s": seq}
            ).scalar_one()
        )


def rebuild_tree(engine: Engine, upto: int) -> None:
    """What a careful attacker does after editing events: recompute nodes and head."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT seq, canonical FROM audit_event ORDER BY seq")).all()
    builder = TreeBuilder()
    statements = ["DELETE FROM audit_tree"]
    params: dict[str, object] = {}
    for seq, data in rows[:upto]:
        params[f"h{seq}"] = builder.append(leaf_hash(bytes(data)))
        statements.append(f"INSERT INTO audit_tree (leaf_index, hashes) VALUES ({seq}, :h{seq})")
    params["frontier"] = b"".join(builder.frontier)
    statements.append(f"UPDATE audit_head SET tree_size = {upto}, frontier = :frontier")
    tamper(engine, *statements, **params)


def expect_bad(log: AuditLog, index: int | None) -> None:
    report = log.verify()
    assert not report.ok
    assert report.first_bad_index == index, report.problems


def test_edited_event(filled: AuditLog, engine: Engine) -> None:
    edited = canonical(engine, 13).replace(b'"outcome":"success"', b'"outcome":"failure"')
    tamper(engine, "UPDATE audit_event SET canonical = :c WHERE seq = 13", c=edited)
    expect_bad(filled, 13)


def test_edited_event_with_rebuilt_tree_is_caught_by_checkpoints(
    filled: AuditLog, engine: Engine
) -> None:
    edited = canonical(engine, 13).replace(b'"outcome":"success"', b'"outcome":"failure"')
    tamper(engine, "UPDATE audit_event SET canonical = :c WHERE seq = 13", c=edited)
    rebuild_tree(engine, SIZE)
    report = filled.verify()
    assert not report.ok
    assert report.first_bad_index == 11
    assert "checkpoint at size 21" in report.problems[0]


def test_deleted_event(filled: AuditLog, engine: Engine) -> None:
    tamper(engine, "DELETE FROM audit_event WHERE seq = 13")
    expect_bad(filled, 13)


def test_inserted_event_in_the_middle(filled: AuditLog, engine: Engine) -> None:
    forged = canonical(engine, 13).replace(b'"seq":13', b'"seq":99')
    tamper(
        engine,
        "UPDATE audit_event SET seq = -(seq + 1) WHERE seq >= 13",
        "UPDATE audit_event SET seq = -seq WHERE seq < 0",
        "INSERT INTO audit_event (seq, event_id, time, type, outcome, actor_id, target_type, "
        "canonical) SELECT 13, 'forged', time, type, outcome, actor_id, target_type, :c "
        "FROM audit_event WHERE seq = 14",
        c=forged,
    )
    expect_bad(filled, 13)


def test_inserted_event_at_the_end(filled: AuditLog, engine: Engine) -> None:
    tamper(
        engine,
        "INSERT INTO audit_event (seq, event_id, time, type, outcome, actor_id, target_type, "
        "canonical) SELECT 30, 'forged', time, type, outcome, actor_id, target_type, canonical "
        "FROM audit_event WHERE seq = 29",
    )
    expect_bad(filled, SIZE)


def test_reordered_events(filled: AuditLog, engine: Engine) -> None:
    a, b = canonical(engine, 13), canonical(engine, 14)
    tamper(
        engine,
        "UPDATE audit_event SET canonical = :b WHERE seq = 13",
        "UPDATE audit_event SET canonical = :a WHERE seq = 14",
        a=a,
        b=b,
    )
    expect_bad(filled, 13)


def test_truncated_log(filled: AuditLog, engine: Engine) -> None:
    tamper(engine, "DELETE FROM audit_event WHERE seq >= 25")
    rebuild_tree(engine, 25)
    expect_bad(filled, 25)


def test_truncated_log_with_its_checkpoints_is_caught_by_a_trusted_copy(
    filled: AuditLog, engine: Engine
) -> None:
    outside = filled.latest_checkpoint()
    assert outside is not None
    tamper(
        engine,
        "DELETE FROM audit_event WHERE seq >= 25",
        "DELETE FROM audit_checkpoint WHERE tree_size >= 25",
    )
    rebuild_tree(engine, 25)
    local = filled.verify()  # locally consistent rows, but the signed tree head says 30
    assert not local.ok
    assert local.first_bad_index == 25
    # an attacker who also drops the signed head leaves an unsigned tail after checkpoint 21
    tamper(engine, "UPDATE audit_head SET signed_head = NULL")
    unsigned = filled.verify()
    assert not unsigned.ok
    assert unsigned.first_bad_index == 21
    assert any("unsigned tail" in problem for problem in unsigned.problems)
    report = filled.verify(trusted=[outside.note])
    assert not report.ok
    assert any("truncated" in problem for problem in report.problems)


def test_forged_checkpoint(filled: AuditLog, engine: Engine) -> None:
    forger = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    note = forger.sign(CheckpointBody(ORIGIN, 30, b"\x00" * 32).encode())
    tamper(
        engine,
        "DELETE FROM audit_checkpoint WHERE tree_size = 30",
        "INSERT INTO audit_checkpoint (tree_size, root_hash, created_at, note) "
        "SELECT 30, :r, created_at, :n FROM audit_checkpoint WHERE tree_size = 21",
        r=b"\x00" * 32,
        n=note,
    )
    report = filled.verify()
    assert not report.ok
    assert "checkpoint at size 30" in report.problems[0]


def test_edited_checkpoint_row(filled: AuditLog, engine: Engine) -> None:
    tamper(
        engine, "UPDATE audit_checkpoint SET root_hash = :r WHERE tree_size = 21", r=b"\x01" * 32
    )
    report = filled.verify()
    assert not report.ok
    assert "disagree" in report.problems[0]


def test_wrong_key(filled: AuditLog, engine: Engine) -> None:
    other = NoteSigner(ORIGIN, Ed25519PrivateKey.generate()).verifier
    report = verify_log(AuditStore(engine), other, ORIGIN)
    assert not report.ok
    assert len(report.problems) == 5  # four checkpoints and the signed tree head
    assert report.first_bad_index == 0
    bad_trusted = verify_log(AuditStore(engine), filled.verifier, ORIGIN, trusted=["junk"])
    assert not bad_trusted.ok


def test_missing_tree_node(filled: AuditLog, engine: Engine) -> None:
    tamper(engine, "DELETE FROM audit_tree WHERE leaf_index = 7")
    expect_bad(filled, 7)
