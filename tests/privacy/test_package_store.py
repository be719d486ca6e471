"""The access package store: atomic, private, and safe when two writers race for one request
(an execution whose audit append failed may still be writing when it is retried)."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from privacy import DirectoryPackageStore


def test_racing_writes_of_one_package_leave_one_whole_private_file(tmp_path: Path) -> None:
    store = DirectoryPackageStore(tmp_path / "packages")
    contents = [bytes([index]) * 200_000 for index in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda body: store.put("same-request", body), contents * 4))
    assert store.get("same-request") in contents
    assert [p.name for p in (tmp_path / "packages").iterdir()] == ["same-request.zip"]
    mode = (tmp_path / "packages" / "same-request.zip").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
    assert store.get("another") is None
