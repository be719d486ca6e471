"""C2SP signed notes and checkpoints; key files."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit import AuditError, AuditIntegrityError, NoteVerifier
from audit.keys import load_or_create_hmac_key, load_or_create_signing_key
from audit.note import CheckpointBody, NoteSigner, key_id, open_checkpoint, open_note

ORIGIN = "example.test/audit"


def test_checkpoint_round_trip_and_format() -> None:
    signer = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    body = CheckpointBody(ORIGIN, 42, bytes(range(32)))
    note = signer.sign(body.encode())
    lines = note.split("\n")
    assert lines[:3] == [ORIGIN, "42", base64.b64encode(bytes(range(32))).decode()]
    assert lines[3] == ""
    assert lines[4].startswith(f"\u2014 {ORIGIN} ")
    raw = base64.b64decode(lines[4].split(" ")[2])
    assert raw[:4] == signer.verifier.key_id
    assert len(raw) == 4 + 64
    assert open_checkpoint(note, signer.verifier, ORIGIN) == body


def test_verifier_key_encoding_and_key_id() -> None:
    private = Ed25519PrivateKey.generate()
    verifier = NoteSigner(ORIGIN, private).verifier
    text = verifier.encode()
    name, hex_id, blob = text.split("+", 2)
    assert name == ORIGIN
    assert len(hex_id) == 8
    assert base64.b64decode(blob)[0] == 1
    parsed = NoteVerifier.parse(text)
    assert parsed.key_id == key_id(ORIGIN, private.public_key())
    with pytest.raises(AuditIntegrityError):
        NoteVerifier.parse(f"{name}+00000000+{blob}")
    with pytest.raises(AuditIntegrityError):
        NoteVerifier.parse("garbage")


def test_forged_wrong_key_and_malformed_notes_are_rejected() -> None:
    signer = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    other = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    note = signer.sign(CheckpointBody(ORIGIN, 7, b"\x01" * 32).encode())
    forged = note.replace("\n7\n", "\n8\n")
    with pytest.raises(AuditIntegrityError):
        open_note(forged, signer.verifier)
    with pytest.raises(AuditIntegrityError):
        open_note(note, other.verifier)
    with pytest.raises(AuditIntegrityError):
        open_checkpoint(note, signer.verifier, "other.example/log")
    for bad in ("no blank line\n", note.rstrip("\n"), note.replace("\u2014", "-")):
        with pytest.raises(AuditIntegrityError):
            open_note(bad, signer.verifier)
    with pytest.raises(ValueError):
        signer.sign("no newline")
    with pytest.raises(ValueError):
        NoteSigner("bad name", Ed25519PrivateKey.generate())


@pytest.mark.parametrize(
    "body",
    ["o\n01\n" + "A" * 44 + "\n", "o\n1\n!!\n", "o\n1\n" + base64.b64encode(b"x").decode() + "\n",
     "o\n1\n"],
)  # fmt: skip
def test_malformed_checkpoint_bodies(body: str) -> None:
    with pytest.raises(AuditIntegrityError):
        CheckpointBody.parse(body)


def test_signing_key_file_is_created_0600_and_reloaded(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "audit-signing.pem"
    first = load_or_create_signing_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_or_create_signing_key(path)
    message = b"m"
    first.public_key().verify(again.sign(message), message)
    other = tmp_path / "ec.pem"
    other.write_text("not a key")
    other.chmod(0o600)  # (a file others may read is refused before parsing: test_private_file)
    with pytest.raises(ValueError):
        load_or_create_signing_key(other)


def test_hmac_key_file(tmp_path: Path) -> None:
    path = tmp_path / "audit-hmac.key"
    key = load_or_create_hmac_key(path)
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_hmac_key(path) == key
    path.write_text("zz")
    with pytest.raises(AuditError):
        load_or_create_hmac_key(path)
    path.write_text("abcd")
    with pytest.raises(AuditError):
        load_or_create_hmac_key(path)
