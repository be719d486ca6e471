"""``local`` key provider: a keyring file (mode 0600) holding versioned KEKs.

For development and the embedded demo. Each KEK version is 32 random bytes; a wrapped data
key is ``0x01 | version(4) | nonce(12) | AES-256-GCM(dek) || tag`` with the key name,
version and encryption context as associated data.
"""

from __future__ import annotations

import base64
import json
import os
import struct
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from audit import PrivateFileError, read_private, replace_private
from vault.errors import (
    KeyStoreError,
    TamperedCiphertextError,
    UnknownKeyError,
    UnknownKeyVersionError,
)
from vault.providers.port import DataKey, KeyContext, KeyInfo, WrappedKey

_WRAP = struct.Struct(">BI")


def _context_aad(key_name: str, version: int, context: KeyContext) -> bytes:
    canonical = json.dumps(dict(context), sort_keys=True, separators=(",", ":"))
    return f"tp-local-wrap\x00{key_name}\x00{version}\x00{canonical}".encode()


def _now() -> str:
    return datetime.now(UTC).isoformat()


class LocalKeyProvider:
    """Versioned KEKs in a JSON keyring file created on first use with mode 0600."""

    kind = "local"

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.RLock()
        self._ring: dict[str, Any] = self._load()
        self._aead: dict[tuple[str, int], AESGCM] = {}

    # --- keyring file ---------------------------------------------------------------------

    def _load(self) -> dict[str, Any]:
        if not self._path.exists():
            ring: dict[str, Any] = {"format": 1, "keys": {}}
            self._write(ring)
            return ring
        try:
            loaded: dict[str, Any] = json.loads(read_private(self._path))
        except PrivateFileError:
            raise
        except (OSError, ValueError) as exc:
            raise KeyStoreError("keyring file is unreadable") from exc
        return loaded

    def _write(self, ring: dict[str, Any]) -> None:
        replace_private(self._path, json.dumps(ring, indent=1).encode())

    def _key(self, key_name: str) -> dict[str, Any]:
        entry: dict[str, Any] | None = self._ring["keys"].get(key_name)
        if entry is None:
            raise UnknownKeyError(f"unknown key {key_name!r}")
        return entry

    def _aesgcm(self, key_name: str, version: int) -> AESGCM:
        cached = self._aead.get((key_name, version))
        if cached is not None:
            return cached
        entry = self._key(key_name)
        material = entry["versions"].get(str(version))
        if material is None or version < int(entry["min_decryption_version"]):
            raise UnknownKeyVersionError(f"key {key_name!r} version {version} is not usable")
        aead = AESGCM(base64.b64decode(material["material"]))
        self._aead[(key_name, version)] = aead
        return aead

    # --- KeyProvider ----------------------------------------------------------------------

    def ensure_key(self, key_name: str) -> None:
        with self._lock:
            if key_name in self._ring["keys"]:
                return
            now = _now()
            self._ring["keys"][key_name] = {
                "created": now,
                "last_rotated": None,
                "latest_version": 1,
                "min_decryption_version": 1,
                "versions": {"1": {"material": _new_material(), "created": now}},
            }
            self._write(self._ring)

    def _wrap(self, key_name: str, dek: bytes, context: KeyContext) -> WrappedKey:
        with self._lock:
            version = int(self._key(key_name)["latest_version"])
            aead = self._aesgcm(key_name, version)
        nonce = os.urandom(12)
        sealed = aead.encrypt(nonce, dek, _context_aad(key_name, version, context))
        return WrappedKey(_WRAP.pack(1, version) + nonce + sealed, version)

    def generate_data_key(self, key_name: str, context: KeyContext) -> DataKey:
        dek = AESGCM.generate_key(bit_length=256)
        wrapped = self._wrap(key_name, dek, context)
        return DataKey(plaintext=dek, wrapped=wrapped.wrapped, kek_version=wrapped.kek_version)

    def decrypt_data_key(self, key_name: str, wrapped: bytes, context: KeyContext) -> bytes:
        if len(wrapped) < _WRAP.size + 12 + 16:
            raise TamperedCiphertextError("wrapped data key is truncated")
        fmt, version = _WRAP.unpack_from(wrapped)
        if fmt != 1:
            raise TamperedCiphertextError("wrapped data key format is unknown")
        with self._lock:
            aead = self._aesgcm(key_name, version)
        nonce, sealed = wrapped[_WRAP.size : _WRAP.size + 12], wrapped[_WRAP.size + 12 :]
        try:
            return aead.decrypt(nonce, sealed, _context_aad(key_name, version, context))
        except InvalidTag as exc:
            raise TamperedCiphertextError("wrapped data key failed authentication") from exc

    def rewrap_data_key(self, key_name: str, wrapped: bytes, context: KeyContext) -> WrappedKey:
        return self._wrap(key_name, self.decrypt_data_key(key_name, wrapped, context), context)

    def rotate(self, key_name: str) -> int:
        with self._lock:
            entry = self._key(key_name)
            version = int(entry["latest_version"]) + 1
            now = _now()
            entry["versions"][str(version)] = {"material": _new_material(), "created": now}
            entry["latest_version"] = version
            entry["last_rotated"] = now
            self._write(self._ring)
            return version

    def retire_versions_below(self, key_name: str, version: int) -> None:
        with self._lock:
            entry = self._key(key_name)
            version = min(version, int(entry["latest_version"]))
            entry["min_decryption_version"] = max(int(entry["min_decryption_version"]), version)
            for old in [v for v in entry["versions"] if int(v) < version]:
                del entry["versions"][old]  # retired material is destroyed
                self._aead.pop((key_name, int(old)), None)
            self._write(self._ring)

    def describe(self, key_name: str) -> KeyInfo:
        with self._lock:
            entry = self._key(key_name)
            rotated = entry.get("last_rotated")
            return KeyInfo(
                name=key_name,
                provider=self.kind,
                key_id=f"local:{key_name}",
                version=int(entry["latest_version"]),
                min_decryption_version=int(entry["min_decryption_version"]),
                created_at=datetime.fromisoformat(entry["created"]),
                last_rotated_at=datetime.fromisoformat(rotated) if rotated else None,
            )

    def list_keys(self) -> list[str]:
        with self._lock:
            return sorted(self._ring["keys"])


def _new_material() -> str:
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()
