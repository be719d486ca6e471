"""The SQL log on SQLite and PostgreSQL: appends, checkpoints, proofs, reads, failure."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from audit import (
    AuditArchivedError,
    AuditEventIn,
    AuditInvalidEventError,
    AuditLog,
    AuditNotFoundError,
    AuditRangeError,
    AuditRecorder,
    AuditUnavailableError,
    AuditUnconfirmedError,
    EventFilter,
    EventType,
    LocalDirArchiveStore,
    Origin,
    Outcome,
    Target,
)
from audit.merkle import leaf_hash
from audit.note import open_checkpoint
from tests.audit import reference
from tests.audit.conftest import ORIGIN, event, tamper


def test_records_are_durable_sequential_and_hash_to_the_tree(audit_log: AuditLog) -> None:
    assert isinstance(audit_log, AuditRecorder)
    receipts = [audit_log.record(event(i)) for i in range(5)]
    receipts += audit_log.record_many([event(i) for i in range(5, 25)])
    assert [r.seq for r in receipts] == list(range(25))
    assert audit_log.record_many([]) == []
    assert audit_log.tree_size() == 25
    leaves = [audit_log.event(i).leaf_hash for i in range(25)]
    assert audit_log.root() == reference.mth(leaves)
    stored = audit_log.event(3)
    assert stored.document["seq"] == 3
    assert stored.document["id"] == receipts[3].id
    assert stored.as_json()["leaf_hash"] == leaf_hash(stored.canonical).hex()


def test_proofs_from_storage_verify_with_the_reference_verifier(audit_log: AuditLog) -> None:
    audit_log.record_many([event(i) for i in range(37)])
    leaves = [audit_log.event(i).leaf_hash for i in range(37)]
    for n in (1, 2, 5, 16, 17, 37):
        root = audit_log.root(n)
        assert root == reference.mth(leaves[:n])
        for m in range(n):
            proof = audit_log.inclusion_proof(m, n)
            assert proof.leaf_hash == leaves[m]
            assert reference.verify_inclusion(m, n, leaves[m], proof.hashes, root)
        for first in range(n + 1):
            consistency = audit_log.consistency_proof(first, n)
            assert reference.verify_consistency(
                first, n, reference.mth(leaves[:first]), root, consistency.hashes
            )
    assert audit_log.inclusion_proof(3).tree_size == 37
    assert audit_log.consistency_proof(3).as_json()["second"] == 37
    for bad in ((37, 37), (0, 38), (-1, 5)):
        with pytest.raises(AuditRangeError):
            audit_log.inclusion_proof(*bad)
    with pytest.raises(AuditRangeError):
        audit_log.consistency_proof(5, 3)
    with pytest.raises(AuditRangeError):
        audit_log.root(38)


def test_checkpoints_every_n_events_and_on_demand(make_log: Callable[..., AuditLog]) -> None:
    log = make_log(checkpoint_every_events=10, checkpoint_every_seconds=3600)
    for i in range(25):
        log.record(event(i))
    sizes = [c.tree_size for c in log.checkpoints()]
    assert sizes == [1, 11, 21]  # the first event, then every 10
    now = log.checkpoint()
    assert now.tree_size == 25
    assert log.checkpoint() == now
    body = open_checkpoint(now.note, log.verifier, ORIGIN)
    assert body.root_hash == log.root(25) == now.root_hash
    assert log.latest_checkpoint() == now
    assert log.public_key() == log.verifier.encode()


def test_checkpoint_of_the_empty_log(audit_log: AuditLog) -> None:
    empty = audit_log.checkpoint()
    assert empty.tree_size == 0
    assert empty.root_hash == reference.mth([])


def test_witness_gets_a_copy_of_each_checkpoint(
    make_log: Callable[..., AuditLog], tmp_path: object
) -> None:
    from pathlib import Path

    witness = LocalDirArchiveStore(Path(str(tmp_path)) / "witness")
    log = make_log(witness=witness)
    log.record(event(1))
    note = log.checkpoint().note
    assert witness.get("checkpoints/00000000000000000001.note").decode() == note


def test_event_pages_filters_and_cursor(audit_log: AuditLog) -> None:
    audit_log.record_many([event(i) for i in range(7)])
    audit_log.record(
        AuditEventIn(
            type=EventType.LOGIN_FAILED,
            outcome=Outcome.FAILURE,
            origin=Origin(request_id="req-9"),
            target=Target(type="user", id="u-1"),
        )
    )
    page = audit_log.events(limit=3)
    assert [e.seq for e in page.events] == [0, 1, 2]
    assert page.next_cursor == 2
    page = audit_log.events(after=page.next_cursor, limit=5)
    assert [e.seq for e in page.events] == [3, 4, 5, 6, 7]
    assert page.next_cursor is None
    failed = audit_log.events(EventFilter(outcome="failure", request_id="req-9"))
    assert [e.seq for e in failed.events] == [7]
    assert audit_log.events(EventFilter(type="decision", target_id="c-2")).events[0].seq == 2
    assert audit_log.events(EventFilter(actor_id="nobody")).events == []
    first = audit_log.event(0).document["time"]
    from audit.canonical import parse_time

    moment = parse_time(first)
    assert len(audit_log.events(EventFilter(since=moment)).events) == 8
    assert audit_log.events(EventFilter(until=moment)).events == []
    with pytest.raises(AuditNotFoundError):
        audit_log.event(99)


def test_concurrent_callers_are_group_committed_without_gaps(audit_log: AuditLog) -> None:
    seqs: list[int] = []
    lock = threading.Lock()

    def worker(w: int) -> None:
        for i in range(25):
            receipt = audit_log.record(event(w * 100 + i))
            with lock:
                seqs.append(receipt.seq)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seqs) == list(range(200))
    assert audit_log.verify().ok


def test_invalid_events_are_refused(audit_log: AuditLog) -> None:
    with pytest.raises(AuditInvalidEventError):
        audit_log.record(event(1, bad=float("nan")))
    assert audit_log.tree_size() == 0


def test_fails_closed_when_the_database_is_gone(
    make_log: Callable[..., AuditLog], engine: Engine
) -> None:
    log = make_log()
    log.record(event(1))
    tamper(engine, "ALTER TABLE audit_head RENAME TO audit_head_gone")
    with pytest.raises(AuditUnavailableError):
        log.record(event(2))
    with pytest.raises(AuditUnavailableError):
        log.checkpoint()
    with pytest.raises(AuditUnavailableError):
        log.tree_size()


def test_closed_log_is_unavailable(make_log: Callable[..., AuditLog]) -> None:
    log = make_log()
    log.close()
    log.close()
    with pytest.raises(AuditUnavailableError):
        log.record(event(1))


def test_database_rejects_update_and_delete(audit_log: AuditLog, engine: Engine) -> None:
    audit_log.record_many([event(i) for i in range(3)])
    for statement in (
        "UPDATE audit_event SET outcome = 'failure' WHERE seq = 1",
        "DELETE FROM audit_event WHERE seq = 1",
        "UPDATE audit_tree SET hashes = hashes WHERE leaf_index = 1",
        "DELETE FROM audit_tree",
        "DELETE FROM audit_checkpoint",
    ):
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text(statement))
    if engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_event"))
    assert audit_log.verify().ok


def test_no_plaintext_of_a_redacted_value_anywhere_in_storage(
    audit_log: AuditLog, engine: Engine, db_url: str
) -> None:
    secrets = ["asha.verma@example.in", "ABCDE1234F", "4111111111111111", "10.9.8.7"]
    audit_log.record(
        AuditEventIn(
            type=EventType.FIELD_DECRYPT,
            origin=Origin(ip=secrets[3]),
            target=Target(type="customer", id="c-1"),
            details={
                "email": secrets[0],
                "fields": [{"pan": secrets[1]}],
                "card_number": secrets[2],
            },
        )
    )
    audit_log.checkpoint()
    needle_hash = audit_log.hash_value(secrets[0])
    assert audit_log.events().events[0].document["details"]["email"] == needle_hash
    audit_log.close()
    dump = _dump_storage(engine, db_url)
    for secret in secrets:
        assert secret.encode() not in dump, "plaintext reached storage"
    assert needle_hash.encode() in dump


def _dump_storage(engine: Engine, db_url: str) -> bytes:
    if engine.dialect.name == "sqlite":
        engine.dispose()
        path = db_url.removeprefix("sqlite:///")
        from pathlib import Path

        files = [Path(path), Path(path + "-wal"), Path(path + "-shm")]
        return b"".join(p.read_bytes() for p in files if p.exists())
    chunks: list[bytes] = []
    with engine.connect() as conn:
        for table in ("audit_event", "audit_tree", "audit_checkpoint", "audit_head"):
            for row in conn.execute(text(f"SELECT * FROM {table}")):
                for value in row:
                    chunks.append(value if isinstance(value, bytes) else str(value).encode())
    return b"\n".join(chunks)


def test_archived_events_say_so(audit_log: AuditLog, engine: Engine) -> None:
    audit_log.record_many([event(i) for i in range(3)])
    tamper(
        engine, "UPDATE audit_head SET archived_upto = 2", "DELETE FROM audit_event WHERE seq < 2"
    )
    with pytest.raises(AuditArchivedError):
        audit_log.event(0)
    assert audit_log.verify().ok


def test_a_failed_group_commit_writes_nothing_and_the_next_one_succeeds(
    audit_log: AuditLog, engine: Engine
) -> None:
    audit_log.record(event(0))
    # a stray row where leaf 2 will go: the batch holding leaves 1 and 2 must fail whole
    tamper(engine, "INSERT INTO audit_tree (leaf_index, hashes) VALUES (2, :h)", h=b"\x00" * 32)
    with pytest.raises(AuditUnavailableError):
        audit_log.record_many([event(1), event(2)])
    assert audit_log.tree_size() == 1
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_event")).scalar_one() == 1
    tamper(engine, "DELETE FROM audit_tree WHERE leaf_index = 2")
    # events without target id or request id (all-NULL columns in one batch) still store
    bare = AuditEventIn(type=EventType.LOGIN, target=Target(type="user"))
    receipts = audit_log.record_many([bare, bare])
    assert [r.seq for r in receipts] == [1, 2]
    assert audit_log.event(2).document["target"] == {"id": None, "type": "user"}
    assert audit_log.verify().ok


def test_a_record_the_writer_does_not_confirm_in_time_says_it_may_land_later(
    audit_log: AuditLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A timeout is not a failure to write: the events are still queued. Callers tell the two
    apart (a claim given back on a failure must stay on a timeout)."""

    class Unsettled:
        def result(self, timeout: float | None = None) -> list[int]:
            raise TimeoutError("the audit writer did not settle the request in time")

    monkeypatch.setattr(audit_log._writer, "submit", lambda _prepared: Unsettled())
    with pytest.raises(AuditUnconfirmedError) as caught:
        audit_log.record_many([event(1)], timeout=0.01)
    assert isinstance(caught.value, AuditUnavailableError)  # still a 503 for HTTP callers
