"""Files that hold personal data, keys or evidence are the owner's alone (issue 15, item 11).

- ``private_umask()``: the process creates files 0600 and directories 0700 (SQLite
  databases and their WAL/SHM files, audit archives, evidence, exports).
- ``tighten_data_dir()``: a data dir that already exists with group or world access is
  tightened with a warning, or refused in production.
- ``exclusive_lock()``: one process at a time runs first-run initialisation (migrations),
  so CLI processes started together on a fresh data dir do not race.

Written beside the other private-file helper of the composition root; the lead merges them.
"""

from __future__ import annotations

import fcntl
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import structlog

from trustplane.errors import ConfigurationError

PRIVATE_UMASK = 0o077
OPEN_TO_OTHERS = stat.S_IRWXG | stat.S_IRWXO
# files in the data dir's top level that hold state (the databases and their journals)
STATE_SUFFIXES = (".db", ".db-wal", ".db-shm", ".db-journal", ".sqlite", ".key", ".pem")

log = structlog.get_logger("trustplane.files")


def private_umask() -> int:
    """Make every file this process creates private to its owner; returns the old umask."""
    return os.umask(PRIVATE_UMASK)


def tighten_data_dir(path: Path, *, refuse: bool) -> list[Path]:
    """Create ``path`` 0700, or tighten it (and its state files) when group or others may
    read it; with ``refuse`` (production) raise ``ConfigurationError`` instead."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    loose = [path] if stat.S_IMODE(path.stat().st_mode) & OPEN_TO_OTHERS else []
    loose += [
        child
        for child in sorted(path.iterdir())
        if child.is_file()
        and child.name.endswith(STATE_SUFFIXES)
        and stat.S_IMODE(child.stat().st_mode) & OPEN_TO_OTHERS
    ]
    if not loose:
        return []
    if refuse:
        raise ConfigurationError(
            f"data dir {path} is readable by group or others ({len(loose)} path(s), e.g."
            f" {loose[0]}); chmod 700 the directory and 600 its files"
        )
    for item in loose:
        mode = stat.S_IMODE(item.stat().st_mode)
        item.chmod(mode & ~OPEN_TO_OTHERS)
        log.warning("tightened", path=str(item), was=f"{mode:o}")
    return loose


@contextmanager
def exclusive_lock(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``lock_path`` (created 0600) while inside."""
    lock_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
