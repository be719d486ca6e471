"""Key files the embedded defaults create at first run (mode 0600, never committed)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from trustplane.errors import ConfigurationError


def load_or_create(path: Path, create: Callable[[], bytes]) -> bytes:
    """Read ``path``; on first run write ``create()`` there with mode 0600 atomically."""
    if path.exists():
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise ConfigurationError(
                f"key file {path} is readable by others (mode {mode:o}); chmod 600 it"
            )
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    material = create()
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:  # another process created it first
        return path.read_bytes()
    with os.fdopen(fd, "wb") as handle:
        handle.write(material)
        handle.flush()
        os.fsync(handle.fileno())
    return material


def load_existing(path: Path) -> bytes:
    if not path.exists():
        raise ConfigurationError(f"key file {path} does not exist")
    return path.read_bytes()
