"""Reading ``audit/events.jsonl`` and ``audit/proofs.json`` in their one canonical spelling.

The proof files are not listed in the manifest (they are the proof material), so the
verifier accepts only the exact bytes the builder writes: a byte added, removed or changed
anywhere in them either changes what they say or breaks the spelling. Both are read with
C-level byte operations rather than a JSON parser, because they hold one line or one list
per listed event (ADR 0709):

* an events line is ``{"canonical":"<base64>","index":<n>}`` and a newline;
* proofs are ``{"proofs":{"<n>":["<hex>",...],...},"tree_size":<n>}`` and a newline, the
  keys in ``json.dumps(sort_keys=True)`` order (as strings), each hash 64 lowercase hex
  digits: exactly what ``layout.compact_json_bytes`` writes.
"""

from __future__ import annotations

import binascii
import re

LINE_HEAD = b'{"canonical":"'
LINE_INDEX = b'","index":'
LINE_END = b"}\n"
NUMBER = re.compile(rb"0|[1-9][0-9]{0,18}")
PROOFS_HEAD = b'{"proofs":{'
PROOFS_TAIL = b'},"tree_size":'
ENTRY_SEPARATOR = b'],"'
KEY_END = b'":['
HASH_HEX = 64


class SpellingError(ValueError):
    """The proofs document is not in its canonical spelling."""


def parse_event_line(line: bytes) -> tuple[int, bytes] | None:
    """``(index, canonical event bytes)``, or None unless the line is spelled exactly so."""
    cut = line.rfind(LINE_INDEX)
    if cut < len(LINE_HEAD) or not line.startswith(LINE_HEAD) or not line.endswith(LINE_END):
        return None
    digits = line[cut + len(LINE_INDEX) : -len(LINE_END)]
    if NUMBER.fullmatch(digits) is None:
        return None
    encoded = line[len(LINE_HEAD) : cut]
    try:
        canonical = binascii.a2b_base64(encoded, strict_mode=True)
    except binascii.Error:
        return None
    # strict base64 has one spelling of each whole 4-character group; only the last, padded
    # one can hide non-zero padding bits: it must be what encoding its bytes gives
    if len(encoded) != (len(canonical) + 2) // 3 * 4:  # no padding beyond the last group
        return None
    partial = len(canonical) % 3
    if partial and binascii.b2a_base64(canonical[-partial:], newline=False) != encoded[-4:]:
        return None
    return int(digits), canonical


def parse_proofs(raw: bytes) -> tuple[int, dict[int, bytes | None]]:
    """``(tree_size, {index: the proof's hashes concatenated})``; a proof whose list is not
    spelled as hashes is None (its event is reported); ``SpellingError`` for the rest."""
    tail = raw.rfind(PROOFS_TAIL)
    if tail < 0 or not raw.startswith(PROOFS_HEAD) or not raw.endswith(LINE_END):
        raise SpellingError("not a proofs document in its canonical spelling")
    size = raw[tail + len(PROOFS_TAIL) : -len(LINE_END)]
    if NUMBER.fullmatch(size) is None:
        raise SpellingError("tree_size is not a number in its canonical spelling")
    body = raw[len(PROOFS_HEAD) : tail]
    proofs: dict[int, bytes | None] = {}
    if body:
        if not (body.startswith(b'"') and body.endswith(b"]")):
            raise SpellingError("the proofs map is not in its canonical spelling")
        previous = b""
        for entry in body[1:-1].split(ENTRY_SEPARATOR):
            key, found, hashes = entry.partition(KEY_END)
            if not found or NUMBER.fullmatch(key) is None:
                raise SpellingError("a proof's key is not an index in its canonical spelling")
            if key <= previous:  # json.dumps(sort_keys=True) orders the keys as strings
                raise SpellingError("the proofs' keys are not in their canonical order")
            previous = key
            proofs[int(key)] = _hashes(hashes)
    return int(size), proofs


ELEMENT = 2 + HASH_HEX + 1  # "<64 hex digits>" and the comma after it
QUOTES = [b'"' * n for n in range(65)]  # paths are at most 64 hashes long
COMMAS = [b"," * n for n in range(65)]
LOWER_HEX = b"0123456789abcdef"


def _hashes(spelled: bytes) -> bytes | None:
    """``"<hex>","<hex>"`` → the hashes concatenated; None unless spelled exactly so."""
    if not spelled:
        return b""
    count, rest = divmod(len(spelled) + 1, ELEMENT)
    if rest or not 0 < count < len(QUOTES):
        return None
    if (
        spelled[::ELEMENT] != QUOTES[count]
        or spelled[ELEMENT - 2 :: ELEMENT] != QUOTES[count]
        or spelled[ELEMENT - 1 :: ELEMENT] != COMMAS[count - 1]
    ):
        return None
    digits = spelled.translate(None, b'",')
    if len(digits) != count * HASH_HEX or digits.translate(None, LOWER_HEX):
        return None
    return binascii.unhexlify(digits)
