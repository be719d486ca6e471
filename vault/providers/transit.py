"""``vault`` key provider: Vault/OpenBao transit through hvac (one thin method per call).

KEKs are transit keys (``aes256-gcm96``); data keys come from ``datakey/plaintext``;
wrapped keys are transit ciphertexts (``vault:vN:...``) whose ``N`` is the KEK version.
Token auth, or AppRole (re-login once when the token has expired).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import hvac
import hvac.exceptions
import requests

from vault.errors import (
    ProviderError,
    TamperedCiphertextError,
    UnknownKeyError,
    UnknownKeyVersionError,
)
from vault.providers.port import DataKey, KeyContext, KeyInfo, WrappedKey

T = TypeVar("T")


def _version_of(ciphertext: str) -> int:
    parts = ciphertext.split(":", 2)
    if len(parts) != 3 or parts[0] != "vault" or not parts[1].startswith("v"):
        raise TamperedCiphertextError("wrapped data key is not a transit ciphertext")
    try:
        return int(parts[1][1:])
    except ValueError as exc:
        raise TamperedCiphertextError("wrapped data key version is invalid") from exc


def _time(value: Any) -> datetime | None:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return None


class TransitKeyProvider:
    kind = "vault"

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        role_id: str | None = None,
        secret_id: str | None = None,
        mount_point: str = "transit",
        namespace: str | None = None,
        timeout: float = 5.0,
        verify: bool | str = True,
    ) -> None:
        if token is None and not (role_id and secret_id):
            raise ProviderError("vault provider needs a token or an AppRole role_id/secret_id")
        self._client = hvac.Client(
            url=url, token=token, namespace=namespace, timeout=timeout, verify=verify
        )
        self._role_id = role_id
        self._secret_id = secret_id
        self._mount = mount_point
        if token is None:
            self._login()

    def _login(self) -> None:
        try:
            self._client.auth.approle.login(role_id=self._role_id, secret_id=self._secret_id)
        except (hvac.exceptions.VaultError, requests.RequestException) as exc:
            raise ProviderError("AppRole login to Vault failed") from exc

    @property
    def _transit(self) -> Any:
        return self._client.secrets.transit

    def _call(self, operation: Callable[[], T], *, decrypting: bool = False) -> T:
        try:
            try:
                return operation()
            except hvac.exceptions.Forbidden:
                if self._role_id is None:
                    raise
                self._login()  # expired AppRole token: log in again, retry once
                return operation()
        except hvac.exceptions.InvalidPath as exc:
            raise UnknownKeyError("transit key not found") from exc
        except hvac.exceptions.InvalidRequest as exc:
            message = str(exc).lower()
            if "min decryption version" in message or ("version" in message and decrypting):
                raise UnknownKeyVersionError("transit key version is retired or unknown") from exc
            if decrypting:
                raise TamperedCiphertextError("transit refused the wrapped data key") from exc
            raise ProviderError("transit refused the request") from exc
        except (hvac.exceptions.VaultError, requests.RequestException) as exc:
            raise ProviderError("transit request failed") from exc

    def ensure_mount(self) -> None:
        """Enable the transit engine at the mount point when it is not yet (needs sys rights)."""

        def enable() -> None:
            mounts = self._client.sys.list_mounted_secrets_engines()
            data = mounts.get("data", mounts)
            if f"{self._mount}/" not in data:
                self._client.sys.enable_secrets_engine("transit", path=self._mount)

        self._call(enable)

    def ensure_key(self, key_name: str) -> None:
        def create() -> None:
            try:
                self._transit.read_key(name=key_name, mount_point=self._mount)
            except hvac.exceptions.InvalidPath:
                self._transit.create_key(
                    name=key_name, key_type="aes256-gcm96", mount_point=self._mount
                )

        self._call(create)

    def generate_data_key(self, key_name: str, context: KeyContext) -> DataKey:
        response = self._call(
            lambda: self._transit.generate_data_key(
                name=key_name, key_type="plaintext", mount_point=self._mount
            )
        )
        data = response["data"]
        ciphertext = str(data["ciphertext"])
        return DataKey(
            plaintext=base64.b64decode(data["plaintext"]),
            wrapped=ciphertext.encode("ascii"),
            kek_version=_version_of(ciphertext),
        )

    def decrypt_data_key(self, key_name: str, wrapped: bytes, context: KeyContext) -> bytes:
        ciphertext = wrapped.decode("ascii", errors="replace")
        _version_of(ciphertext)
        response = self._call(
            lambda: self._transit.decrypt_data(
                name=key_name, ciphertext=ciphertext, mount_point=self._mount
            ),
            decrypting=True,
        )
        return base64.b64decode(response["data"]["plaintext"])

    def rewrap_data_key(self, key_name: str, wrapped: bytes, context: KeyContext) -> WrappedKey:
        """Transit ``rewrap``: the data key never leaves Vault in plaintext."""
        ciphertext = wrapped.decode("ascii", errors="replace")
        response = self._call(
            lambda: self._transit.rewrap_data(
                name=key_name, ciphertext=ciphertext, mount_point=self._mount
            ),
            decrypting=True,
        )
        new = str(response["data"]["ciphertext"])
        return WrappedKey(new.encode("ascii"), _version_of(new))

    def rotate(self, key_name: str) -> int:
        self._call(lambda: self._transit.rotate_key(name=key_name, mount_point=self._mount))
        return self.describe(key_name).version

    def retire_versions_below(self, key_name: str, version: int) -> None:
        self._call(
            lambda: self._transit.update_key_configuration(
                name=key_name, min_decryption_version=version, mount_point=self._mount
            )
        )

    def describe(self, key_name: str) -> KeyInfo:
        response = self._call(
            lambda: self._transit.read_key(name=key_name, mount_point=self._mount)
        )
        data = response["data"]
        versions = {int(v): _time(created) for v, created in data["keys"].items()}
        latest = int(data["latest_version"])
        return KeyInfo(
            name=key_name,
            provider=self.kind,
            key_id=f"{self._mount}/keys/{key_name}",
            version=latest,
            min_decryption_version=int(data["min_decryption_version"]),
            created_at=versions.get(min(versions)) if versions else None,
            last_rotated_at=versions.get(latest) if latest > 1 else None,
        )

    def list_keys(self) -> list[str]:
        try:
            response = self._call(lambda: self._transit.list_keys(mount_point=self._mount))
        except UnknownKeyError:
            return []
        return sorted(response["data"]["keys"])
