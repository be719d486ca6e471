"""Load-or-create helpers for secret files the vault room owns (mode 0600)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from vault.errors import KeyStoreError

KEY_FILE_MODE = 0o600


def write_secret_file(path: Path, data: bytes) -> None:
    """Atomically (re)write ``path`` with mode 0600 from the first byte on."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEY_FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def load_or_create_key(path: Path, size: int = 32) -> bytes:
    """A random secret key kept in ``path`` (created at first run, mode 0600)."""
    if path.exists():
        data = path.read_bytes()
        if len(data) != size:
            raise KeyStoreError(f"key file {path.name} has the wrong size")
        return data
    key = secrets.token_bytes(size)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEY_FILE_MODE)
    except FileExistsError:  # another process won the race
        return load_or_create_key(path, size)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
        handle.flush()
        os.fsync(handle.fileno())
    return key
