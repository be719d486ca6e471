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

Each file is read whole first (``all_proofs_at_once``, ``event_lines_at_once``: a few passes
over all its bytes, ADR 0710); only when that reading declines are the entries or lines read
one at a time, which says what is wrong. The tests hold both readings to the same bytes.
"""

from __future__ import annotations

import binascii
import re
from functools import partial
from itertools import accumulate
from operator import lt

from pybase64 import b64decode, b64encode

LINE_HEAD = b'{"canonical":"'
LINE_INDEX = b'","index":'
LINE_END = b"}\n"
NUMBER = re.compile(rb"0|[1-9][0-9]{0,18}")
PROOFS_HEAD = b'{"proofs":{'
PROOFS_TAIL = b'},"tree_size":'
ENTRY_SEPARATOR = b'],"'
KEY_END = b'":['
HASH_HEX = 64
HASH = 32


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
    at_once = all_proofs_at_once(body)
    return int(size), at_once if at_once is not None else proofs_entry_by_entry(body)


def proofs_entry_by_entry(body: bytes) -> dict[int, bytes | None]:
    """The proofs map ``"<n>":[<hashes>],...`` read one entry at a time, saying what is
    wrong; ``all_proofs_at_once`` reads the common shape faster and accepts the same."""
    proofs: dict[int, bytes | None] = {}
    if not body:
        return proofs
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
    return proofs


ELEMENT = 2 + HASH_HEX + 1  # "<64 hex digits>" and the comma after it
QUOTES = [b'"' * n for n in range(65)]  # paths are at most 64 hashes long
COMMAS = [b"," * n for n in range(65)]
LOWER_HEX = b"0123456789abcdef"
UPPER_HEX_REFUSED = bytes.maketrans(b"ABCDEF", b"!!!!!!")


def _hashes(spelled: bytes) -> bytes | None:
    """One proof's list ``"<hex>","<hex>"`` → its hashes concatenated; None unless spelled
    exactly so (1 to 64 hashes, or none)."""
    if not spelled:
        return b""
    count, rest = divmod(len(spelled) + 1, ELEMENT)
    if rest or not 0 < count < len(QUOTES):
        return None
    return _decoded(spelled, count)


def _decoded(spelled: bytes, count: int) -> bytes | None:
    """``count`` hashes spelled ``"<hex>","<hex>"`` in lowercase hex → the hashes
    concatenated; None unless spelled exactly so."""
    if count < len(QUOTES):  # one proof's list: the spellings are made once, above
        quotes, commas = QUOTES[count], COMMAS[count - 1]
    else:  # every list joined (the bulk reading)
        quotes, commas = b'"' * count, b"," * (count - 1)
    if (
        len(spelled) + 1 != count * ELEMENT
        or spelled[::ELEMENT] != quotes
        or spelled[ELEMENT - 2 :: ELEMENT] != quotes
        or spelled[ELEMENT - 1 :: ELEMENT] != commas
    ):
        return None
    # one pass strips the quotes and commas and turns uppercase hex digits into a character
    # unhexlify refuses: what it decodes is lowercase hex only
    digits = spelled.translate(UPPER_HEX_REFUSED, b'",')
    if len(digits) != count * HASH_HEX:
        return None
    try:
        return binascii.unhexlify(digits)
    except binascii.Error:
        return None


DIGITS = b"0123456789"


def _canonical_numbers(numbers: list[bytes]) -> bool:
    """Each is a number in its one decimal spelling (as ``NUMBER``): only digits, 1 to 19
    of them, no leading zero. Checked on all at once, joined by double commas (so that
    counting ",0," cannot miss one that shares its comma with the one before)."""
    spaced = b",," + b",,".join(numbers) + b",,"
    return (
        0 < min(map(len, numbers)) <= max(map(len, numbers)) < 20
        and spaced.translate(None, DIGITS) == b",," * (len(numbers) + 1)
        and spaced.count(b",0") == spaced.count(b",0,")
    )


def all_proofs_at_once(body: bytes) -> dict[int, bytes | None] | None:
    """The proofs map read with a few passes over the whole body, or None when any part is
    not the common shape (a key or list spelled otherwise, an empty list): then the reading
    entry by entry above decides, and says what is wrong. Both agree on what they accept.

    The body is ``"<n>":[<hashes>],"<n>":[<hashes>]``: split at each ``]``, each piece is a
    head (``"<n>":`` or ``,"<n>":``), a ``[`` and a list of ``"<hex>"`` joined by commas. All
    the lists joined by commas are one run of 67-byte elements, checked and decoded at once.
    """
    pieces = body.split(b"]")
    if len(pieces) < 2 or pieces.pop():  # the body ends with the last list's "]"
        return None
    parted = [piece.partition(b"[") for piece in pieces]
    heads = b"".join([head for head, _, _ in parted])
    lists = [hashes for _, _, hashes in parted]
    count = len(lists)
    if heads.translate(None, DIGITS) != b'"":' + b',"":' * (count - 1):
        return None  # also every "[": a piece without one leaves its hashes in the heads
    keys = [head[2:-2] for head, _, _ in parted]
    keys[0] = parted[0][0][1:-2]
    if not _canonical_numbers(keys) or not all(map(lt, keys, keys[1:])):
        return None  # keys in json.dumps(sort_keys=True) order: as strings
    lengths = list(map(len, lists))
    counts = [(length + 1) // ELEMENT for length in lengths]
    total = sum(counts)
    if total * ELEMENT != sum(lengths) + count or not 0 < min(counts) <= max(counts) < 65:
        return None  # a list not of whole elements, or an empty or overlong one
    hashes = _decoded(b",".join(lists), total)
    if hashes is None:
        return None
    ends = list(accumulate(hashes_in_list * HASH for hashes_in_list in counts))
    starts = [0, *ends[:-1]]
    return dict(
        zip(map(int, keys), [hashes[a:b] for a, b in zip(starts, ends, strict=True)], strict=True)
    )


BASE64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
LINE_SKELETON = b'{"":"","":}\n'  # a line with its key names, base64 and index taken out
NUMBER_JOINT = b"}\n{:"  # between one line's index and the next line's
STRICT_B64DECODE = partial(b64decode, validate=True)


def event_lines_at_once(raw: bytes) -> tuple[list[int], list[bytes]] | None:
    """Every line of ``audit/events.jsonl`` as ``(indices, canonical event bytes)``, read
    with a few passes over the whole file; None when any line is not spelled exactly as
    ``parse_event_line`` reads it (then that reading, line by line, names the lines).

    Taking out the base64 alphabet leaves each line's skeleton; split at its quotes, the
    key names, the separators and the index of every line fall at fixed strides.
    """
    skeleton = raw.translate(None, BASE64)  # a newline is not base64: one per skeleton
    count = len(skeleton) // len(LINE_SKELETON)
    if not count or skeleton != LINE_SKELETON * count:
        return None
    tokens = raw.split(b'"')  # { canonical : <base64> , index :<n>}\n{ canonical ...
    if (
        tokens[0] != b"{"
        or tokens[1::6].count(b"canonical") != count
        or tokens[2::6].count(b":") != count
        or tokens[4::6].count(b",") != count
        or tokens[5::6].count(b"index") != count
    ):
        return None
    numbers = b"".join(tokens[6::6])  # :<n>}\n{:<n>}\n{ ... :<n>}\n
    if not (numbers.startswith(b":") and numbers.endswith(LINE_END)):
        return None
    digits = numbers[1 : -len(LINE_END)].split(NUMBER_JOINT)
    if len(digits) != count or not _canonical_numbers(digits):
        return None
    encoded = tokens[3::6]
    try:  # pybase64: SIMD base64, several times binascii's speed on these lines
        canonical = list(map(STRICT_B64DECODE, encoded))
    except binascii.Error:
        return None
    # one spelling only: no padding bits set, no padding group beyond the last
    if b"".join(map(b64encode, canonical)) != b"".join(encoded):
        return None
    return list(map(int, digits)), canonical
