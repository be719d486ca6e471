from __future__ import annotations

import os
from pathlib import Path

import pytest

from trustplane.errors import ConfigurationError
from trustplane.keyfiles import load_existing, load_or_create


def test_created_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "k.bin"
    first = load_or_create(path, lambda: os.urandom(32))
    second = load_or_create(path, lambda: b"never used")
    assert first == second
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_existing(path) == first


def test_group_readable_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "k.bin"
    path.write_bytes(b"x" * 32)
    path.chmod(0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        load_or_create(path, lambda: b"y")


def test_missing_key_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        load_existing(tmp_path / "absent")
