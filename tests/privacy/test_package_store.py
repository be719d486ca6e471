"""The access package store: atomic, private, and safe when two writers race for one request
(an execution whose audit append failed may still be writing when it is retried)."""

from __future__ import annotations

import hashlib
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from privacy import DirectoryPackageStore


def test_racing_writes_of_one_package_leave_each_whole_and_private(tmp_path: Path) -> None:
    store = DirectoryPackageStore(tmp_path / "packages")
    contents = [bytes([index]) * 200_000 for index in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda body: store.put("same-request", body), contents * 4))
    for body in contents:
        digest = hashlib.sha256(body).hexdigest()
        assert store.get("same-request", digest) == body
        mode = (tmp_path / "packages" / f"same-request.{digest}.zip").stat().st_mode
        assert stat.S_IMODE(mode) == 0o600
    assert len(list((tmp_path / "packages").iterdir())) == len(contents)  # no temporary left
    assert store.get("another", hashlib.sha256(contents[0]).hexdigest()) is None


def test_a_package_stored_before_names_carried_the_hash_is_still_read(tmp_path: Path) -> None:
    store = DirectoryPackageStore(tmp_path / "packages")
    (tmp_path / "packages" / "old-request.zip").write_bytes(b"zip")
    assert store.get("old-request", hashlib.sha256(b"zip").hexdigest()) == b"zip"
