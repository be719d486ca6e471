"""The one helper for secret files (keys, keyrings): mode 0600, refused when others may read.

Every room that keeps a secret on disk uses it (audit keys, vault keyring and keys, identity
keys through the composition root): created with mode 0600 from the first byte (parent
directory 0700), written atomically, and refused with ``PrivateFileError`` when the file
already exists with any group or world permission bit.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

PRIVATE_MODE = 0o600
SHARED_BITS = 0o077


class PrivateFileError(PermissionError):
    """A secret file that group or others may access (or that is not a regular file)."""


def check_private(path: Path) -> None:
    """Refuse ``path`` when group or world hold any permission on it."""
    mode = path.stat().st_mode & 0o777
    if mode & SHARED_BITS:
        raise PrivateFileError(
            f"key file {path} is readable by others (mode {mode:o}); chmod 600 it"
        )


def read_private(path: Path) -> bytes:
    """The bytes of an existing secret file, after ``check_private``."""
    check_private(path)
    return path.read_bytes()


def create_private(path: Path, data: bytes) -> bool:
    """Publish ``data`` as a new file with mode 0600; False when the file already exists.

    The bytes are written and synced under a temporary name first and then hard-linked into
    place, so a concurrent reader sees either no file or the whole file, never a partial one.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = _write_temporary(path, data)
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    finally:
        tmp.unlink()
    return True


def _write_temporary(path: Path, data: bytes) -> Path:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        tmp.unlink()
        raise
    return tmp


def load_or_create_private(path: Path, create: Callable[[], bytes]) -> bytes:
    """Read ``path``; on first run write ``create()`` there (0600). Race-safe across processes."""
    if not path.exists():
        material = create()
        if create_private(path, material):
            return material
    return read_private(path)


def replace_private(path: Path, data: bytes) -> None:
    """Atomically (re)write ``path`` with mode 0600 from the first byte on."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = _write_temporary(path, data)
    try:
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
