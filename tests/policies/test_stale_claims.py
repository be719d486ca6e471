"""A killed uploader's claim does not refuse the agent's retry (ADR 0214).

An upload claims its new decision ids, then records them in the audit log. A process killed
between the two leaves claims nothing will record; the agent got no 2xx and retries. A claim
older than the lease whose id the log does not hold is taken over by the retry (one winner),
over the real ``POST /logs`` on SQLite and PostgreSQL.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from audit import AuditUnavailableError, AuditUnconfirmedError
from policies import ReportedDecisionClaims
from policies.opa.control import Uploader, opa_event_to_audit
from tests.policies.harness import Api, running_api, settings_for
from tests.policies.test_api_control_plane import (
    agent_token,
    opa_events,
    reported_events,
    upload,
)

LEASE = timedelta(seconds=ReportedDecisionClaims.DEFAULT_LEASE_SECONDS)
IN_LOG = "decision_id already in the audit log"


@pytest.fixture
def api(tmp_path: Path, engine: Engine) -> Iterator[Api]:
    with running_api(settings_for(tmp_path), engine) as harness:
        yield harness


def killed_upload(engine: Engine, decision_ids: list[str], age: timedelta) -> None:
    """What an upload SIGKILLed after its claim's commit leaves: claims made ``age`` ago, and
    nothing in the audit log."""
    then = datetime.now(UTC) - age
    claims = ReportedDecisionClaims(engine, clock=lambda: then)
    assert claims.claim(decision_ids) == set(decision_ids)


def times_recorded(api: Api, decision_id: str) -> int:
    page = api.audit.events(limit=1000)
    return [e.document["target"]["id"] for e in page.events].count(decision_id)


def test_a_killed_uploaders_claim_does_not_refuse_the_agents_retry(
    api: Api, engine: Engine
) -> None:
    token = agent_token(api)
    events = opa_events(api, "killed", 2)
    killed_upload(engine, ["killed-0", "killed-1"], LEASE + timedelta(minutes=5))
    retry = upload(api, events, token)
    assert retry.status_code == 200, retry.text
    assert retry.json() == {"recorded": 2, "refused": []}
    assert {"killed-0", "killed-1"} <= set(reported_events(api))
    again = upload(api, events, token)  # a second retry: the log holds them now
    assert again.json()["recorded"] == 0
    assert {r["reason"] for r in again.json()["refused"]} == {IN_LOG}
    assert times_recorded(api, "killed-0") == times_recorded(api, "killed-1") == 1


def test_a_claim_within_its_lease_is_answered_send_it_again(api: Api, engine: Engine) -> None:
    """An upload that claimed a moment ago may still be recording: the retry is neither
    recorded nor told its entry was delivered (a 2xx), but asked to send it again later."""
    token = agent_token(api)
    events = opa_events(api, "busy", 2)
    killed_upload(engine, ["busy-0"], LEASE - timedelta(seconds=30))
    retry = upload(api, events, token)
    assert retry.status_code == 503, retry.text
    assert retry.headers["content-type"].startswith("application/problem+json")
    assert int(retry.headers["retry-after"]) > 0
    assert retry.json()["in_flight"] == ["busy-0"]
    assert retry.json()["recorded"] == 1  # the rest of the upload is recorded
    assert "busy-0" not in reported_events(api)
    assert times_recorded(api, "busy-1") == 1


def test_a_stale_claim_the_log_holds_is_refused_as_in_the_log(api: Api, engine: Engine) -> None:
    """The original recorded after all (its claim is old): the retry does not record twice."""
    token = agent_token(api)
    events = opa_events(api, "late", 1)
    killed_upload(engine, ["late-0"], LEASE * 2)
    original = Uploader(account_id="original", kind="service", roles=("opa-agent",))
    api.room.logger.recorder.record_many([opa_event_to_audit(events[0], None, original)])
    retry = upload(api, events, token)
    assert retry.json() == {"recorded": 0, "refused": [{"decision_id": "late-0", "reason": IN_LOG}]}
    assert times_recorded(api, "late-0") == 1


def test_an_original_recording_while_the_retry_takes_over_is_not_recorded_twice(
    api: Api, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The original commits its record after the retry asked the log, just before the retry
    takes its stale claim over: the retry asks the log again for what it took over."""
    token = agent_token(api)
    events = opa_events(api, "slow", 2)
    killed_upload(engine, ["slow-0", "slow-1"], LEASE * 2)
    claims = api.room.reported_claims
    assert claims is not None
    take_over = claims.take_over_stale
    original = Uploader(account_id="original", kind="service", roles=("opa-agent",))

    def original_records_first(decision_ids: Any) -> set[str]:
        api.room.logger.recorder.record_many([opa_event_to_audit(events[0], None, original)])
        return take_over(decision_ids)

    monkeypatch.setattr(claims, "take_over_stale", original_records_first)
    retry = upload(api, events, token)
    assert retry.status_code == 200, retry.text
    assert retry.json() == {"recorded": 1, "refused": [{"decision_id": "slow-0", "reason": IN_LOG}]}
    assert times_recorded(api, "slow-0") == times_recorded(api, "slow-1") == 1


def test_a_taken_over_claim_the_log_cannot_record_is_given_back(
    api: Api, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The retry that took the stale claim over fails to record (503): the next retry must
    not wait a whole lease again."""
    token = agent_token(api)
    events = opa_events(api, "again", 1)
    killed_upload(engine, ["again-0"], LEASE * 2)
    recorder = api.room.logger.recorder
    record_many = recorder.record_many

    def down(_events: Any) -> Any:
        raise AuditUnavailableError("audit log down")

    monkeypatch.setattr(recorder, "record_many", down)
    failed = upload(api, events, token)
    assert failed.status_code == 503, failed.text
    assert failed.headers["content-type"].startswith("application/problem+json")
    monkeypatch.setattr(recorder, "record_many", record_many)
    retry = upload(api, events, token)
    assert retry.json() == {"recorded": 1, "refused": []}
    assert times_recorded(api, "again-0") == 1


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_two_retries_racing_over_one_stale_claim_record_it_once(
    api: Api, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both retries find the claim stale and try to take it over at the same moment (a
    barrier holds each until the other is there, and every statement on the claims table is
    slowed, so a read-then-write take-over would let both read the stale stamp): the database
    lets exactly one win."""
    token = agent_token(api)
    events = opa_events(api, "orphan", 1)
    killed_upload(engine, ["orphan-0"], LEASE * 2)
    claims = api.room.reported_claims
    assert claims is not None
    take_over = claims.take_over_stale
    both_there = threading.Barrier(2, timeout=10)

    def together(decision_ids: Any) -> set[str]:
        with contextlib.suppress(threading.BrokenBarrierError):
            both_there.wait()
        return take_over(decision_ids)

    def slowed(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "policy_reported_decisions" in statement:
            time.sleep(0.2)

    monkeypatch.setattr(claims, "take_over_stale", together)
    event.listen(engine, "before_cursor_execute", slowed)
    answers: list[Any] = []
    racers = [
        threading.Thread(target=lambda: answers.append(upload(api, events, token)))
        for _ in range(2)
    ]
    for racer in racers:
        racer.start()
    try:
        for racer in racers:
            racer.join(30)
    finally:
        event.remove(engine, "before_cursor_execute", slowed)
    assert not both_there.broken  # both really reached the take-over together
    winner = next(a for a in answers if a.status_code == 200 and a.json()["recorded"])
    assert winner.json() == {"recorded": 1, "refused": []}
    loser = next(a for a in answers if a is not winner)
    # the loser asked the log before or after the winner's record landed
    if loser.status_code == 503:
        assert loser.json()["in_flight"] == ["orphan-0"]
    else:
        assert loser.json() == {
            "recorded": 0,
            "refused": [{"decision_id": "orphan-0", "reason": IN_LOG}],
        }
    assert times_recorded(api, "orphan-0") == 1


def test_take_over_renews_only_stale_claims_once(engine: Engine) -> None:
    """The storage contract on both backends: a stale claim is taken over by one call (its
    lease renewed), a fresh or missing one is not."""
    now = datetime.now(UTC)
    ReportedDecisionClaims(engine, clock=lambda: now - LEASE * 3).claim(["old"])
    ReportedDecisionClaims(engine, clock=lambda: now - LEASE / 2).claim(["young"])
    claims = ReportedDecisionClaims(engine, clock=lambda: now)
    assert claims.take_over_stale(["old", "young", "never-claimed"]) == {"old"}
    assert claims.take_over_stale(["old"]) == set()  # renewed: fresh again
    later = ReportedDecisionClaims(engine, clock=lambda: now + LEASE + timedelta(seconds=1))
    assert later.take_over_stale(["old", "young"]) == {"old", "young"}
    assert claims.take_over_stale([]) == set()
    with pytest.raises(ValueError):
        ReportedDecisionClaims(engine, lease_seconds=0)


def test_a_record_the_log_did_not_confirm_keeps_its_claims(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The log did not confirm in time, and the write lands later: the claims were not given
    back, so the agent's retry in between is asked to send again instead of recording a
    second copy."""
    token = agent_token(api)
    events = opa_events(api, "unconfirmed", 1)
    recorder = api.room.logger.recorder
    record_many = recorder.record_many
    queued: list[Any] = []

    def unconfirmed(audited: Any) -> Any:
        queued.append(audited)  # still in the writer's queue
        raise AuditUnconfirmedError("audit log did not confirm the event in time")

    monkeypatch.setattr(recorder, "record_many", unconfirmed)
    first = upload(api, events, token)
    assert first.status_code == 503, first.text
    monkeypatch.setattr(recorder, "record_many", record_many)
    retry = upload(api, events, token)
    assert retry.status_code == 503, retry.text
    assert retry.json()["in_flight"] == ["unconfirmed-0"]
    record_many(queued[0])  # the queued write lands
    again = upload(api, events, token)
    assert again.json() == {
        "recorded": 0,
        "refused": [{"decision_id": "unconfirmed-0", "reason": IN_LOG}],
    }
    assert times_recorded(api, "unconfirmed-0") == 1
