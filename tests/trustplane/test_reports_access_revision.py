"""The access review judges the role permissions of the *active* policy revision (issue 18,
item 5), not the bundle shipped on disk: a pushed revision's grant shows in the next review."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from policies import BundleFiles
from reports import Requester, Window
from trustplane.cli.demo import seed_demo
from trustplane.container import Container, build_container
from trustplane.migrations.runner import upgrade
from trustplane.settings import Settings

SECURITY = Requester(id="u-sec", roles=frozenset({"security"}))
PUSHED = "evidence:attest-test"


@pytest.fixture
def container(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Container]:
    monkeypatch.setenv("TRUSTPLANE_PRIVACY__DEMO_CUSTOMERS", "40")
    built = build_container(Settings(data_dir=tmp_path))
    upgrade(built.engine)
    seed_demo(built)  # accounts: a service and an admin with the security role
    yield built
    built.close()


def review(container: Container) -> str:
    now = datetime.now(UTC)
    window = Window(now - timedelta(days=1), now + timedelta(minutes=1))
    job = container.reports.request(
        "access_review", None, window, "html", SECURITY, background=False
    )
    assert job.state.value == "done", job.error
    _, path = container.reports.download(job.id, SECURITY)
    return path.read_text()


def test_a_pushed_revision_s_permissions_are_the_ones_reviewed(container: Container) -> None:
    bundles = container.policies.bundles
    before = review(container)
    assert PUSHED not in before
    assert bundles.active_revision in before
    active = bundles.active_files
    data = copy.deepcopy(active.data)
    data["trustplane"]["config"]["permissions"]["security"].append(PUSHED)
    pushed = bundles.push(BundleFiles(modules=dict(active.modules), data=data), actor="u-admin")
    after = review(container)
    assert pushed.revision in after
    assert PUSHED in after  # granted to the demo admin (a security account), unused
