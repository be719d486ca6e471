"""Reported-decision claims are pruned after their retention, and pruning never lets an id
be recorded twice: the audit log answers for an id once its claim is gone (ADR 0214)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from policies import ReportedDecisionClaims
from policies.reported_ids import REPORTED
from tests.policies.harness import Api, running_api, settings_for
from tests.policies.test_api_control_plane import agent_token, opa_events, upload
from tests.policies.test_stale_claims import IN_LOG, times_recorded

RETENTION = timedelta(seconds=ReportedDecisionClaims.DEFAULT_RETENTION_SECONDS)


def claimed_ids(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.execute(select(REPORTED.c.decision_id)).scalars())


def claim_at(engine: Engine, moment: datetime, ids: list[str]) -> None:
    """Claims made at ``moment`` (that claims object prunes nothing older than it)."""
    ReportedDecisionClaims(engine, clock=lambda: moment).claim(ids)


def test_prune_deletes_only_claims_older_than_the_retention(engine: Engine) -> None:
    now = datetime.now(UTC)
    claim_at(engine, now - RETENTION - timedelta(minutes=1), ["old"])
    claim_at(engine, now - RETENTION + timedelta(minutes=1), ["kept"])
    claims = ReportedDecisionClaims(engine, clock=lambda: now)
    assert claims.prune() == 1
    assert claimed_ids(engine) == {"kept"}
    assert claims.prune() == 0


def test_claims_prune_at_most_once_an_interval(engine: Engine) -> None:
    now = datetime.now(UTC)
    ticks = iter([0.0, 0.0, 30.0, ReportedDecisionClaims.PRUNE_EVERY_SECONDS + 1])
    claims = ReportedDecisionClaims(engine, clock=lambda: now, monotonic=lambda: next(ticks))
    claim_at(engine, now - RETENTION * 2, ["left-1"])
    assert claims.claim(["a"]) == {"a"}  # the first claim prunes what was left before
    assert claimed_ids(engine) == {"a"}
    claim_at(engine, now - RETENTION * 2, ["left-2"])
    assert claims.claim(["b"]) == {"b"}  # 30 s later: not due
    assert "left-2" in claimed_ids(engine)
    assert claims.claim(["c"]) == {"c"}  # a minute on: due again
    assert claimed_ids(engine) == {"a", "b", "c"}


def test_a_failed_prune_leaves_the_claim_standing(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    claims = ReportedDecisionClaims(engine)

    def broken() -> int:
        raise OperationalError("DELETE", {}, Exception("database is locked"))

    monkeypatch.setattr(claims, "prune", broken)
    with caplog.at_level(logging.WARNING, logger="policies.reported_ids"):
        assert claims.claim(["x"]) == {"x"}
    assert claimed_ids(engine) == {"x"}
    assert "pruning old reported-decision claims failed: OperationalError" in caplog.text


def test_the_retention_is_no_shorter_than_the_lease(engine: Engine) -> None:
    with pytest.raises(ValueError, match="at least as long as their lease"):
        ReportedDecisionClaims(engine, lease_seconds=600, retention_seconds=300)


@pytest.fixture
def api(tmp_path: Path, engine: Engine) -> Iterator[Api]:
    with running_api(settings_for(tmp_path), engine) as harness:
        yield harness


def test_an_id_whose_claim_was_pruned_is_still_recorded_once(api: Api, engine: Engine) -> None:
    """The attacker's replay (or an agent's very late retry) of an upload whose claims are
    gone: the log, not the claim, refuses every id."""
    token = agent_token(api)
    events = opa_events(api, "pruned", 3)
    first = upload(api, events, token)
    assert first.json() == {"recorded": 3, "refused": []}
    with engine.begin() as connection:  # the claims age past the retention
        connection.execute(update(REPORTED).values(reported_at=datetime.now(UTC) - RETENTION * 2))
    claims = api.room.reported_claims
    assert claims is not None
    assert claims.prune() == 3
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(REPORTED)).scalar() == 0
    replay = upload(api, events, token)
    assert replay.status_code == 200, replay.text
    assert replay.json()["recorded"] == 0
    assert {r["reason"] for r in replay.json()["refused"]} == {IN_LOG}
    assert [times_recorded(api, f"pruned-{n}") for n in range(3)] == [1, 1, 1]
