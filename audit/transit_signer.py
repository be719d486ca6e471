"""``CheckpointSigner`` backed by an OpenBao (or Vault) transit key of type ``ed25519``.

The private key never leaves the server: each tree head is signed by ``transit/sign/<key>``
(pure Ed25519 over the note body, no prehash), and the verifier is the public key that
``transit/keys/<key>`` publishes for the pinned key version (ADR 0108). Pinning matters: a
signed note names its key by an id derived from the public key, so the log keeps signing
with the version it started with even after someone rotates the transit key; a rotation of
the log's signing key is a deliberate change of ``key_version`` (and of the verifier key
auditors hold), never a side effect.

Every signature the server returns is checked against the pinned public key before it is
used: a wrong key, version or a tampered answer fails the commit instead of storing a
head that ``audit verify`` would later reject.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import hvac
import hvac.exceptions
import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.errors import AuditError, AuditUnavailableError
from audit.note import NoteVerifier, check_note_body, check_note_name, signed_note

KEY_TYPE = "ed25519"


class TransitNoteSigner:
    """Signs notes with ``<mount>/sign/<key_name>`` at one pinned key version."""

    def __init__(
        self,
        name: str,
        client: hvac.Client,
        key_name: str,
        *,
        mount_point: str = "transit",
        key_version: int | None = None,
        create: bool = False,
    ) -> None:
        """``key_version`` None pins the key's latest version at start-up; ``create`` makes
        the ed25519 key when it does not exist yet (first run), else a missing key is an
        error. ``AuditError`` when the key is not an ed25519 transit key or the version is
        unknown; ``AuditUnavailableError`` when the server cannot be reached."""
        check_note_name(name)
        self._name = name
        self._client = client
        self._key = key_name
        self._mount = mount_point
        data = self._read_key(create)
        if data.get("type") != KEY_TYPE:
            raise AuditError(f"transit key {key_name!r} is not an {KEY_TYPE} key")
        self.key_version = int(key_version or data.get("latest_version") or 0)
        versions: dict[str, Any] = data.get("keys") or {}
        entry = versions.get(str(self.key_version))
        if not isinstance(entry, dict) or not entry.get("public_key"):
            raise AuditError(f"transit key {key_name!r} has no version {self.key_version}")
        try:
            raw = base64.b64decode(entry["public_key"], validate=True)
            public = Ed25519PublicKey.from_public_bytes(raw)
        except (binascii.Error, ValueError) as exc:
            raise AuditError(f"transit key {key_name!r} publishes a malformed key") from exc
        self._verifier = NoteVerifier(name, public)

    @property
    def name(self) -> str:
        return self._name

    @property
    def verifier(self) -> NoteVerifier:
        return self._verifier

    def sign(self, body: str) -> str:
        check_note_body(body)
        message = body.encode("utf-8")
        signature = self._signature(message)
        try:
            self._verifier.public_key.verify(signature, message)
        except InvalidSignature as exc:
            raise AuditUnavailableError(
                "the transit signature does not verify with the pinned public key"
            ) from exc
        return signed_note(body, self._verifier, signature)

    # -- transit calls ------------------------------------------------------------------

    def _read_key(self, create: bool) -> dict[str, Any]:
        transit = self._client.secrets.transit
        try:
            try:
                answer = transit.read_key(name=self._key, mount_point=self._mount)
            except hvac.exceptions.InvalidPath:
                if not create:
                    raise AuditError(f"transit key {self._key!r} does not exist") from None
                transit.create_key(name=self._key, key_type=KEY_TYPE, mount_point=self._mount)
                answer = transit.read_key(name=self._key, mount_point=self._mount)
        except (hvac.exceptions.VaultError, requests.RequestException) as exc:
            raise AuditUnavailableError(
                f"transit key {self._key!r} could not be read ({type(exc).__name__})"
            ) from exc
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, dict):
            raise AuditError(f"transit key {self._key!r}: unexpected answer")
        return data

    def _signature(self, message: bytes) -> bytes:
        try:
            answer = self._client.secrets.transit.sign_data(
                name=self._key,
                hash_input=base64.b64encode(message).decode(),
                key_version=self.key_version,
                mount_point=self._mount,
            )
            text = answer["data"]["signature"]
        except (hvac.exceptions.VaultError, requests.RequestException) as exc:
            raise AuditUnavailableError(
                f"transit could not sign the tree head ({type(exc).__name__})"
            ) from exc
        except (KeyError, TypeError) as exc:
            raise AuditUnavailableError("transit answered a sign call without a signature") from exc
        prefix, _, blob = str(text).rpartition(":")
        if prefix != f"vault:v{self.key_version}":
            raise AuditUnavailableError("transit signed with another key version")
        try:
            return base64.b64decode(blob, validate=True)
        except binascii.Error as exc:
            raise AuditUnavailableError("transit returned a malformed signature") from exc


def transit_client(
    url: str, *, token: str, namespace: str | None = None, timeout: float = 5.0
) -> hvac.Client:
    """An hvac client for ``TransitNoteSigner`` (token auth)."""
    return hvac.Client(url=url, token=token, namespace=namespace, timeout=timeout)
