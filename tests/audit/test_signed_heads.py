"""Signed tree heads on every commit (ADR 0107): what someone holding the database but not
the signing key can no longer do unnoticed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.engine import Engine

from audit import AuditIntegrityError, AuditLog, AuditUnavailableError
from tests.audit.conftest import event, tamper
from tests.audit.test_tamper import canonical, rebuild_tree

SIZE = 40
EDITED = 35


@pytest.fixture
def tail_log(make_log: Callable[..., AuditLog]) -> AuditLog:
    """40 events; the only checkpoint is the first commit's, so 1..39 are the tail."""
    log = make_log(checkpoint_every_events=1000, checkpoint_every_seconds=3600)
    for i in range(SIZE):
        log.record(event(i))
    assert [c.tree_size for c in log.checkpoints()] == [1]
    assert log.verify().ok
    return log


def forge_tail(engine: Engine) -> None:
    """Rewrite event 35 after the last checkpoint, recompute the tree rows and the head."""
    forged = canonical(engine, EDITED).replace(b'"i":35', b'"i":99')
    tamper(engine, "UPDATE audit_event SET canonical = :c WHERE seq = :s", c=forged, s=EDITED)
    rebuild_tree(engine, SIZE)


def test_a_forged_tail_is_reported_against_its_signed_head(
    tail_log: AuditLog, engine: Engine
) -> None:
    forge_tail(engine)
    report = tail_log.verify()
    assert not report.ok
    assert report.first_bad_index is not None
    assert 1 <= report.first_bad_index <= EDITED
    assert any("signed tree head" in problem for problem in report.problems)


def test_the_log_refuses_to_sign_over_a_forged_tail_and_alerts(
    tail_log: AuditLog, engine: Engine, make_log: Callable[..., AuditLog]
) -> None:
    forge_tail(engine)
    alerts: list[str] = []
    restarted = make_log(
        checkpoint_every_events=1000, checkpoint_every_seconds=3600, on_alert=alerts.append
    )
    with pytest.raises(AuditIntegrityError):
        restarted.checkpoint()
    with pytest.raises(AuditUnavailableError):
        restarted.record(event(SIZE))
    assert alerts
    assert all("signed" in alert or "rebuild" in alert for alert in alerts)
    assert restarted.tree_size() == SIZE  # nothing was appended or signed over the forgery


def test_a_checkpoint_rehashes_the_tail_even_when_the_head_is_untouched(
    tail_log: AuditLog, engine: Engine, make_log: Callable[..., AuditLog]
) -> None:
    """Edited event bytes with the tree left alone: the head still matches its signature,
    but the re-hash before a checkpoint does not rebuild it."""
    forged = canonical(engine, EDITED).replace(b'"i":35', b'"i":98')
    tamper(engine, "UPDATE audit_event SET canonical = :c WHERE seq = :s", c=forged, s=EDITED)
    restarted = make_log(checkpoint_every_events=1000, checkpoint_every_seconds=3600)
    with pytest.raises(AuditIntegrityError):
        restarted.checkpoint()
    assert restarted.latest_checkpoint() is not None
    assert restarted.latest_checkpoint().tree_size == 1  # type: ignore[union-attr]


def test_events_appended_without_the_key_are_an_unsigned_tail(
    tail_log: AuditLog, engine: Engine
) -> None:
    extra = canonical(engine, SIZE - 1).replace(b'"i":39', b'"i":77')
    tamper(
        engine,
        "INSERT INTO audit_event (seq, event_id, time, type, outcome, actor_id, target_type,"
        " target_id, request_id, canonical) SELECT :s, 'forged-event', time, type, outcome,"
        " actor_id, target_type, target_id, request_id, :c FROM audit_event WHERE seq = :p",
        s=SIZE,
        p=SIZE - 1,
        c=extra.replace(b'"seq":39', b'"seq":40'),
    )
    rebuild_tree(engine, SIZE + 1)
    report = tail_log.verify()
    assert not report.ok
    assert report.first_bad_index == SIZE
    assert any("unsigned tail" in problem for problem in report.problems)


@pytest.mark.parametrize(
    ("column", "value"),
    [("actor_id", "someone-else"), ("type", "login"), ("target_id", "c-0"), ("outcome", "failure")],
)
def test_an_edited_filter_column_is_reported_with_its_index(
    tail_log: AuditLog, engine: Engine, column: str, value: str
) -> None:
    tamper(engine, f"UPDATE audit_event SET {column} = :v WHERE seq = 17", v=value)
    report = tail_log.verify()
    assert not report.ok
    assert report.first_bad_index == 17
    assert any(column in problem for problem in report.problems)
