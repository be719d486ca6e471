"""The proof files are read in exactly the spelling the builder writes: every byte counts."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.bundle.layout import compact_json_bytes, event_line
from reports.bundle.proof_files import SpellingError, parse_event_line, parse_proofs


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
