"""C2SP tlog-checkpoint bodies signed as C2SP signed-notes with Ed25519.

A checkpoint note looks like::

    trustplane.finsolve.example/audit
    1234
    <base64 root hash>

    — trustplane.finsolve.example/audit <base64(key id || signature)>

The key id is the first four bytes of SHA-256(name || 0x0A || 0x01 || public key); the
verifier key string is ``name+hex(key id)+base64(0x01 || public key)``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from audit.errors import AuditIntegrityError

ED25519_ALG = b"\x01"
SIG_PREFIX = "\u2014 "  # em dash and a space


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def check_note_name(name: str) -> None:
    if not name or "+" in name or any(ch.isspace() for ch in name):
        raise ValueError("a signed-note key name is non-empty, without spaces or '+'")


def key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    data = name.encode("utf-8") + b"\n" + ED25519_ALG + _raw_public(public_key)
    return hashlib.sha256(data).digest()[:4]


@dataclass(frozen=True)
class NoteVerifier:
    """A named Ed25519 public key that verifies signed notes."""

    name: str
    public_key: Ed25519PublicKey

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key)

    def encode(self) -> str:
        blob = base64.b64encode(ED25519_ALG + _raw_public(self.public_key)).decode()
        return f"{self.name}+{self.key_id.hex()}+{blob}"

    @classmethod
    def parse(cls, text: str) -> NoteVerifier:
        try:
            name, hex_id, blob = text.strip().split("+", 2)
            raw = base64.b64decode(blob, validate=True)
            if raw[:1] != ED25519_ALG or len(raw) != 33:
                raise ValueError("not an Ed25519 verifier key")
            verifier = cls(name, Ed25519PublicKey.from_public_bytes(raw[1:]))
            if verifier.key_id != bytes.fromhex(hex_id):
                raise ValueError("key id does not match the key")
        except (ValueError, binascii.Error) as exc:
            raise AuditIntegrityError(f"malformed verifier key: {exc}") from exc
        return verifier


def check_note_body(body: str) -> None:
    if not body.endswith("\n") or "\n\n" in body:
        raise ValueError("a note body ends with a newline and has no blank line")


def signed_note(body: str, verifier: NoteVerifier, signature: bytes) -> str:
    """``body`` with its signature line (key id of ``verifier`` followed by ``signature``)."""
    blob = base64.b64encode(verifier.key_id + signature).decode()
    return f"{body}\n{SIG_PREFIX}{verifier.name} {blob}\n"


@dataclass(frozen=True)
class NoteSigner:
    """The ``CheckpointSigner`` whose Ed25519 key is in this process (the 0600 key file)."""

    name: str
    private_key: Ed25519PrivateKey

    def __post_init__(self) -> None:
        check_note_name(self.name)

    @property
    def verifier(self) -> NoteVerifier:
        return NoteVerifier(self.name, self.private_key.public_key())

    def sign(self, body: str) -> str:
        check_note_body(body)
        return signed_note(body, self.verifier, self.private_key.sign(body.encode("utf-8")))


def open_note(note: str, verifier: NoteVerifier) -> str:
    """The body of ``note`` if ``verifier`` signed it; raises ``AuditIntegrityError``."""
    body, sep, signatures = note.partition("\n\n")
    if not sep or not signatures.endswith("\n"):
        raise AuditIntegrityError("malformed signed note")
    body += "\n"
    for line in signatures.splitlines():
        if not line.startswith(SIG_PREFIX):
            raise AuditIntegrityError("malformed signature line")
        name, _, blob = line[len(SIG_PREFIX) :].partition(" ")
        if name != verifier.name:
            continue
        try:
            raw = base64.b64decode(blob, validate=True)
        except binascii.Error as exc:
            raise AuditIntegrityError("malformed signature") from exc
        if raw[:4] != verifier.key_id:
            continue
        try:
            verifier.public_key.verify(raw[4:], body.encode("utf-8"))
        except InvalidSignature as exc:
            raise AuditIntegrityError("checkpoint signature does not verify") from exc
        return body
    raise AuditIntegrityError("checkpoint is not signed by the expected key")


@dataclass(frozen=True)
class CheckpointBody:
    """The tlog-checkpoint body: origin, tree size, root hash."""

    origin: str
    tree_size: int
    root_hash: bytes

    def encode(self) -> str:
        root = base64.b64encode(self.root_hash).decode()
        return f"{self.origin}\n{self.tree_size}\n{root}\n"

    @classmethod
    def parse(cls, body: str) -> CheckpointBody:
        lines = body.split("\n")
        if len(lines) < 4 or lines[-1] != "":
            raise AuditIntegrityError("malformed checkpoint body")
        origin, size_text, root_text = lines[0], lines[1], lines[2]
        if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
            raise AuditIntegrityError("malformed checkpoint tree size")
        try:
            root = base64.b64decode(root_text, validate=True)
        except binascii.Error as exc:
            raise AuditIntegrityError("malformed checkpoint root hash") from exc
        if len(root) != 32:
            raise AuditIntegrityError("checkpoint root hash is not 32 bytes")
        return cls(origin, int(size_text), root)


def open_checkpoint(note: str, verifier: NoteVerifier, origin: str | None = None) -> CheckpointBody:
    """Verify the signature and parse; ``origin`` pins the expected log."""
    checkpoint = CheckpointBody.parse(open_note(note, verifier))
    if origin is not None and checkpoint.origin != origin:
        raise AuditIntegrityError("checkpoint belongs to another log")
    return checkpoint
