"""Stores of wrapped data keys: the ``DataKeyStore`` port (and in-memory store), SQL."""
