"""The posture history version changes whenever a snapshot is stored (ADR 0842), on SQLite
and PostgreSQL: the console keeps its trend rows under it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from controls import PostureSnapshot
from controls.repository import ControlsRepository

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def snapshot(run_id: str, framework_id: str, hours: int) -> PostureSnapshot:
    return PostureSnapshot(
        run_id=run_id,
        framework_id=framework_id,
        satisfied=1,
        assessed=2,
        failing=1,
        total=2,
        taken_at=START + timedelta(hours=hours),
    )


def test_every_stored_snapshot_changes_the_version(engine: Engine) -> None:
    repository = ControlsRepository(engine)
    seen = {repository.posture_version()}
    assert seen == {(0, 0)}
    run_id = repository.start_run("test", "test", START)
    for hours, framework_id in enumerate(["dpdp", "gdpr", "dpdp"]):
        repository.record_posture([snapshot(run_id, framework_id, hours)])
        version = repository.posture_version()
        assert version not in seen
        seen.add(version)
    assert repository.posture_version() == max(seen)  # reading does not change it
