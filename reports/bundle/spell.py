"""The bundle's per-item documents spelled directly, byte for byte what the generic encoder
(``layout.compact_json_bytes``: sorted keys, no spaces, ``ensure_ascii=False``) writes.

A bundle holds one metadata document per evidence item and one proof list per event: at
10,000 items the generic encoder's dicts, lists and key sorting, and ``strftime``, were a
tenth of the build (ADR 0708, amendment). Strings go through ``json``'s own string encoder,
numbers through ``int``'s ``repr``, so the spelling cannot drift from the encoder's; the
tests hold both against ``compact_json_bytes`` over generated values.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Protocol

MIN_ISO_YEAR = 1000  # below it ``strftime("%Y")`` does not pad to four digits


class ItemEvent(Protocol):
    """One evidence_collected event of an item (``build.EvidenceRecord``)."""

    @property
    def index(self) -> int: ...

    @property
    def collected_at(self) -> datetime: ...

    @property
    def stored_at(self) -> datetime: ...


class ItemRecord(ItemEvent, Protocol):
    @property
    def collector(self) -> str: ...

    @property
    def scope(self) -> str: ...

    @property
    def media_type(self) -> str: ...

    @property
    def size(self) -> int: ...


class Proof(Protocol):
    @property
    def leaf_index(self) -> int: ...

    @property
    def hashes(self) -> Sequence[bytes]: ...


def rfc3339(moment: datetime) -> str:
    """UTC with microseconds and ``Z``: ``strftime("%Y-%m-%dT%H:%M:%S.%fZ")`` of the UTC
    time, from ``isoformat`` (C, no format parsing) wherever the two agree."""
    utc = moment.astimezone(UTC)
    if utc.year < MIN_ISO_YEAR:
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return utc.isoformat(timespec="microseconds")[:-6] + "Z"  # drop "+00:00"


def meta_document(sha256: str, ordered: Sequence[ItemRecord]) -> bytes:
    """``compact_json_bytes`` of an item's metadata: the first (earliest) event's collector,
    scope, type, size and times, then every event's index and times in the given order."""
    first = ordered[0]
    events: list[str] = []
    for record in ordered:
        collected, stored = rfc3339(record.collected_at), rfc3339(record.stored_at)
        events.append(
            f'{{"collected_at":"{collected}","index":{int.__repr__(record.index)},'
            f'"stored_at":"{stored}"}}'
        )
    if len(ordered) > 1:
        collected, stored = rfc3339(first.collected_at), rfc3339(first.stored_at)
    return (
        f'{{"audit_events":[{",".join(events)}],"collected_at":"{collected}",'
        f'"collector":{encode_basestring(first.collector)},'
        f'"media_type":{encode_basestring(first.media_type)},'
        f'"scope":{encode_basestring(first.scope)},"sha256":{encode_basestring(sha256)},'
        f'"size":{int.__repr__(first.size)},"stored_at":"{stored}"}}\n'
    ).encode()


def proofs_document(tree_size: int, proofs: Iterable[Proof]) -> bytes:
    """``compact_json_bytes({"tree_size": N, "proofs": {"<index>": [hex, ...]}})``: keys
    in string order, the last proof of a repeated index kept, as a dict would."""
    by_key = {int.__repr__(proof.leaf_index): proof.hashes for proof in proofs}
    entries = [f'"{key}":{_hex_list(by_key[key])}' for key in sorted(by_key)]
    return f'{{"proofs":{{{",".join(entries)}}},"tree_size":{int.__repr__(tree_size)}}}\n'.encode()


def _hex_list(hashes: Sequence[bytes]) -> str:
    if not hashes:
        return "[]"
    return '["' + '","'.join([digest.hex() for digest in hashes]) + '"]'
