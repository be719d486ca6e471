"""The versioned, self-describing ciphertext format (see docs/ciphertext-format.md).

Text form: ``tpe1.`` + base64url (no padding) of::

    version(1)=0x01 | flags(1) | dek_id(16) | kek_version(4, BE) | name_len(1) | key_name
    | commitment(8) | nonce(12) | AES-256-GCM ciphertext || tag(16)

The AES-GCM associated data is every header byte up to and including the commitment
followed by the canonical context encoding (``FieldContext.aad``).
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
import uuid
from dataclasses import dataclass

from vault.errors import NotBase64Error, TruncatedCiphertextError, UnsupportedFormatError

PREFIX = "tpe1."
FORMAT_VERSION = 1
FLAG_SUBJECT_KEY = 0x01
NONCE_SIZE = 12
TAG_SIZE = 16
COMMIT_SIZE = 8
_FIXED = struct.Struct(">BB16sIB")  # version, flags, dek id, kek version, name length
MAX_KEY_NAME = 64
MIN_SIZE = _FIXED.size + 1 + COMMIT_SIZE + NONCE_SIZE + TAG_SIZE + 1


@dataclass(frozen=True, slots=True)
class Envelope:
    """A parsed ciphertext."""

    flags: int
    dek_id_bytes: bytes
    kek_version: int
    key_name: str
    header: bytes  # authenticated header bytes (up to and including the commitment)
    commitment: bytes
    nonce: bytes
    sealed: bytes  # ciphertext || tag

    @property
    def dek_id(self) -> uuid.UUID:
        return uuid.UUID(bytes=self.dek_id_bytes)

    @property
    def subject_key(self) -> bool:
        return bool(self.flags & FLAG_SUBJECT_KEY)


def build_header(flags: int, dek_id: uuid.UUID, kek_version: int, key_name: str) -> bytes:
    """The header without its commitment (fixed per data key: built once, reused)."""
    name = key_name.encode("ascii")
    if not 1 <= len(name) <= MAX_KEY_NAME:
        raise ValueError("key name must be 1..64 ASCII characters")
    return _FIXED.pack(FORMAT_VERSION, flags, dek_id.bytes, kek_version, len(name)) + name


URLSAFE = bytes.maketrans(b"+/", b"-_")


def b64url(raw: bytes) -> str:
    """base64url without padding (the text form's body)."""
    return binascii.b2a_base64(raw, newline=False).translate(URLSAFE).rstrip(b"=").decode()


def serialize(header: bytes, nonce: bytes, sealed: bytes) -> str:
    """``header`` includes the commitment; base64url without padding after ``tpe1.``."""
    return PREFIX + b64url(b"".join((header, nonce, sealed)))


def split_header(header: bytes) -> tuple[str, bytes]:
    """Pre-encode the fixed header of one data key: ``(text_prefix, tail)``.

    base64 encodes each 3-byte group on its own, so for any ``rest``:
    ``PREFIX + b64url(header + rest) == text_prefix + b64url(tail + rest)``, where
    ``text_prefix`` is ``tpe1.`` + the encoding of the header's longest prefix whose length
    is a multiple of 3 and ``tail`` is the 0-2 bytes left. ``FieldCipher.encrypt`` uses it
    to encode only the per-value bytes.
    """
    cut = len(header) - len(header) % 3
    return PREFIX + b64url(header[:cut]), header[cut:]


def parse(text: object) -> Envelope:
    """Parse without decrypting; raises a specific ``MalformedCiphertextError``."""
    if not isinstance(text, str):
        raise NotBase64Error("ciphertext must be a string")
    if not text.startswith(PREFIX):
        if text.startswith("tpe") and "." in text[:8]:
            raise UnsupportedFormatError("ciphertext format version is not supported")
        raise UnsupportedFormatError("not a trustplane field ciphertext (expected 'tpe1.')")
    body = text[len(PREFIX) :]
    if len(body) % 4 == 1 or not _is_b64url(body):
        raise NotBase64Error("ciphertext body is not base64url")
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as exc:
        raise NotBase64Error("ciphertext body is not base64url") from exc
    if binascii.b2a_base64(raw, newline=False).translate(URLSAFE).rstrip(b"=") != body.encode():
        raise NotBase64Error("ciphertext body is not canonical base64url")
    if len(raw) < _FIXED.size:
        raise TruncatedCiphertextError("ciphertext is truncated")
    version, flags, dek_bytes, kek_version, name_len = _FIXED.unpack_from(raw)
    if version != FORMAT_VERSION:
        raise UnsupportedFormatError("ciphertext binary version is not supported")
    if name_len == 0 or name_len > MAX_KEY_NAME:
        raise UnsupportedFormatError("ciphertext key name length is invalid")
    header_end = _FIXED.size + name_len
    if len(raw) < header_end + COMMIT_SIZE + NONCE_SIZE + TAG_SIZE + 1:
        raise TruncatedCiphertextError("ciphertext is truncated")
    try:
        key_name = raw[_FIXED.size : header_end].decode("ascii")
    except UnicodeDecodeError as exc:
        raise UnsupportedFormatError("ciphertext key name is not ASCII") from exc
    commit_end = header_end + COMMIT_SIZE
    nonce_end = commit_end + NONCE_SIZE
    return Envelope(
        flags=flags,
        dek_id_bytes=dek_bytes,
        kek_version=kek_version,
        key_name=key_name,
        header=raw[:commit_end],
        commitment=raw[header_end:commit_end],
        nonce=raw[commit_end:nonce_end],
        sealed=raw[nonce_end:],
    )


_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def _is_b64url(body: str) -> bool:
    return _B64URL.fullmatch(body) is not None
