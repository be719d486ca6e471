"""Load-or-create of the vault room's secret keys, through ``audit.private_file`` (0600)."""

from __future__ import annotations

import secrets
from pathlib import Path

from audit import load_or_create_private
from vault.errors import KeyStoreError


def load_or_create_key(path: Path, size: int = 32) -> bytes:
    """A random secret key kept in ``path`` (created at first run, mode 0600; refused when
    group or others may read it: ``audit.PrivateFileError``)."""
    data = load_or_create_private(path, lambda: secrets.token_bytes(size))
    if len(data) != size:
        raise KeyStoreError(f"key file {path.name} has the wrong size")
    return data
