"""``aws-kms`` key provider: boto3 KMS ``GenerateDataKey``/``Decrypt``/``ReEncrypt``.

A KEK is a symmetric KMS key behind the alias ``alias/<prefix><name>``. Every wrapped data
key is bound to its encryption context (KMS EncryptionContext). KMS keeps all backing key
versions of a key forever, so "version" is 1 + the number of rotations and retiring old
versions is not supported (rewrap still moves every data key to the newest material).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import boto3
import botocore.exceptions

from vault.errors import (
    KeyDestroyedError,
    ProviderError,
    TamperedCiphertextError,
    UnknownKeyError,
    UnsupportedOperationError,
)
from vault.providers.port import DataKey, KeyContext, KeyInfo, WrappedKey

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

T = TypeVar("T")
_VERSION_TTL = 60.0


class KmsKeyProvider:
    kind = "aws-kms"

    def __init__(
        self,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        alias_prefix: str = "trustplane-",
        client: KMSClient | None = None,
    ) -> None:
        self._kms: KMSClient = client or boto3.client(
            "kms", region_name=region, endpoint_url=endpoint_url
        )
        self._prefix = alias_prefix
        self._versions: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def _alias(self, key_name: str) -> str:
        return f"alias/{self._prefix}{key_name}"

    def _call(self, operation: Callable[[], T], *, decrypting: bool = False) -> T:
        try:
            return operation()
        except botocore.exceptions.ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "NotFoundException":
                raise UnknownKeyError("KMS key not found") from exc
            if code in {"InvalidCiphertextException", "IncorrectKeyException"}:
                raise TamperedCiphertextError("KMS refused the wrapped data key") from exc
            if code == "KMSInvalidStateException" and decrypting:
                raise KeyDestroyedError("key destroyed: KMS key is disabled or deleted") from exc
            raise ProviderError(f"KMS request failed ({code or 'error'})") from exc
        except botocore.exceptions.BotoCoreError as exc:
            raise ProviderError("KMS request failed") from exc

    def ensure_key(self, key_name: str) -> None:
        alias = self._alias(key_name)

        def create() -> None:
            try:
                self._kms.describe_key(KeyId=alias)
            except botocore.exceptions.ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "NotFoundException":
                    raise
                key = self._kms.create_key(
                    Description=f"trustplane field-encryption KEK {key_name}",
                    KeyUsage="ENCRYPT_DECRYPT",
                    KeySpec="SYMMETRIC_DEFAULT",
                    Tags=[{"TagKey": "trustplane:key", "TagValue": key_name}],
                )
                self._kms.create_alias(AliasName=alias, TargetKeyId=key["KeyMetadata"]["KeyId"])

        self._call(create)

    def _version(self, key_name: str, *, fresh: bool = False) -> int:
        now = time.monotonic()
        with self._lock:
            cached = self._versions.get(key_name)
        if cached is not None and not fresh and now - cached[1] < _VERSION_TTL:
            return cached[0]
        rotations = self._rotations(key_name)
        version = 1 + len(rotations)
        with self._lock:
            self._versions[key_name] = (version, now)
        return version

    def _rotations(self, key_name: str) -> list[Any]:
        response = self._call(lambda: self._kms.list_key_rotations(KeyId=self._key_id(key_name)))
        return list(response.get("Rotations", []))

    def _key_id(self, key_name: str) -> str:
        meta = self._call(lambda: self._kms.describe_key(KeyId=self._alias(key_name)))
        return str(meta["KeyMetadata"]["KeyId"])

    def generate_data_key(self, key_name: str, context: KeyContext) -> DataKey:
        response = self._call(
            lambda: self._kms.generate_data_key(
                KeyId=self._alias(key_name), KeySpec="AES_256", EncryptionContext=dict(context)
            )
        )
        return DataKey(
            plaintext=response["Plaintext"],
            wrapped=response["CiphertextBlob"],
            kek_version=self._version(key_name),
        )

    def decrypt_data_key(self, key_name: str, wrapped: bytes, context: KeyContext) -> bytes:
        response = self._call(
            lambda: self._kms.decrypt(
                CiphertextBlob=wrapped,
                EncryptionContext=dict(context),
                KeyId=self._alias(key_name),
            ),
            decrypting=True,
        )
        return response["Plaintext"]

    def rewrap_data_key(self, key_name: str, wrapped: bytes, context: KeyContext) -> WrappedKey:
        """``ReEncrypt``: the data key never leaves KMS in plaintext."""
        alias = self._alias(key_name)
        response = self._call(
            lambda: self._kms.re_encrypt(
                CiphertextBlob=wrapped,
                SourceEncryptionContext=dict(context),
                SourceKeyId=alias,
                DestinationKeyId=alias,
                DestinationEncryptionContext=dict(context),
            ),
            decrypting=True,
        )
        return WrappedKey(response["CiphertextBlob"], self._version(key_name))

    def rotate(self, key_name: str) -> int:
        key_id = self._key_id(key_name)
        self._call(lambda: self._kms.rotate_key_on_demand(KeyId=key_id))
        return self._version(key_name, fresh=True)

    def retire_versions_below(self, key_name: str, version: int) -> None:
        raise UnsupportedOperationError(
            "AWS KMS keeps every backing key version; old versions cannot be retired"
        )

    def describe(self, key_name: str) -> KeyInfo:
        meta = self._call(lambda: self._kms.describe_key(KeyId=self._alias(key_name)))
        rotations = self._rotations(key_name)
        dates: list[datetime] = [r["RotationDate"] for r in rotations if "RotationDate" in r]
        version = 1 + len(rotations)
        with self._lock:
            self._versions[key_name] = (version, time.monotonic())
        return KeyInfo(
            name=key_name,
            provider=self.kind,
            key_id=str(meta["KeyMetadata"]["Arn"]),
            version=version,
            min_decryption_version=1,
            created_at=meta["KeyMetadata"].get("CreationDate"),
            last_rotated_at=max(dates) if dates else None,
        )

    def list_keys(self) -> list[str]:
        response = self._call(lambda: self._kms.list_aliases(Limit=100))
        prefix = f"alias/{self._prefix}"
        return sorted(
            a["AliasName"][len(prefix) :]
            for a in response.get("Aliases", [])
            if a.get("AliasName", "").startswith(prefix)
        )
