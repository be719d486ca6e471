"""Exception tree of the vault room.

Every error carries a stable ``code`` (the last segment of its problem type URI), a
suggested HTTP ``status`` and a ``title``; ``web/`` maps them to RFC 9457 problems in one
place. No message ever contains plaintext, key material or a wrapped key.
"""

from __future__ import annotations


class VaultError(Exception):
    """Root of every error raised by the vault room."""

    code = "vault-error"
    status = 500
    title = "Field encryption error"


# --- ciphertexts that cannot be decrypted -----------------------------------------------


class CiphertextError(VaultError):
    """A ciphertext could not be decrypted (always the caller's input, never a crash)."""

    code = "ciphertext-invalid"
    status = 422
    title = "Ciphertext cannot be decrypted"


class MalformedCiphertextError(CiphertextError):
    code = "ciphertext-malformed"
    title = "Ciphertext is malformed"


class NotBase64Error(MalformedCiphertextError):
    code = "ciphertext-not-base64"
    title = "Ciphertext is not base64url"


class TruncatedCiphertextError(MalformedCiphertextError):
    code = "ciphertext-truncated"
    title = "Ciphertext is truncated"


class UnsupportedFormatError(MalformedCiphertextError):
    code = "ciphertext-unsupported-format"
    title = "Ciphertext format or version is not supported"


class TamperedCiphertextError(CiphertextError):
    code = "ciphertext-tampered"
    title = "Ciphertext failed authentication (tampered)"


class ContextMismatchError(CiphertextError):
    code = "ciphertext-wrong-context"
    title = "Ciphertext does not belong to this context"


class UnknownDataKeyError(CiphertextError):
    code = "unknown-data-key"
    title = "Ciphertext names a data key that does not exist"


class UnknownKeyVersionError(CiphertextError):
    code = "unknown-key-version"
    title = "Key version is unknown or retired"


class KeyDestroyedError(CiphertextError):
    code = "key-destroyed"
    status = 410
    title = "key destroyed"


class SubjectShreddedError(KeyDestroyedError):
    """Encryption for a data principal whose keys were shredded."""

    code = "subject-shredded"
    title = "key destroyed: the data principal was shredded"


# --- values and requests ----------------------------------------------------------------


class InvalidFieldValueError(VaultError):
    code = "invalid-field-value"
    status = 422
    title = "Field value or context is invalid"


class BatchTooLargeError(VaultError):
    code = "batch-too-large"
    status = 413
    title = "Too many fields in one batch"


class DecryptDeniedError(VaultError):
    code = "decrypt-denied"
    status = 403
    title = "Decryption denied by policy"

    def __init__(self, message: str, reasons: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.reasons = reasons


# --- keys and providers -----------------------------------------------------------------


class ProviderError(VaultError):
    code = "key-provider-error"
    status = 503
    title = "Key provider failed"


class UnknownKeyError(ProviderError):
    code = "unknown-key"
    status = 404
    title = "Unknown key"


class UnsupportedOperationError(ProviderError):
    code = "unsupported-key-operation"
    status = 409
    title = "The key provider does not support this operation"


class NoSubjectKeysError(VaultError):
    """Shredding a subject no data key exists for would block the id for ever and destroy
    nothing: refused unless the caller forces it (a typo must not poison an id)."""

    code = "subject-has-no-keys"
    status = 404
    title = "No data keys exist for this data principal"


class KeyStoreError(VaultError):
    code = "key-store-error"
    status = 503
    title = "Data key store failed"


class RewrapIncompleteError(VaultError):
    code = "rewrap-incomplete"
    status = 409
    title = "Data keys still wrapped under old versions"
