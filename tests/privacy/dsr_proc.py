"""A DSR worker for the SIGKILL test: executes access requests from a few threads and prints
``<request id> <package sha256>`` once each ``execute`` has returned (acknowledged).

    python -m tests.privacy.dsr_proc TP_URL STORE_URL DATA_DIR THREADS CUSTOMERS
"""

from __future__ import annotations

import itertools
import sys
import threading
from pathlib import Path

from audit import Actor
from privacy import (
    DirectoryPackageStore,
    DsrRepository,
    DsrService,
    FileOutbox,
    KindConnectors,
    PrivacyConfig,
    VaultSealer,
)
from privacy.demo_store import customer_email
from trustplane.db import make_engine
from trustplane.migrations.runner import upgrade
from trustplane.settings import Settings
from trustplane.wiring.audit import build_audit
from vault import (
    AllowAllAuthorizer,
    FieldCipher,
    InMemoryDataKeyStore,
    LocalKeyProvider,
    Pseudonymizer,
)

DPO = Actor(id="u-dpo", kind="user", roles=("dpo",))


def build(tp_url: str, data_dir: Path) -> DsrService:
    """The service on the real, durable audit log (trustplane's own wiring of it)."""
    engine = make_engine(tp_url)
    upgrade(engine)
    audit = build_audit(Settings(data_dir=data_dir, database_url=tp_url), engine)
    cipher = FieldCipher(
        LocalKeyProvider(data_dir / "keys" / "keyring.json"),
        InMemoryDataKeyStore(),
        audit,
        authorizer=AllowAllAuthorizer(),
    )
    return DsrService(
        DsrRepository(engine),
        audit,
        FileOutbox(data_dir / "outbox"),
        KindConnectors(),
        DirectoryPackageStore(data_dir / "packages"),
        PrivacyConfig(hash_key=b"h" * 32, link_key=b"l" * 32),
        sealer=VaultSealer(cipher),
        pseudonymize=Pseudonymizer(b"p" * 32).token,
    )


def main() -> None:
    tp_url, _store_url, data_dir, threads, customers = sys.argv[1:6]
    service = build(tp_url, Path(data_dir))
    indexes = itertools.count(1)
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                index = next(indexes)
            if index > int(customers):
                return
            request = service.create(
                "access", {"email": customer_email(index)}, send_code=False, actor=DPO
            )
            service.attest(request.id, "checked on a call", DPO)
            done = service.execute(request.id, DPO).request
            with lock:
                print(request.id, done.package_sha256, flush=True)

    workers = [threading.Thread(target=work) for _ in range(int(threads))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


if __name__ == "__main__":
    main()
