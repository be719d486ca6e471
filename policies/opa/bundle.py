"""OPA bundles: a revision as ``.tar.gz`` (``.manifest``, ``data.json``, Rego files) with an
optional ``.signatures.json`` (a JWT over the SHA-256 of every file, OPA's signing format)."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from policies.errors import BundleError
from policies.source import DATA_FILE, BundleFiles, canonical_data

MANIFEST = ".manifest"
SIGNATURES = ".signatures.json"
MAX_ARCHIVE_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class BundleSigner:
    """Signs with an RSA (RS256) or EC P-256 (ES256) private key in PEM form."""

    private_key_pem: bytes
    keyid: str = "trustplane"

    @property
    def algorithm(self) -> str:
        key = serialization.load_pem_private_key(self.private_key_pem, password=None)
        if isinstance(key, rsa.RSAPrivateKey):
            return "RS256"
        if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1":
            return "ES256"
        raise BundleError("bundle signing key must be RSA or EC P-256")

    def sign(self, files: list[dict[str, str]]) -> str:
        payload = {"files": files, "keyid": self.keyid, "scope": "write"}
        return jwt.encode(
            payload,
            self.private_key_pem,
            algorithm=self.algorithm,
            headers={"kid": self.keyid},
        )


def _canonical_json(value: Any) -> bytes:
    return canonical_data(value)


def bundle_entries(files: BundleFiles) -> dict[str, bytes]:
    """Bundle-relative name → content, JSON files in canonical form (sorted, compact)."""
    entries: dict[str, bytes] = {
        MANIFEST: _canonical_json({"revision": files.revision, "roots": files.roots}),
        DATA_FILE: _canonical_json(files.data),
    }
    for path, source in sorted(files.modules.items()):
        entries[path] = source.encode()
    return entries


def file_hashes(entries: dict[str, bytes]) -> list[dict[str, str]]:
    return [
        {"name": name, "hash": hashlib.sha256(content).hexdigest(), "algorithm": "SHA-256"}
        for name, content in sorted(entries.items())
    ]


def build_bundle(files: BundleFiles, signer: BundleSigner | None = None) -> bytes:
    """A deterministic ``.tar.gz`` (fixed mtimes) OPA can load; signed when a signer is given."""
    entries = bundle_entries(files)
    if signer is not None:
        token = signer.sign(file_hashes(entries))
        entries[SIGNATURES] = json.dumps({"signatures": [token]}).encode()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as archive:
        for name, content in sorted(entries.items()):
            info = tarfile.TarInfo(name="/" + name)
            info.size = len(content)
            info.mtime = 0
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(content))
    return gzip.compress(raw.getvalue(), mtime=0)


def read_bundle(archive: bytes) -> dict[str, bytes]:
    """Unpack a bundle archive into name → content (names without the leading slash)."""
    try:
        raw = gzip.decompress(archive)
    except (OSError, EOFError) as exc:
        raise BundleError("bundle is not gzip-compressed") from exc
    if len(raw) > MAX_ARCHIVE_BYTES:
        raise BundleError("bundle too large")
    entries: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r") as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            handle = tar.extractfile(member)
            if handle is None:  # pragma: no cover - regular files always have a handle
                continue
            entries[member.name.lstrip("/")] = handle.read()
    return entries


def verify_bundle(archive: bytes, public_key_pem: bytes) -> dict[str, Any]:
    """Check ``.signatures.json`` against the archive's files; returns the JWT payload."""
    entries = read_bundle(archive)
    if SIGNATURES not in entries:
        raise BundleError("bundle is not signed")
    tokens = json.loads(entries.pop(SIGNATURES))["signatures"]
    if len(tokens) != 1:
        raise BundleError("expected exactly one signature")
    try:
        payload: dict[str, Any] = jwt.decode(
            tokens[0], public_key_pem, algorithms=["RS256", "ES256"]
        )
    except jwt.PyJWTError as exc:
        raise BundleError(f"bundle signature invalid: {type(exc).__name__}") from exc
    signed = {item["name"]: item["hash"] for item in payload["files"]}
    actual = {item["name"]: item["hash"] for item in file_hashes(entries)}
    if signed != actual:
        raise BundleError("bundle files do not match their signed hashes")
    return payload


def files_from_bundle(archive: bytes) -> BundleFiles:
    """The Rego modules and data of a bundle archive (e.g. to load it into an engine)."""
    entries = read_bundle(archive)
    modules = {n: c.decode() for n, c in entries.items() if n.endswith(".rego")}
    data = json.loads(entries.get(DATA_FILE, b"{}"))
    return BundleFiles(modules=modules, data=data)
