"""Writers of one SQLite file in several processes wait for each other on a sidecar flock
(``<database>-append.lock``, 0600): the kernel wakes a waiter the moment the holder is done,
where SQLite's busy handler would sleep in growing steps (audit/store.py)."""

from __future__ import annotations

import fcntl
import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from audit import AuditLog
from tests.audit.conftest import event


@pytest.fixture
def db_url(tmp_path: Path) -> str:  # a SQLite file of its own: the lock sits beside it
    return f"sqlite:///{tmp_path / 'audit.db'}"


def test_an_append_waits_while_another_process_holds_the_file_lock(
    make_log: Callable[..., AuditLog], tmp_path: Path
) -> None:
    log = make_log()
    log.record(event(0))
    lock_path = tmp_path / "audit.db-append.lock"
    assert stat.S_IMODE(lock_path.stat().st_mode) == 0o600
    other = os.open(lock_path, os.O_RDWR)  # another process's descriptor: its own lock
    try:
        fcntl.flock(other, fcntl.LOCK_EX)
        done = threading.Event()

        def append() -> None:
            log.record(event(1))
            done.set()

        writer = threading.Thread(target=append)
        writer.start()
        assert not done.wait(0.5)  # held back while the other writer holds the lock
        assert log.tree_size() == 1
        fcntl.flock(other, fcntl.LOCK_UN)
        assert done.wait(10)
        writer.join(10)
    finally:
        os.close(other)
    assert log.tree_size() == 2
