"""Key providers: the ``KeyProvider`` port and its adapters (local keyring, Vault/OpenBao
transit, AWS KMS)."""
