"""The strict bundle archive reader: what ``zipfile`` writes reads back byte for byte, and
every byte outside the few zip metadata fields it does not bind is accounted for."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest

from reports.bundle.archive import ArchiveError, Members, read_members

CONTENT = {
    "manifest.json": b'{"files": {}}\n',
    "report.html": b"<!doctype html><h1>report</h1>" * 200,  # deflated
    "evidence/ab.json": b'{"collected_at": "2026-11-24T00:00:00Z"}\n',
    "oscal/\u00e9t\u00e9.json": b"{}",  # a UTF-8 name
    "empty": b"",
}


def archive(content: dict[str, bytes] | None = None, **options: object) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, data in (content or CONTENT).items():
            stored = len(data) < 2048
            zf.writestr(name, data, zipfile.ZIP_STORED if stored else None)
        if "comment" in options:
            zf.comment = bytes(options["comment"])  # type: ignore[call-overload]
    return out.getvalue()


def zipfile_reads(raw: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def test_what_zipfile_writes_reads_back_the_same() -> None:
    raw = archive()
    members = read_members(raw)
    assert members.unreadable == []
    assert members.files == CONTENT == zipfile_reads(raw)


def test_a_real_bundle_reads_as_zipfile_reads_it(tmp_path: Path) -> None:
    raw = archive({f"evidence/{i:064x}": bytes([i]) * (i * 50) for i in range(60)})
    assert read_members(raw).files == zipfile_reads(raw)


def test_zip64_end_records_and_a_zip64_member_are_read() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        with zf.open(zipfile.ZipInfo("forced"), "w", force_zip64=True) as member:
            member.write(b"a member whose local header carries ZIP64 sizes")
        for i in range(0xFFFF):  # more entries than the classic end record counts
            zf.writestr(f"m{i}", b"")
    raw = out.getvalue()
    assert raw[-22 - 20 - 56 : -22 - 20 - 52] == b"PK\x06\x06"  # a ZIP64 end record
    members = read_members(raw)
    assert members.unreadable == []
    assert len(members.files) == 0x10000
    assert members.files["forced"] == b"a member whose local header carries ZIP64 sizes"


def _gap_between_members() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("a", b"first")
        zf.fp.write(b"hidden bytes zipfile skips")  # type: ignore[union-attr]
        zf.start_dir = zf.fp.tell()  # type: ignore[union-attr]
        zf.writestr("b", b"second")
    return out.getvalue()


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(archive(comment=b"an archive comment"), id="archive comment"),
        pytest.param(b"prepended" + archive(), id="bytes before the first member"),
        pytest.param(_gap_between_members(), id="bytes between members"),
    ],
)
def test_bytes_zipfile_skips_make_the_archive_unreadable(raw: bytes) -> None:
    assert zipfile_reads(raw)  # zipfile, an extractor, reads past them without a word
    with pytest.raises(ArchiveError):
        read_members(raw)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(archive() + b"\x00", id="a byte after the end record"),
        pytest.param(archive()[:-30], id="truncated"),
        pytest.param(b"", id="empty file"),
        pytest.param(b"not a zip at all, just text" * 3, id="not a zip"),
    ],
)
def test_a_broken_archive_is_unreadable(raw: bytes) -> None:
    with pytest.raises(ArchiveError):
        read_members(raw)


def test_a_local_header_that_differs_from_its_entry_names_the_member() -> None:
    raw = bytearray(archive())
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as zf:
        offset = zf.getinfo("report.html").header_offset
    raw[offset + 10] ^= 0x01  # the local header's modification time
    with pytest.raises(ArchiveError) as caught:
        read_members(bytes(raw))
    assert caught.value.member == "report.html"


def _set_flags(raw: bytes, name: str, flags: int) -> bytes:
    """Set a member's general-purpose flags in both its local header and its entry."""
    out = bytearray(raw)
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        offset = zf.getinfo(name).header_offset
    struct.pack_into("<H", out, offset + 6, flags)
    at = 0
    while True:
        at = out.index(b"PK\x01\x02", at)
        name_length = struct.unpack_from("<H", out, at + 28)[0]
        if bytes(out[at + 46 : at + 46 + name_length]) == name.encode():
            struct.pack_into("<H", out, at + 8, flags)
            return bytes(out)
        at += 46


@pytest.mark.parametrize("flags", [0x0001, 0x0008, 0x0040])
def test_encrypted_members_and_data_descriptors_are_refused_by_name(flags: int) -> None:
    members = read_members(_set_flags(archive(), "report.html", flags))
    assert [name for name, _ in members.unreadable] == ["report.html"]
    assert "report.html" not in members.files


def test_a_method_other_than_stored_or_deflate_is_refused_by_name() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("plain", b"stored")
        zf.writestr("bz", b"bzip2 compressed" * 50, zipfile.ZIP_BZIP2)
    members = read_members(out.getvalue())
    assert members.files == {"plain": b"stored"}
    assert [name for name, _ in members.unreadable] == ["bz"]


def test_a_name_twice_is_named() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("twice", b"one")
        with pytest.warns(UserWarning, match="Duplicate name"):
            zf.writestr("twice", b"two")
    members = read_members(out.getvalue())
    assert ("twice", "appears more than once in the archive") in members.unreadable


def test_corrupt_deflate_data_and_a_bad_crc_name_the_member() -> None:
    raw = bytearray(archive())
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as zf:
        info = zf.getinfo("report.html")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[start + info.compress_size // 2] ^= 0x55
    members = read_members(bytes(raw))
    assert [name for name, _ in members.unreadable] == ["report.html"]


def _metadata_positions(raw: bytes) -> set[int]:
    """Bytes of each central entry no check binds: version made by, internal and external
    attributes (permissions). Everything else must be accounted for."""
    positions: set[int] = set()
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        count = len(zf.infolist())
        at = zf.start_dir
    for _ in range(count):
        positions.update({at + 4, at + 5, *range(at + 36, at + 42)})
        lengths = struct.unpack_from("<3H", raw, at + 28)
        at += 46 + sum(lengths)
    return positions


def _read_changes(raw: bytes, original: Members) -> bool:
    try:
        members = read_members(raw)
    except ArchiveError:
        return True
    return bool(members.unreadable) or members.files != original.files


def test_every_byte_flipped_anywhere_is_seen() -> None:
    raw = archive()
    original = read_members(raw)
    unbound = _metadata_positions(raw)
    missed = [
        position
        for position in range(len(raw))
        if position not in unbound
        and not _read_changes(
            raw[:position] + bytes([raw[position] ^ 0x01]) + raw[position + 1 :], original
        )
    ]
    assert missed == []
