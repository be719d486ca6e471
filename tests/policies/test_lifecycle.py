from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from audit import EventType, InMemoryAuditLog
from policies import (
    DEFAULT_BUNDLE_DIR,
    BundleError,
    PolicyTestFailedError,
    RevisionNotFoundError,
    load_bundle_dir,
)
from policies.lifecycle import BundleService
from policies.store import BundleStore
from tests.policies.corpus import CUSTOMER, profile, req
from trustplane.db import make_engine

DEFAULT = load_bundle_dir()


def bundle_allowing(tmp_path: Path, region: str) -> Path:
    """The shipped bundle with one more region allowed for Indian residency data."""
    target = tmp_path / region
    shutil.copytree(DEFAULT_BUNDLE_DIR, target)
    data = json.loads((target / "data.json").read_text())
    data["finsolve"]["config"]["localisation"]["allowed_regions"].append(region)
    (target / "data.json").write_text(json.dumps(data))
    return target


def sg_allowed_bundle(tmp_path: Path) -> Path:
    return bundle_allowing(tmp_path, "ap-southeast-1")


EU_REQUEST = req(CUSTOMER, "read", profile(residency="IN", region="ap-southeast-1"))


def allows(service: BundleService) -> bool:
    value = service.current().evaluate("data.finsolve.authz.decision", EU_REQUEST).value
    return bool(value["allow"])


def test_bootstrap_push_rollback(engine: Engine, tmp_path: Path) -> None:
    audit_log = InMemoryAuditLog()
    store = BundleStore(engine)
    service = BundleService(store, audit_log)
    first = service.bootstrap(DEFAULT)
    assert first == DEFAULT.revision
    assert service.bootstrap(DEFAULT) == first  # idempotent
    assert not allows(service)

    pushed = service.push(load_bundle_dir(sg_allowed_bundle(tmp_path)), actor="u-admin")
    assert pushed.revision != first
    assert service.active_revision == pushed.revision
    assert allows(service)

    service.rollback(first, actor="u-admin")
    assert service.active_revision == first
    assert not allows(service)

    listed = store.revisions()
    assert {info.revision for info in listed} == {first, pushed.revision}
    assert [info.revision for info in listed if info.active] == [first]
    assert listed[0].as_dict()["coverage_percent"] >= 90
    assert store.activation_count() == 3
    kinds = [event.details["kind"] for event in audit_log.events]
    assert kinds == ["bootstrap", "push", "rollback"]
    assert all(event.type is EventType.POLICY_REVISION for event in audit_log.events)


def test_push_refuses_failing_tests(engine: Engine, tmp_path: Path) -> None:
    store = BundleStore(engine)
    service = BundleService(store, InMemoryAuditLog())
    service.bootstrap(DEFAULT)
    # allowing eu-west-1 breaks the bundle's own localisation test: push must refuse
    broken = load_bundle_dir(bundle_allowing(tmp_path, "eu-west-1"))
    with pytest.raises(PolicyTestFailedError, match="test_localisation_denied_foreign_region"):
        service.push(broken, actor="u-admin")
    assert service.active_revision == DEFAULT.revision
    assert not store.exists(broken.revision)


def test_push_refuses_low_coverage_and_syntax_errors(engine: Engine, tmp_path: Path) -> None:
    store = BundleStore(engine)
    service = BundleService(store, InMemoryAuditLog())
    service.bootstrap(DEFAULT)
    target = tmp_path / "low"
    shutil.copytree(DEFAULT_BUNDLE_DIR, target)
    lines = "\n".join(f"unused_{i} if input.x == {i}" for i in range(300))
    (target / "finsolve" / "unused.rego").write_text(
        f"package finsolve.unused\n\nimport rego.v1\n\n{lines}\n"
    )
    with pytest.raises(PolicyTestFailedError, match="coverage"):
        service.push(load_bundle_dir(target), actor="u-admin")
    (target / "finsolve" / "unused.rego").write_text("package finsolve.unused\n\nx if {\n")
    with pytest.raises(BundleError):
        service.push(load_bundle_dir(target), actor="u-admin")
    assert len(store.revisions()) == 1


def test_rollback_to_unknown_revision(engine: Engine) -> None:
    service = BundleService(BundleStore(engine), InMemoryAuditLog())
    with pytest.raises(RevisionNotFoundError):
        service.rollback("0" * 64, actor="u-admin")
    with pytest.raises(BundleError):
        service.current()


def test_agent_status_round_trip(engine: Engine) -> None:
    store = BundleStore(engine)
    store.record_agent_status("opa-1", "rev-a", {"labels": {"id": "opa-1"}})
    store.record_agent_status("opa-1", "rev-b", {"labels": {"id": "opa-1"}, "n": 2})
    store.record_agent_status("opa-2", None, {})
    agents = store.agents()
    assert [a.agent_id for a in agents] == ["opa-1", "opa-2"]
    assert agents[0].active_revision == "rev-b"
    assert agents[0].status["n"] == 2
    assert agents[0].as_dict()["last_seen_at"].endswith("+00:00")


@pytest.mark.postgres
def test_two_replicas_follow_push_and_rollback(postgres: object, tmp_path: Path) -> None:
    from tests.services import Postgres
    from trustplane.migrations.runner import upgrade

    assert isinstance(postgres, Postgres)
    url = postgres.create_database()
    first_engine, second_engine = make_engine(url), make_engine(url)
    upgrade(first_engine)
    one = BundleService(BundleStore(first_engine), InMemoryAuditLog(), poll_seconds=0.05)
    two = BundleService(BundleStore(second_engine), InMemoryAuditLog(), poll_seconds=0.05)
    one.bootstrap(DEFAULT)
    assert two.current().revision == DEFAULT.revision
    pushed = one.push(load_bundle_dir(sg_allowed_bundle(tmp_path)), actor="u-admin")
    assert two.sync() is True
    assert two.active_revision == pushed.revision
    assert allows(two)
    one.rollback(DEFAULT.revision, actor="u-admin")
    assert two.sync() is True
    assert not allows(two)
    assert two.sync() is False
    first_engine.dispose()
    second_engine.dispose()
