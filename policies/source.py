"""A bundle as files: Rego modules plus one data document, and its content-hash revision."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import rfc8785

from policies.errors import BundleError

DEFAULT_BUNDLE_DIR = Path(__file__).parent / "bundle"
DATA_FILE = "data.json"


@dataclass(frozen=True)
class BundleFiles:
    """Rego modules by bundle-relative path (``finsolve/authz.rego``) and the data document.

    A value: build a new one rather than change the dicts of an existing one (the revision
    is computed once, on first use; the bundle service asks for it on every request).
    """

    modules: dict[str, str]
    data: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def revision(self) -> str:
        return revision_of(self)

    @property
    def roots(self) -> list[str]:
        """Top-level names the bundle owns (data keys and first package segments)."""
        names = set(self.data)
        for path in self.modules:
            names.add(path.split("/", 1)[0])
        return sorted(names)

    def policy_modules(self) -> dict[str, str]:
        """Modules without the ``*_test.rego`` files."""
        return {p: src for p, src in self.modules.items() if not is_test_module(p)}

    def to_json(self) -> str:
        return json.dumps({"modules": self.modules, "data": self.data}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> BundleFiles:
        raw = json.loads(text)
        return cls(modules=dict(raw["modules"]), data=dict(raw["data"]))


def is_test_module(path: str) -> bool:
    return path.endswith("_test.rego")


def canonical_data(data: dict[str, Any]) -> bytes:
    return bytes(rfc8785.dumps(data))


def revision_of(files: BundleFiles) -> str:
    """SHA-256 over every file's path and content hash, in path order (64 hex chars)."""
    digest = hashlib.sha256()
    entries = {path: src.encode() for path, src in files.modules.items()}
    entries[DATA_FILE] = canonical_data(files.data)
    for path in sorted(entries):
        digest.update(path.encode() + b"\0" + hashlib.sha256(entries[path]).digest())
    return digest.hexdigest()


def load_bundle_dir(directory: Path | str | None = None) -> BundleFiles:
    """Read ``**/*.rego`` and ``data.json`` under ``directory`` (default: FinSolve's bundle)."""
    root = Path(directory) if directory is not None else DEFAULT_BUNDLE_DIR
    if not root.is_dir():
        raise BundleError(f"bundle directory not found: {root}")
    modules = {
        path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(root.rglob("*.rego"))
    }
    if not modules:
        raise BundleError(f"no .rego files under {root}")
    data: dict[str, Any] = {}
    data_path = root / DATA_FILE
    if data_path.exists():
        try:
            loaded = json.loads(data_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise BundleError(f"{DATA_FILE} is not valid JSON: {exc.msg}") from exc
        if not isinstance(loaded, dict):
            raise BundleError(f"{DATA_FILE} must hold a JSON object")
        data = loaded
    return BundleFiles(modules=modules, data=data)
