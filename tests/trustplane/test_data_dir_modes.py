"""The embedded defaults keep their data dir and key directory private to the owner."""

from __future__ import annotations

import stat
from pathlib import Path

from trustplane.cli.demo import run_demo
from trustplane.settings import Settings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_first_run_creates_private_data_and_key_directories(tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh"
    assert run_demo(Settings(data_dir=data_dir), check=True, port=None) == 0
    assert mode(data_dir) == 0o700
    keys = [
        path
        for path in data_dir.rglob("*")
        if path.suffix in (".key", ".pem", ".json")
        # evidence items and their metadata are read-only by design (ADR 0402), not keys
        and "evidence" not in path.relative_to(data_dir).parts
    ]
    assert keys, "the first run creates key files"
    for key in keys:
        assert mode(key) == 0o600, key
        assert mode(key.parent) == 0o700, key.parent
