"""Key files the embedded defaults create at first run, through ``audit.private_file``.

The composition root reads every room's key files inside ``key_file_errors()``, so a file
that group or others may read stops startup with a ``ConfigurationError`` (exit 1 and a
clear message), whichever room owns the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from audit import PrivateFileError, load_or_create_private, read_private
from trustplane.errors import ConfigurationError


@contextmanager
def key_file_errors() -> Iterator[None]:
    """Turn a refused secret file (group/world access) into a configuration error."""
    try:
        yield
    except PrivateFileError as exc:
        raise ConfigurationError(str(exc)) from exc


def load_or_create(path: Path, create: Callable[[], bytes]) -> bytes:
    """Read ``path``; on first run write ``create()`` there with mode 0600 atomically."""
    with key_file_errors():
        return load_or_create_private(path, create)


def load_existing(path: Path) -> bytes:
    if not path.exists():
        raise ConfigurationError(f"key file {path} does not exist")
    with key_file_errors():
        return read_private(path)
