"""The witness (S3 Object Lock, moto server): a log rolled back to an earlier consistent
state passes local verification, and only the witness's checkpoints expose it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
from sqlalchemy import text
from sqlalchemy.engine import Engine

from audit import AuditLog, S3ArchiveStore
from tests.audit.conftest import event, tamper
from tests.audit.test_tamper import rebuild_tree


def witness_bucket(url: str) -> Any:
    factory: Any = boto3.client
    client = factory("s3", region_name="ap-south-1", endpoint_url=url)
    client.create_bucket(
        Bucket="fs-witness",
        CreateBucketConfiguration={"LocationConstraint": "ap-south-1"},
        ObjectLockEnabledForBucket=True,
    )
    return client


def test_a_rolled_back_log_is_caught_only_by_the_witness(
    moto_url: str, engine: Engine, make_log: Callable[..., AuditLog]
) -> None:
    witness = S3ArchiveStore(witness_bucket(moto_url), "fs-witness", prefix="audit/")
    log = make_log(checkpoint_every_events=10, checkpoint_every_seconds=3600, witness=witness)
    for i in range(30):
        log.record(event(i))
    log.checkpoint()
    sizes = [c.tree_size for c in log.checkpoints()]
    assert sizes == [1, 11, 21, 30]
    assert witness.names("checkpoints/") == [f"checkpoints/{s:020d}.note" for s in sizes]
    # the attacker rolls everything back to checkpoint 21, replaying its note as the head
    with engine.connect() as conn:
        note = conn.execute(
            text("SELECT note FROM audit_checkpoint WHERE tree_size = 21")
        ).scalar_one()
    tamper(
        engine,
        "DELETE FROM audit_event WHERE seq >= 21",
        "DELETE FROM audit_checkpoint WHERE tree_size > 21",
    )
    rebuild_tree(engine, 21)
    tamper(engine, "UPDATE audit_head SET signed_head = :n, checkpoint_size = 21", n=note)
    assert log.verify().ok  # locally consistent: signed head, checkpoints, tree, events
    report = log.verify(log.witness_notes())
    assert not report.ok
    assert any("truncated" in problem for problem in report.problems)
    assert report.first_bad_index == 21
