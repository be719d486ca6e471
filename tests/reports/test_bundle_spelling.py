"""The bundle's per-item documents spelled directly equal the generic encoder's bytes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from reports.bundle.build import EvidenceRecord
from reports.bundle.layout import compact_json_bytes
from reports.bundle.spell import meta_document, proofs_document, rfc3339

OFFSETS = st.builds(
    lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-23 * 60, 23 * 60)
)
MOMENTS = st.datetimes(
    min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=OFFSETS
)
TEXT = st.text(max_size=12)  # any characters: quotes, controls, non-ASCII


def _strftime(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@settings(max_examples=300, deadline=None)
@given(MOMENTS)
def test_rfc3339_equals_strftime_of_the_utc_time(moment: datetime) -> None:
    assert rfc3339(moment) == _strftime(moment)


def test_rfc3339_keeps_zero_microseconds_and_early_years() -> None:
    assert rfc3339(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05.000000Z"
    early = datetime(999, 1, 1, tzinfo=UTC)
    assert rfc3339(early) == _strftime(early)


def _generic_meta(sha256: str, ordered: list[EvidenceRecord]) -> bytes:
    """What the builder wrote before the direct spelling (the generic encoder)."""
    first = ordered[0]
    return compact_json_bytes(
        {
            "sha256": sha256,
            "collector": first.collector,
            "scope": first.scope,
            "media_type": first.media_type,
            "size": first.size,
            "collected_at": _strftime(first.collected_at),
            "stored_at": _strftime(first.stored_at),
            "audit_events": [
                {
                    "index": r.index,
                    "collected_at": _strftime(r.collected_at),
                    "stored_at": _strftime(r.stored_at),
                }
                for r in ordered
            ],
        }
    )


RECORDS = st.builds(
    EvidenceRecord,
    index=st.integers(0, 2**63 - 1),
    canonical=st.just(b"{}"),
    sha256=TEXT,
    collector=TEXT,
    scope=TEXT,
    collected_at=MOMENTS,
    stored_at=MOMENTS,
    media_type=TEXT,
    size=st.integers(-(2**70), 2**70),
)


@settings(max_examples=300, deadline=None)
@given(TEXT, st.lists(RECORDS, min_size=1, max_size=4))
def test_meta_document_equals_the_generic_encoder(
    sha256: str, records: list[EvidenceRecord]
) -> None:
    assert meta_document(sha256, records) == _generic_meta(sha256, records)


@dataclass(frozen=True)
class _Proof:
    leaf_index: int
    hashes: list[bytes]


PROOFS = st.lists(
    st.builds(
        _Proof,
        leaf_index=st.integers(0, 10**7),
        hashes=st.lists(st.binary(min_size=32, max_size=32), max_size=5),
    ),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**63 - 1), PROOFS)
def test_proofs_document_equals_the_generic_encoder(size: int, proofs: list[_Proof]) -> None:
    generic = compact_json_bytes(
        {
            "tree_size": size,
            "proofs": {str(p.leaf_index): [h.hex() for h in p.hashes] for p in proofs},
        }
    )
    assert proofs_document(size, proofs) == generic


def test_keys_sort_as_strings_like_the_encoder() -> None:
    proofs = [_Proof(9, [bytes(32)]), _Proof(10, []), _Proof(100, [b"\x01" * 32])]
    spelled = proofs_document(101, proofs)
    assert spelled.index(b'"10"') < spelled.index(b'"100"') < spelled.index(b'"9"')
