"""The privacy room's records as the decision point reads them (``policies.DsrSource``,
``policies.SystemSource``; ADR 0212), on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from policies import SystemRecord
from privacy import DataMapSystems, DsrBindings, DsrRepository

MAP = """\
version: 1
systems:
  - {{name: core_banking, kind: manual, assignee: ops@example.com, region: {region}}}
"""


def load(repository: DsrRepository, region: str) -> None:
    now = datetime.now(UTC)
    repository.add_datamap("0" * 64, MAP.format(region=region), "test", now, 1)


def test_an_unknown_or_malformed_id_is_unknown_and_never_echoed(engine: Engine) -> None:
    bindings = DsrBindings(DsrRepository(engine))
    for forged in ("dsr-42", "x" * 300, "\u0000", "asha@example.com", "' or 1=1 --"):
        reason = bindings.dsr_binding(forged, "c-9")
        assert reason is not None
        assert reason.startswith("unknown data subject request")
        assert forged not in reason
    assert bindings.decrypt_binding("dsr-42", "c-9") == bindings.dsr_binding("dsr-42", "c-9")


def test_no_data_map_holds_no_system(engine: Engine) -> None:
    assert DataMapSystems(DsrRepository(engine), refresh_seconds=0).system("core_banking") is None


def test_a_newer_data_map_is_read_within_the_refresh_interval(engine: Engine) -> None:
    repository = DsrRepository(engine)
    load(repository, "ap-south-1")
    eager = DataMapSystems(repository, refresh_seconds=0)
    lazy = DataMapSystems(repository, refresh_seconds=0.3)
    home = SystemRecord("core_banking", "ap-south-1")
    assert eager.system("core_banking") == lazy.system("core_banking") == home
    assert eager.system("elsewhere") is None
    load(repository, "eu-west-1")
    moved = SystemRecord("core_banking", "eu-west-1")
    assert eager.system("core_banking") == moved
    assert lazy.system("core_banking") == home  # still inside its interval
    time.sleep(0.35)
    assert lazy.system("core_banking") == moved


def test_an_s3_system_stating_no_region_is_where_its_bucket_is(engine: Engine) -> None:
    repository = DsrRepository(engine)
    bucket = "{bucket: finsolve-events, prefix: 'c/{customer_id}/', region: eu-central-1}"
    text_ = "\n".join(
        [
            "version: 1",
            "systems:",
            f"  - {{name: events, kind: s3, s3: {bucket}}}",
            f"  - {{name: stated, kind: s3, region: ap-south-2, s3: {bucket}}}",
        ]
    )
    repository.add_datamap("0" * 64, text_, "test", datetime.now(UTC), 1)
    systems = DataMapSystems(repository, refresh_seconds=0)
    assert systems.system("events") == SystemRecord("events", "eu-central-1")
    assert systems.system("stated") == SystemRecord("stated", "ap-south-2")


def test_a_data_map_that_cannot_be_read_raises(engine: Engine) -> None:
    repository = DsrRepository(engine)
    load(repository, "ap-south-1")
    systems = DataMapSystems(repository, refresh_seconds=0)
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE privacy_datamap RENAME TO privacy_datamap_away"))
    with pytest.raises(DBAPIError):  # OperationalError on SQLite, ProgrammingError on PG
        systems.system("core_banking")
