"""The proof files are read in exactly the spelling the builder writes: every byte counts."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.bundle.layout import compact_json_bytes, event_line
from reports.bundle.proof_files import (
    SpellingError,
    all_proofs_at_once,
    event_lines_at_once,
    parse_event_line,
    parse_proofs,
    proofs_entry_by_entry,
)


def digest(seed: int) -> bytes:
    return hashlib.sha256(seed.to_bytes(8, "big")).digest()


def document(proofs: dict[int, list[bytes]], size: int) -> bytes:
    return compact_json_bytes(
        {"tree_size": size, "proofs": {str(i): [h.hex() for h in p] for i, p in proofs.items()}}
    )


proof_maps = st.dictionaries(
    st.integers(0, 10**12), st.lists(st.integers(0, 2**32).map(digest), max_size=5), max_size=6
)


@settings(max_examples=200, deadline=None)
@given(proofs=proof_maps, size=st.integers(0, 10**15))
def test_what_the_builder_writes_reads_back(proofs: dict[int, list[bytes]], size: int) -> None:
    assert parse_proofs(document(proofs, size)) == (
        size,
        {index: b"".join(hashes) for index, hashes in proofs.items()},
    )


def _outcome(raw: bytes) -> object:
    try:
        return parse_proofs(raw)
    except SpellingError:
        return "refused"


def test_every_byte_changed_added_or_removed_in_proofs_is_seen() -> None:
    raw = document({7: [digest(1), digest(2)], 10: [digest(3)], 9: [], 123: [digest(4)]}, 130)
    original = parse_proofs(raw)
    assert original[1][9] == b""
    for at in range(len(raw)):
        for changed in (
            raw[:at] + bytes([raw[at] ^ 0x01]) + raw[at + 1 :],
            raw[:at] + bytes([raw[at] ^ 0x20]) + raw[at + 1 :],  # letter case
            raw[:at] + raw[at + 1 :],
            raw[:at] + b" " + raw[at:],
            raw[:at] + raw[at : at + 1] * 2 + raw[at + 1 :],
        ):
            assert _outcome(changed) != original, (at, changed)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"proofs":{},"tree_size":01}\n',
        b'{"proofs":{"2":[],"10":[]},"tree_size":3}\n',  # keys out of string order
        b'{"proofs":{"1":[],"1":[]},"tree_size":3}\n',  # a key twice
        b'{"tree_size":3,"proofs":{}}\n',
        b'{"proofs":{},"tree_size":3}',
        b'{"proofs": {},"tree_size":3}\n',
    ],
)
def test_other_spellings_are_refused(raw: bytes) -> None:
    with pytest.raises(SpellingError):
        parse_proofs(raw)


def test_a_proof_list_not_of_whole_hashes_is_none() -> None:
    for hashes in ('"aa"', f'"{"A" * 64}"', f'"{"a" * 64}",', f'"{"a" * 66}"', f'"{"g" * 64}"'):
        raw = b'{"proofs":{"1":[%s]},"tree_size":3}\n' % hashes.encode()
        assert parse_proofs(raw) == (3, {1: None}), hashes


@settings(max_examples=200, deadline=None)
@given(index=st.integers(0, 2**63 - 1), canonical=st.binary(max_size=40))
def test_an_event_line_reads_back_and_any_change_is_seen(index: int, canonical: bytes) -> None:
    line = event_line(index, canonical)
    assert parse_event_line(line) == (index, canonical)
    for at in range(len(line)):
        for changed in (
            line[:at] + bytes([line[at] ^ 0x01]) + line[at + 1 :],
            line[:at] + line[at + 1 :],
            line[:at] + b"=" + line[at:],
        ):
            assert parse_event_line(changed) != (index, canonical), changed


def _edited(raw: bytes, edits: list[tuple[int, bytes]], *, drop: bool) -> bytes:
    """``raw`` with each text inserted at its position (or put over the byte there)."""
    for position, text in edits:
        at = position % (len(raw) + 1)
        raw = raw[:at] + text + raw[at + (1 if drop else 0) :]
    return raw


def _single_changes(raw: bytes, chars: tuple[bytes, ...]) -> Iterator[tuple[int, bytes]]:
    """Every one-byte change of ``raw``: flipped low bit or letter case, deleted, doubled,
    or replaced with each of ``chars``."""
    for at in range(len(raw)):
        yield at, raw[:at] + bytes([raw[at] ^ 0x01]) + raw[at + 1 :]
        yield at, raw[:at] + bytes([raw[at] ^ 0x20]) + raw[at + 1 :]
        yield at, raw[:at] + raw[at + 1 :]
        yield at, raw[:at] + raw[at : at + 1] * 2 + raw[at + 1 :]
        for char in chars:
            yield at, raw[:at] + char + raw[at + 1 :]


def _read_alike(
    raw: bytes,
    chars: tuple[bytes, ...],
    fast: Callable[[bytes], object | None],
    slow: Callable[[bytes], object],
) -> int:
    """How many one-byte changes of ``raw`` the fast reading accepted, each read exactly as
    the slow one reads it (changes that keep the spelling, a digit of a hash say)."""
    taken = 0
    for at, changed in _single_changes(raw, chars):
        got = fast(changed)
        if got is not None:
            taken += 1
            assert got == slow(changed), (at, changed)
    return taken


def _body(raw: bytes) -> bytes:
    return raw[len(b'{"proofs":{') : raw.rindex(b'},"tree_size":')]


proof_maps_without_empty_lists = st.dictionaries(
    st.integers(0, 10**12),
    st.lists(st.integers(0, 2**32).map(digest), min_size=1, max_size=4),
    min_size=1,
    max_size=5,
)
edits = st.lists(
    st.tuples(
        st.integers(0, 10**6), st.sampled_from([b"", b'"', b",", b"]", b"[", b"0", b"a", b":"])
    ),
    min_size=1,
    max_size=3,
)


@settings(max_examples=300, deadline=None)
@given(proofs=proof_maps_without_empty_lists, edits=edits, drop=st.booleans())
def test_the_reading_at_once_accepts_only_what_the_entry_by_entry_reading_does(
    proofs: dict[int, list[bytes]], edits: list[tuple[int, bytes]], drop: bool
) -> None:
    body = _body(document(proofs, 10**13))
    # the builder's shape is read at once ...
    assert all_proofs_at_once(body) == {i: b"".join(h) for i, h in proofs.items()}
    # ... and whatever an edit leaves, the fast reading accepts only what the other does
    body = _edited(body, edits, drop=drop)
    fast = all_proofs_at_once(body)
    if fast is not None:
        assert fast == proofs_entry_by_entry(body)


def test_every_byte_changed_in_a_proofs_body_is_read_alike_by_both_readings() -> None:
    body = _body(document({7: [digest(1), digest(2)], 10: [digest(3)], 123: [digest(4)]}, 130))
    chars = (b'"', b",", b"[", b"]", b"0")
    assert _read_alike(
        body, chars, all_proofs_at_once, proofs_entry_by_entry
    )  # changes that keep the spelling (a digit of a hash, say) are read at once


def _lines_one_by_one(raw: bytes) -> tuple[list[int], list[bytes]] | None:
    parsed = [parse_event_line(line) for line in raw.splitlines(keepends=True)]
    if not parsed or None in parsed:
        return None
    return [index for index, _ in parsed], [canonical for _, canonical in parsed]  # type: ignore[misc]


events_files = st.lists(
    st.tuples(st.integers(0, 2**63 - 1), st.binary(max_size=12)), min_size=1, max_size=4
)
line_edits = st.lists(
    st.tuples(
        st.integers(0, 10**6),
        st.sampled_from([b"", b'"', b",", b":", b"{", b"}", b"\n", b"=", b"A", b"0", b"a", b"x"]),
    ),
    min_size=1,
    max_size=3,
)


@settings(max_examples=300, deadline=None)
@given(events=events_files, edits=line_edits, drop=st.booleans())
def test_event_lines_read_at_once_agree_with_the_lines_read_one_by_one(
    events: list[tuple[int, bytes]], edits: list[tuple[int, bytes]], drop: bool
) -> None:
    raw = b"".join(event_line(index, canonical) for index, canonical in events)
    expected = ([index for index, _ in events], [canonical for _, canonical in events])
    assert event_lines_at_once(raw) == expected
    raw = _edited(raw, edits, drop=drop)
    fast = event_lines_at_once(raw)
    if fast is not None:
        assert fast == _lines_one_by_one(raw)


def test_every_byte_changed_in_event_lines_is_read_alike_both_ways() -> None:
    raw = event_line(5, b'{"a":1}') + event_line(10, b"xy") + event_line(0, b"")
    chars = (b'"', b"\n", b"=", b"0", b"A")
    assert _read_alike(raw, chars, event_lines_at_once, _lines_one_by_one)
