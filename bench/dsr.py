"""DSR benchmark: one principal's access and erasure over 1M customers / 20M transactions.

A throwaway PostgreSQL (tests/services.py; or --pg-url) holds the FinSolve store generated
server-side with generate_series, with the indexes the data map implies (the key columns:
customers.email, customers.phone, transactions.customer_id, marketing_preferences.customer_id).
trustplane's own state (requests, audit log) is a second database on the same server, so
the workflow pays its real costs: the durable audit events of every step, the request rows,
the access package (zip) on disk.

What is measured. The workflow side is ``DsrService.execute`` called in-process (the
service, not HTTP): for access the execution of a verified request (connector reads, the
access package built, written and fsynced, the request completed); for erasure the
execution of an approved request (the store's erasure transaction, the request completed).
Each execution's steps are one durable audit append (one group commit) and one transaction
on trustplane's own database (ADR 0605). The floors, in the same run:
  direct SQL — the same statements written by hand, run directly with psycopg:
    access  — SELECT the customer by email, their transactions and preferences via customer id;
    erasure — in one transaction: read the rows (the certificate counts them), DELETE the
              preferences, NULL the personal columns, pseudonymize the email;
  durable append — one event recorded in the audit log (its fsynced group commit), the
    cost the workflow cannot drop: the figure "SQL + append" is the second floor;
  commit — one durable single-row commit on trustplane's database (the request's own
    transaction is one such commit): "SQL + append + commit" is the third floor.
The ratios (medians) are workflow / direct SQL (goal within 1.5x), workflow / (direct SQL +
one durable append) and workflow / (direct SQL + append + commit). PAN is plain here (no
vault decrypts): the comparison is about what the databases must do. Then 100 access
requests run concurrently (32 threads) through the workflow.

    .venv/bin/python bench/dsr.py [--customers 1000000] [--tx-per-customer 20] [--samples 15]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from audit import Actor, AuditEventIn, EventType, Target  # noqa: E402
from privacy import (  # noqa: E402
    DirectoryPackageStore,
    DsrRepository,
    DsrService,
    FileOutbox,
    KindConnectors,
    PrivacyConfig,
    VaultSealer,
)
from trustplane.db import make_engine  # noqa: E402
from trustplane.migrations.runner import upgrade  # noqa: E402
from trustplane.settings import Settings  # noqa: E402
from trustplane.wiring.audit import build_audit  # noqa: E402
from vault import (  # noqa: E402
    AllowAllAuthorizer,
    FieldCipher,
    InMemoryDataKeyStore,
    LocalKeyProvider,
    Pseudonymizer,
)

DPO = Actor(id="bench-dpo", kind="user", roles=("dpo",))

DATAMAP = """\
systems:
  - name: core_banking
    kind: sql
    url: {url}
    tables:
      - name: customers
        key: {{column: email, identifier: email}}
        subject_column: id
        fields:
          - {{column: email, category: contact, classification: 3, on_erasure: pseudonymize}}
          - {{column: phone, category: contact, classification: 3}}
          - {{column: full_name, category: identity, classification: 3}}
          - {{column: date_of_birth, category: identity, classification: 3}}
          - {{column: pan, category: government_id, classification: 3}}
          - {{column: city, category: identity, classification: 2}}
        on_erasure: nullify
      - name: transactions
        key: {{column: customer_id, via: customers.id}}
        fields:
          - {{column: amount, category: financial.account, classification: 3}}
          - {{column: merchant, category: behavioural, classification: 2}}
          - {{column: created_at, category: financial.account, classification: 2}}
        on_erasure:
          {{action: retain, reason: "RBI KYC Master Direction", until: "relationship_end + 5y"}}
      - name: marketing_preferences
        key: {{column: customer_id, via: customers.id}}
        fields:
          - {{column: channel, category: behavioural, classification: 2}}
          - {{column: opted_in, category: behavioural, classification: 2}}
        on_erasure: delete
"""

SCHEMA = """
CREATE TABLE customers (id text PRIMARY KEY, email text, phone text, full_name text,
  date_of_birth date, pan text, city text);
CREATE TABLE transactions (id bigint PRIMARY KEY, customer_id text NOT NULL,
  amount numeric(14,2) NOT NULL, merchant text, created_at timestamptz NOT NULL);
CREATE TABLE marketing_preferences (id bigint PRIMARY KEY, customer_id text NOT NULL,
  channel text NOT NULL, opted_in boolean NOT NULL);
"""
CID = "'C' || lpad(({expr})::text, 7, '0')"


def generate(dsn: str, customers: int, per_customer: int) -> float:
    started = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SCHEMA)
        conn.execute(
            f"""INSERT INTO customers SELECT {CID.format(expr="g")},
                'customer' || g || '@example.in', '+9198' || lpad(g::text, 8, '0'),
                'Customer ' || g, date '1960-01-01' + (g % 18000),
                'ABCDE' || lpad((g % 10000)::text, 4, '0') || 'F',
                (ARRAY['Bengaluru','Mumbai','Pune','Chennai','Delhi'])[1 + g % 5]
              FROM generate_series(1, {customers}) g"""
        )
        conn.execute(
            f"""INSERT INTO transactions SELECT g, {CID.format(expr=f"1 + g % {customers}")},
                (g % 500000) / 100.0, 'merchant ' || (g % 97),
                timestamptz '2025-01-01' + make_interval(secs => g)
              FROM generate_series(1, {customers * per_customer}) g"""
        )
        conn.execute(
            f"""INSERT INTO marketing_preferences SELECT g, {CID.format(expr="g")}, 'email',
                g % 3 = 0 FROM generate_series(1, {customers}) g"""
        )
        for statement in (
            "CREATE INDEX ix_customers_email ON customers (email)",
            "CREATE INDEX ix_customers_phone ON customers (phone)",
            "CREATE INDEX ix_transactions_customer ON transactions (customer_id)",
            "CREATE INDEX ix_preferences_customer ON marketing_preferences (customer_id)",
            "VACUUM ANALYZE",
        ):
            conn.execute(statement)
    return time.perf_counter() - started


def direct_access(conn: psycopg.Connection, email: str) -> int:
    rows = conn.execute(
        "SELECT id, email, phone, full_name, date_of_birth, pan, city FROM customers"
        " WHERE email = %s",
        (email,),
    ).fetchall()
    rows += conn.execute(
        "SELECT customer_id, amount, merchant, created_at, id FROM transactions WHERE"
        " customer_id IN (SELECT id FROM customers WHERE email = %s)",
        (email,),
    ).fetchall()
    rows += conn.execute(
        "SELECT customer_id, channel, opted_in, id FROM marketing_preferences WHERE"
        " customer_id IN (SELECT id FROM customers WHERE email = %s)",
        (email,),
    ).fetchall()
    return len(rows)


def direct_erasure(conn: psycopg.Connection, email: str, pseudonym: str) -> None:
    sub = "customer_id IN (SELECT id FROM customers WHERE email = %s)"
    with conn.transaction():
        conn.execute(f"SELECT id FROM transactions WHERE {sub}", (email,)).fetchall()
        conn.execute(f"SELECT id FROM marketing_preferences WHERE {sub}", (email,)).fetchall()
        conn.execute(f"DELETE FROM marketing_preferences WHERE {sub}", (email,))
        row = conn.execute("SELECT id, email FROM customers WHERE email = %s", (email,)).fetchone()
        conn.execute(
            "UPDATE customers SET phone = NULL, full_name = NULL, date_of_birth = NULL,"
            " pan = NULL, city = NULL WHERE email = %s",
            (email,),
        )
        if row is not None:
            conn.execute("UPDATE customers SET email = %s WHERE id = %s", (pseudonym, row[0]))


def build_service(tp_url: str, workdir: Path) -> DsrService:
    settings = Settings(data_dir=workdir, database_url=tp_url)
    engine = make_engine(tp_url)
    upgrade(engine)
    audit = build_audit(settings, engine)
    pseudonymizer = Pseudonymizer(b"b" * 32)
    cipher = FieldCipher(
        LocalKeyProvider(workdir / "keys" / "keyring.json"),
        InMemoryDataKeyStore(),
        audit,
        authorizer=AllowAllAuthorizer(),  # the bench measures the workflow, not decisions
    )
    return DsrService(
        DsrRepository(engine),
        audit,
        FileOutbox(workdir / "outbox"),
        KindConnectors(),
        DirectoryPackageStore(workdir / "packages"),
        PrivacyConfig(hash_key=b"h" * 32, link_key=b"l" * 32),
        sealer=VaultSealer(cipher),
        pseudonymize=pseudonymizer.token,
    )


def verified(service: DsrService, kind: str, index: int) -> str:
    request = service.create(
        kind, {"email": f"customer{index}@example.in"}, send_code=False, actor=DPO
    )
    service.attest(request.id, "bench", DPO)
    return request.id


def append_one(service: DsrService) -> None:
    event = AuditEventIn(
        type=EventType.DSR_STEP,
        actor=DPO,
        target=Target(type="dsr", id="bench-floor"),
        details={"action": "bench.floor"},
    )
    service.audit.record(event)


def commit_one(conn: psycopg.Connection) -> None:
    conn.execute("INSERT INTO bench_commit (at) VALUES (now())")  # autocommit: durable


def timed(work: Callable[..., object], *args: object) -> float:
    started = time.perf_counter()
    work(*args)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--tx-per-customer", type=int, default=20)
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--concurrent", type=int, default=100)
    parser.add_argument("--pg-url", help="an empty PostgreSQL server URL (default: throwaway)")
    args = parser.parse_args()

    server = None
    if args.pg_url:
        base = args.pg_url.rstrip("/")
        with psycopg.connect(base.replace("+psycopg", "") + "/postgres", autocommit=True) as c:
            c.execute("CREATE DATABASE dsr_store")
            c.execute("CREATE DATABASE dsr_tp")
        store_url, tp_url = f"{base}/dsr_store", f"{base}/dsr_tp"
    else:
        from tests.services import start_postgres

        server = start_postgres()
        store_url, tp_url = server.create_database("store"), server.create_database("tp")
    dsn = store_url.replace("postgresql+psycopg://", "postgresql://")
    try:
        total = args.customers * args.tx_per_customer
        print(f"generating {args.customers:,} customers, {total:,} transactions", flush=True)
        seconds = generate(dsn, args.customers, args.tx_per_customer)
        print(f"  generated and indexed in {seconds:.0f} s", flush=True)
        workdir = Path(tempfile.mkdtemp(prefix="tp-bench-dsr-"))
        service = build_service(tp_url, workdir)
        service.load_datamap(DATAMAP.format(url=store_url), DPO)
        step = max(1, args.customers // (4 * args.samples + args.concurrent + 8))
        picks = iter(range(7, args.customers, step))
        pseudonymizer = Pseudonymizer(b"b" * 32)
        tp_dsn = tp_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn) as conn, psycopg.connect(tp_dsn, autocommit=True) as tp_conn:
            tp_conn.execute("CREATE TABLE bench_commit (id bigserial PRIMARY KEY, at timestamptz)")
            # warm both paths once (connections, plans, reflection)
            direct_access(conn, "customer1@example.in")
            service.execute(verified(service, "access", 2), DPO)
            workflow_access, hand_access, workflow_erasure, hand_erasure = [], [], [], []
            appends: list[float] = []
            tp_commits: list[float] = []
            for _ in range(args.samples):
                index = next(picks)
                dsr_id = verified(service, "access", index)
                workflow_access.append(timed(service.execute, dsr_id, DPO))
                other = f"customer{next(picks)}@example.in"
                hand_access.append(timed(direct_access, conn, other))
                erase_id = verified(service, "erasure", next(picks))
                service.execute(erase_id, DPO)
                service.approve(erase_id, DPO)
                workflow_erasure.append(timed(service.execute, erase_id, DPO))
                email = f"customer{next(picks)}@example.in"
                pseudonym = pseudonymizer.token(email, "email")
                hand_erasure.append(timed(direct_erasure, conn, email, pseudonym))
                appends.append(timed(append_one, service))
                tp_commits.append(timed(commit_one, tp_conn))

        append, commit = statistics.median(appends), statistics.median(tp_commits)
        print(f"durable audit append alone {append * 1000:.2f} ms, one commit on trustplane's"
              f" database {commit * 1000:.2f} ms (medians of {len(appends)})")  # fmt: skip

        def report(name: str, workflow: list[float], hand: list[float]) -> None:
            w, h = statistics.median(workflow), statistics.median(hand)
            print(f"{name:<8} workflow {w * 1000:8.2f} ms   direct SQL {h * 1000:8.2f} ms   "
                  f"ratio to SQL {w / h:5.2f}x   to SQL + one append {w / (h + append):5.2f}x   "
                  f"to SQL + append + commit {w / (h + append + commit):5.2f}x")  # fmt: skip

        report("access", workflow_access, hand_access)
        report("erasure", workflow_erasure, hand_erasure)

        ids = [verified(service, "access", next(picks)) for _ in range(args.concurrent)]
        latencies: list[float] = []

        def one(dsr_id: str) -> None:
            latencies.append(timed(service.execute, dsr_id, DPO))

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=32) as pool:
            list(pool.map(one, ids))
        wall = time.perf_counter() - started
        latencies.sort()
        p95 = latencies[int(len(latencies) * 0.95) - 1]
        print(f"{args.concurrent} concurrent access requests (32 threads): {wall:.2f} s wall, "
              f"{args.concurrent / wall:.1f} req/s, "
              f"p50 {statistics.median(latencies) * 1000:.0f} ms, "
              f"p95 {p95 * 1000:.0f} ms")  # fmt: skip
        done = sum(1 for i in ids if service.get(i).state.value == "completed")
        print(f"  {done}/{len(ids)} completed")
        closer = getattr(service.audit, "close", None)
        if callable(closer):
            closer()  # before the throwaway server stops under the log's idle tasks
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
