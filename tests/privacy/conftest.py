"""Builders of the privacy tests: a FinSolve store on each backend, a wired DsrService."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from audit import InMemoryAuditLog
from privacy import (
    DirectoryPackageStore,
    DsrRepository,
    DsrService,
    FileOutbox,
    KindConnectors,
    PrivacyConfig,
    VaultSealer,
)
from privacy.demo_store import create_demo_store
from tests.services import Postgres
from trustplane.db import make_engine
from trustplane.migrations.runner import upgrade
from vault import (
    AllowAllAuthorizer,
    DataKeyCache,
    FieldCipher,
    FieldContext,
    InMemoryDataKeyStore,
    KeyManager,
    LocalKeyProvider,
    Pseudonymizer,
)

REPO = Path(__file__).resolve().parents[2]
DATAMAP = REPO / "privacy" / "datamap" / "finsolve.yaml"
CUSTOMERS = 40


def pan_context(customer: str) -> FieldContext:
    return FieldContext("customers", "pan", owner_id=customer, classification=3)


@dataclass
class Vault:
    cipher: FieldCipher
    keys: KeyManager
    store: InMemoryDataKeyStore
    pseudonymizer: Pseudonymizer


class VaultShredder:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    def has_keys(self, subject_id: str) -> bool:
        return bool(self.vault.store.subject_keys("default", subject_id))

    def shred(self, subject_id: str, actor: object) -> int:
        return self.vault.keys.shred(subject_id).keys_destroyed


@pytest.fixture
def audit_log() -> InMemoryAuditLog:
    return InMemoryAuditLog()


@pytest.fixture
def vault(tmp_path: Path, audit_log: InMemoryAuditLog) -> Vault:
    provider = LocalKeyProvider(tmp_path / "keys" / "keyring.json")
    store = InMemoryDataKeyStore()
    cache = DataKeyCache()
    pseudonymizer = Pseudonymizer(b"p" * 32)
    cipher = FieldCipher(
        provider,
        store,
        audit_log,
        cache=cache,
        pseudonymizer=pseudonymizer,
        authorizer=AllowAllAuthorizer(),  # the DPO's decisions are tested over HTTP
    )
    keys = KeyManager(provider, store, audit_log, cache, key_names=["fields"])
    return Vault(cipher, keys, store, pseudonymizer)


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The FinSolve demo store on SQLite and on a real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'core.db'}"
    server: Postgres = request.getfixturevalue("postgres")
    return server.create_database("core").replace("postgresql://", "postgresql+psycopg://")


@pytest.fixture
def store(store_url: str, vault: Vault) -> Iterator[Engine]:
    engine = create_engine(store_url)
    create_demo_store(
        engine, CUSTOMERS, lambda pan, cid: vault.cipher.encrypt(pan, pan_context(cid))
    )
    yield engine
    engine.dispose()


@pytest.fixture
def tp_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'trustplane.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def datamap_text(url: str) -> str:
    return DATAMAP.read_text().replace("sqlite:///.trustplane-data/demo/finsolve-core.db", url)


def plain_map(url: str) -> str:
    """The FinSolve map without encrypted fields, shredding or manual systems."""
    text = datamap_text(url).replace("encrypted: true, on_erasure: shred", "on_erasure: nullify")
    return text[: text.index("  - name: support_desk")]


@pytest.fixture
def service(
    tp_engine: Engine, tmp_path: Path, audit_log: InMemoryAuditLog, vault: Vault
) -> DsrService:
    return DsrService(
        DsrRepository(tp_engine),
        audit_log,
        FileOutbox(tmp_path / "outbox"),
        KindConnectors(),
        DirectoryPackageStore(tmp_path / "packages"),
        PrivacyConfig(hash_key=b"h" * 32, link_key=b"l" * 32),
        sealer=VaultSealer(vault.cipher),
        decrypter=vault.cipher,
        pseudonymize=vault.pseudonymizer.token,
        shredder=VaultShredder(vault),
    )
