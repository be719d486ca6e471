"""A strict reader of bundle archives: every byte of the file accounted for (ADR 0709).

``zipfile`` is lenient by design, as an extractor should be: it ignores bytes before the
first member, between members and in the archive comment, and reads a member through its
central-directory entry without holding the local header's fields to it. A verifier that
says "any changed, missing or added byte is reported" cannot be. This reader accepts only
the archives the bundle builder writes (``zipfile`` output to a seekable file):

* the members' local headers and data tile the file from byte 0 to the central directory,
  which is followed by the end records and nothing else (no archive comment);
* each local header repeats its central entry's name, flags, method, time, CRC and sizes;
* members are stored or deflated, unencrypted, without data descriptors; a deflated member
  inflates to exactly its recorded size, and each member's CRC-32 matches;
* ZIP64 end records and ZIP64 sizes/offsets are read where ``zipfile`` writes them.

A member that cannot be read is a problem naming it; a structure that cannot be read is a
problem of the whole archive. Nothing here trusts content: the verifier hashes every byte
it returns.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import cast

from isal import isal_zlib

LOCAL = b"PK\x03\x04"
CENTRAL = b"PK\x01\x02"
END = b"PK\x05\x06"
END64 = b"PK\x06\x06"
LOCATOR64 = b"PK\x06\x07"
CENTRAL_ENTRY = struct.Struct("<4s6H3L5H2L")  # 46 bytes
# the fields the common case reads: signature, flags, method, CRC-32, sizes, name length,
# then extra length + comment length + disk as one (all zero), and the local header offset
COMMON_ENTRY = struct.Struct("<4s4xHH4xLLLH6s6xL")
NO_EXTRA_COMMENT_OR_DISK = bytes(6)
END_RECORD = struct.Struct("<4s4H2LH")  # 22 bytes
END64_RECORD = struct.Struct("<4sQ2H2L4Q")  # 56 bytes
LOCATOR64_RECORD = struct.Struct("<4sLQL")  # 20 bytes
LOCAL_SIZES = struct.Struct("<LL")  # compressed and uncompressed size, at offset 18
LOCAL_LENGTHS = struct.Struct("<HH")  # name and extra lengths, at offset 26 of a local header
LOCAL_SIZE = 30
CENTRAL_SIZE = 46
STORED, DEFLATED = 0, 8
ALLOWED_FLAGS = 0x0806  # deflate option bits and UTF-8 names; no encryption, no descriptor
FULL32 = 0xFFFFFFFF
FULL16 = 0xFFFF
ZIP64_EXTRA = 0x0001
# ISA-L inflates and checks CRC-32 faster than zlib; its stub types ``error`` as an instance
INFLATE_ERROR = cast(type[Exception], isal_zlib.error)


class ArchiveError(Exception):
    """The archive's structure cannot be read; ``member`` names the entry when one is to blame."""

    def __init__(self, message: str, member: str | None = None) -> None:
        super().__init__(message)
        self.member = member


@dataclass
class Members:
    """What the archive holds: each readable member's bytes, and the members that are not."""

    files: dict[str, bytes] = field(default_factory=dict)
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (name, why)


def read_members(raw: bytes) -> Members:
    """Every member of the archive in ``raw``; ``ArchiveError`` when its structure is not
    exactly the one described above."""
    count, directory_start, directory_end = _end_records(raw)
    members = Members()
    files = members.files
    position, expected = directory_start, 0
    unpack_entry, startswith, crc32 = COMMON_ENTRY.unpack_from, raw.startswith, isal_zlib.crc32
    for _ in range(count):
        # the common case inline (one pass per member); the rest in the functions below
        if position + CENTRAL_SIZE > directory_end:
            raise ArchiveError("the central directory is shorter than its entry count")
        signature, flags, method, crc, compressed, size, name_length, tail, offset = unpack_entry(
            raw, position
        )
        name_start = position + CENTRAL_SIZE
        data = offset + LOCAL_SIZE + name_length
        following = data + compressed
        if (
            signature != CENTRAL
            or tail != NO_EXTRA_COMMENT_OR_DISK
            or flags & ~ALLOWED_FLAGS
            or method != STORED
            or offset != expected
            or size != compressed
            or size == FULL32
            or following > directory_start
            # the local header repeats the entry from its version needed to its extra's
            # length (none), then the name
            or not startswith(LOCAL, offset)
            or raw[offset + 4 : offset + LOCAL_SIZE] != raw[position + 6 : position + 32]
            or raw[offset + LOCAL_SIZE : data]
            != (raw_name := raw[name_start : name_start + name_length])
            or not raw_name.isascii()
            or (name := raw_name.decode("ascii")) in files
            or crc32(content := raw[data:following]) != crc
        ):
            # anything to report (or not the common shape): the general path says what
            entry = _central_entry(raw, position, directory_end)
            position = entry[9]  # the next entry's offset
            if entry[8] != expected:  # this member's local header offset
                raise ArchiveError("bytes outside any member, or members out of order", entry[0])
            expected = _read_member(raw, entry, directory_start, members)
            continue
        # a stored member with an ASCII name and no extra field: what the builder writes most
        files[name] = content
        position = name_start + name_length
        expected = following
    if expected != directory_start:
        raise ArchiveError("bytes between the last member and the central directory")
    if position != directory_end:
        raise ArchiveError("the central directory holds more than its entries")
    return members


# a central entry, as a tuple:
# name, raw name, the bytes the local header must repeat (version needed .. CRC-32),
# flags, method, CRC-32, compressed size, size, local header offset, next entry's offset
_Entry = tuple[str, bytes, bytes, int, int, int, int, int, int, int]


def _end_records(raw: bytes) -> tuple[int, int, int]:
    """(entries, central directory start, its end) from the end record(s) at the very end."""
    end = len(raw) - END_RECORD.size
    if end < 0 or raw[end : end + 4] != END:
        raise ArchiveError("no end-of-central-directory record at the end (or a trailing comment)")
    _, disk, start_disk, here, count, size, start, comment = END_RECORD.unpack_from(raw, end)
    if comment or disk or start_disk or here != count:
        raise ArchiveError("a multi-disk archive or an archive comment")
    directory_end = end
    if count == FULL16 or FULL32 in (size, start):
        locator = end - LOCATOR64_RECORD.size
        if locator < 0 or raw[locator : locator + 4] != LOCATOR64:
            raise ArchiveError("ZIP64 end record expected but not found")
        _, _, end64, _ = LOCATOR64_RECORD.unpack_from(raw, locator)
        if end64 != locator - END64_RECORD.size or end64 < 0:
            raise ArchiveError("bytes between the ZIP64 end record and its locator")
        fields = END64_RECORD.unpack_from(raw, end64)
        if fields[0] != END64 or fields[1] != END64_RECORD.size - 12:
            raise ArchiveError("a malformed ZIP64 end record")
        here, count, size, start = fields[6], fields[7], fields[8], fields[9]
        if here != count:
            raise ArchiveError("a multi-disk archive")
        directory_end = end64
    if start + size != directory_end:
        raise ArchiveError("the central directory does not end where the end record begins")
    return count, start, directory_end


def _central_entry(raw: bytes, position: int, directory_end: int) -> _Entry:
    if position + CENTRAL_SIZE > directory_end:
        raise ArchiveError("the central directory is shorter than its entry count")
    fields = CENTRAL_ENTRY.unpack_from(raw, position)
    if fields[0] != CENTRAL:
        raise ArchiveError("a malformed central directory entry")
    flags, method, crc, compressed, size = fields[3], fields[4], fields[7], fields[8], fields[9]
    name_length, extra_length, comment_length = fields[10], fields[11], fields[12]
    offset = fields[16]
    name_start = position + CENTRAL_SIZE
    extra_start = name_start + name_length
    following = extra_start + extra_length + comment_length
    if following > directory_end:
        raise ArchiveError("a central directory entry runs past the directory")
    raw_name = raw[name_start:extra_start]
    if raw_name.isascii():  # ASCII reads the same in both encodings, and fastest
        name = raw_name.decode("ascii")
    else:
        try:
            name = raw_name.decode("utf-8" if flags & 0x0800 else "cp437")
        except UnicodeDecodeError:
            raise ArchiveError("a member name that is not valid UTF-8") from None
    if comment_length or fields[13]:
        raise ArchiveError("a member comment or a member on another disk", name)
    if FULL32 in (compressed, size, offset):
        size, compressed, offset = _zip64_sizes(
            raw[extra_start : extra_start + extra_length], size, compressed, offset, name
        )
    return (
        name,
        raw_name,
        raw[position + 6 : position + 20],
        flags,
        method,
        crc,
        compressed,
        size,
        offset,
        following,
    )


def _zip64_sizes(
    extra: bytes, size: int, compressed: int, offset: int, name: str
) -> tuple[int, int, int]:
    """The 64-bit values of the fields the entry marks 0xFFFFFFFF, in the ZIP64 extra's order."""
    at = 0
    while at + 4 <= len(extra):
        kind, length = LOCAL_LENGTHS.unpack_from(extra, at)
        body = extra[at + 4 : at + 4 + length]
        at += 4 + length
        if kind != ZIP64_EXTRA:
            continue
        values = [int.from_bytes(body[i : i + 8], "little") for i in range(0, len(body) - 7, 8)]
        wanted = [size == FULL32, compressed == FULL32, offset == FULL32]
        if len(values) < sum(wanted):
            break
        taken = iter(values)
        return (
            next(taken) if wanted[0] else size,
            next(taken) if wanted[1] else compressed,
            next(taken) if wanted[2] else offset,
        )
    raise ArchiveError("a ZIP64 size or offset without its extra field", name)


def _read_member(raw: bytes, entry: _Entry, directory_start: int, members: Members) -> int:
    """Check the member's local header against its entry, put its content in ``members``
    (or note why it cannot be read) and return where the next member must begin."""
    name, raw_name, fixed, _, _, _, compressed, size, at, _ = entry
    if at + LOCAL_SIZE > directory_start or raw[at : at + 4] != LOCAL:
        raise ArchiveError("a member without its local header", name)
    name_length, extra_length = LOCAL_LENGTHS.unpack_from(raw, at + 26)
    data: int = at + LOCAL_SIZE + name_length + extra_length
    end = data + compressed
    if end > directory_start:
        raise ArchiveError("a member runs into the central directory", name)
    if (
        raw[at + 4 : at + 18] != fixed
        or raw[at + LOCAL_SIZE : at + LOCAL_SIZE + name_length] != raw_name
        or _local_sizes(raw, at, name_length, extra_length) != (compressed, size)
    ):
        raise ArchiveError("its local header differs from its central directory entry", name)
    if name in members.files:
        members.unreadable.append((name, "appears more than once in the archive"))
        return end
    problem = _content(raw[data:end], entry, members)
    if problem is not None:
        members.unreadable.append((name, f"cannot be read from the archive ({problem})"))
    return end


def _local_sizes(raw: bytes, at: int, name_length: int, extra_length: int) -> tuple[int, int]:
    """(compressed, size) as the local header gives them, from its ZIP64 extra when marked."""
    compressed, size = LOCAL_SIZES.unpack_from(raw, at + 18)
    if FULL32 not in (compressed, size):
        return compressed, size
    extra_start = at + LOCAL_SIZE + name_length
    extra = raw[extra_start : extra_start + extra_length]
    try:
        size, compressed, _ = _zip64_sizes(extra, size, compressed, 0, "")
    except ArchiveError:
        return -1, -1
    return compressed, size


def _content(stored: bytes, entry: _Entry, members: Members) -> str | None:
    name, _, _, flags, method, crc, _, size, _, _ = entry
    if flags & ~ALLOWED_FLAGS:
        return f"flags {flags:#06x}: encrypted or with a data descriptor"
    if method == STORED:
        content = stored
    elif method == DEFLATED:
        inflater = isal_zlib.decompressobj(-15)
        try:
            content = inflater.decompress(stored, size + 1)
        except INFLATE_ERROR as exc:
            return f"corrupt deflate data: {exc}"
        if not inflater.eof or inflater.unconsumed_tail or inflater.unused_data:
            return "deflate data does not end where the member does"
    else:
        return f"compression method {method} is not stored or deflate"
    if len(content) != size:
        return "its size differs from the size recorded"
    if isal_zlib.crc32(content) != crc:
        return "bad CRC-32"
    members.files[name] = content
    return None
