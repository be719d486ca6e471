"""The one secret-file helper: 0600 from the first byte, group/world access refused."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest

from audit import (
    PrivateFileError,
    create_private,
    load_or_create_hmac_key,
    load_or_create_private,
    load_or_create_signing_key,
    read_private,
    replace_private,
)
from vault import LocalKeyProvider, load_or_create_key


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_created_files_are_private_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "k.bin"
    first = load_or_create_private(path, lambda: b"secret")
    assert first == b"secret"
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    assert load_or_create_private(path, lambda: b"other") == b"secret"
    assert not create_private(path, b"other")


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o620, 0o601, 0o660])
def test_any_group_or_world_bit_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "k.bin"
    create_private(path, b"secret")
    path.chmod(mode)
    with pytest.raises(PrivateFileError, match="chmod 600"):
        read_private(path)
    with pytest.raises(PrivateFileError):
        load_or_create_private(path, lambda: b"never")


def test_replace_is_atomic_and_private(tmp_path: Path) -> None:
    path = tmp_path / "ring.json"
    replace_private(path, b"one")
    replace_private(path, b"two")
    assert read_private(path) == b"two"
    assert _mode(path) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["ring.json"]  # no temporary file left


def test_concurrent_first_runs_agree_on_one_whole_key(tmp_path: Path) -> None:
    """Racing first runs: every reader gets the one published key, never a partial file."""
    for attempt in range(20):
        path = tmp_path / f"k{attempt}.bin"
        results: list[bytes] = []
        start = threading.Barrier(8)

        def worker(
            index: int,
            path: Path = path,
            results: list[bytes] = results,
            start: threading.Barrier = start,
        ) -> None:
            start.wait()
            results.append(load_or_create_private(path, lambda: bytes([index + 1]) * 4096))

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(set(results)) == 1
        assert len(results[0]) == 4096
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_every_room_refuses_a_group_readable_secret(tmp_path: Path) -> None:
    """audit keys, the vault's keys and its keyring all go through the one helper."""
    hmac_path, signing_path = tmp_path / "hmac.key", tmp_path / "signing.pem"
    vault_key, ring = tmp_path / "vault.key", tmp_path / "ring.json"
    load_or_create_hmac_key(hmac_path)
    load_or_create_signing_key(signing_path)
    load_or_create_key(vault_key)
    LocalKeyProvider(ring)
    for path in (hmac_path, signing_path, vault_key, ring):
        path.chmod(0o640)
    with pytest.raises(PrivateFileError):
        load_or_create_hmac_key(hmac_path)
    with pytest.raises(PrivateFileError):
        load_or_create_signing_key(signing_path)
    with pytest.raises(PrivateFileError):
        load_or_create_key(vault_key)
    with pytest.raises(PrivateFileError):
        LocalKeyProvider(ring)
