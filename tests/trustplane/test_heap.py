"""A server worker freezes the heap it built at startup (trustplane.heap, ADR 0006)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from trustplane.app import app_from_env
from trustplane.heap import freeze_startup_heap


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the test session collects as usual


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_freezing_collects_garbage_first_then_freezes_survivors(unfrozen: None) -> None:
    gc.disable()
    try:
        garbage = Cycle()
        alive = Cycle()
        garbage_id = id(garbage)
        del garbage
        frozen = freeze_startup_heap()
    finally:
        gc.enable()
    assert frozen == gc.get_freeze_count() > 0
    assert gc.is_tracked(alive)
    assert all(id(o) != garbage_id for o in gc.get_objects())  # collected, not frozen
    assert all(o is not alive for o in gc.get_objects())  # frozen: in no generation


def test_the_uvicorn_factory_freezes_the_worker_heap(
    unfrozen: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUSTPLANE_DATA_DIR", str(tmp_path))
    assert gc.get_freeze_count() == 0
    app = app_from_env()
    assert gc.get_freeze_count() > 10_000
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
