"""A server worker freezes the heap it built at startup (trustplane.heap, ADR 0006)."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from trustplane.app import app_from_env


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the test session collects as usual


FREEZE_IN_A_FRESH_INTERPRETER = """
import gc
import weakref
from trustplane.heap import freeze_startup_heap

class Cycle:
    def __init__(self):
        self.me = self

gc.disable()
garbage = Cycle()
alive = Cycle()
garbage_gone = weakref.ref(garbage)
del garbage
frozen = freeze_startup_heap()
assert frozen == gc.get_freeze_count() > 0, (frozen, gc.get_freeze_count())
assert gc.is_tracked(alive)
assert garbage_gone() is None  # collected, not frozen
assert all(o is not alive for o in gc.get_objects())  # frozen: in no generation
print("frozen", frozen)
"""


def test_freezing_collects_garbage_first_then_freezes_survivors() -> None:
    """In an interpreter of its own: in the test process, a thread another test left
    running can free a frozen object between the freeze and the count."""
    done = subprocess.run(
        [sys.executable, "-c", FREEZE_IN_A_FRESH_INTERPRETER],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("frozen ")


def test_the_uvicorn_factory_freezes_the_worker_heap(
    unfrozen: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUSTPLANE_DATA_DIR", str(tmp_path))
    assert gc.get_freeze_count() == 0
    app = app_from_env()
    assert gc.get_freeze_count() > 10_000
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
