"""Audit log benchmark: durable appends/s, whole-log verification rate, proof latency.

1. Durable appends/s on SQLite and PostgreSQL with 1, 4 and 16 concurrent writer threads
   in one process (every ``record()`` returns only after its group commit is durable:
   SQLite WAL + synchronous=FULL, PostgreSQL fsync=on / synchronous_commit=on). Baseline
   measured in the same run: one transaction per event (no group commit), 1 writer. On
   PostgreSQL the database alone is measured too (pgbench, 1/4/16 clients, one row per
   durable commit): a writer that waits for its commit can append at most one event per
   fsync, so with N writers that rate is the yardstick the disk sets for ``record()``.
   And the database alone doing the log's own work (pgbench, 16 clients, 100 event rows
   into copies of the audit tables with every index, plus the head row, per commit): the
   ceiling for any writer on this machine before it spends anything of its own.
   ``record_many(100)`` shows the same log when callers batch (e.g. decision-log uploads).
   Tree heads signed by OpenBao transit instead of the key file (ADR 0108): events/s at 16
   writers with each signer, alternating (``--skip-openbao`` leaves it out,
   ``--signing-only`` runs nothing else).
   Like a server worker (``trustplane.app.app_from_env``), the process freezes its startup
   heap before measuring (``trustplane.heap``, ADR 0006).
2. Verification rate over N (default 1,000,000) events: the N leaves are constructed
   directly (canonical event bytes from a template, tree rows from TreeBuilder, bulk
   inserted into SQLite) instead of recording N events through the API; then the real
   ``verify()`` re-reads and re-hashes all of them and checks the checkpoint: once in one
   process (the baseline) and once in segments side by side, one process per CPU.
3. Inclusion and consistency proof latency at N events (O(log n) row reads each).

PostgreSQL: a throwaway cluster is started (tests/services.py) unless --pg-url is given.
The machine has 2 cores shared with other work: figures are a floor.

    .venv/bin/python bench/audit_log.py [--seconds 3] [--events 1000000] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from audit import (  # noqa: E402
    AuditEventIn,
    AuditLog,
    EventType,
    Target,
    TransitNoteSigner,
    build_audit_log,
    transit_client,
)
from audit.merkle import TreeBuilder, leaf_hash, verify_consistency, verify_inclusion  # noqa: E402
from audit.note import CheckpointBody, NoteSigner  # noqa: E402
from audit.ports import CheckpointSigner  # noqa: E402
from audit.verify import available_cpus  # noqa: E402
from trustplane.db import make_engine  # noqa: E402
from trustplane.heap import freeze_startup_heap  # noqa: E402
from trustplane.migrations.runner import upgrade  # noqa: E402

ORIGIN = "bench.trustplane.example/audit"
HMAC_KEY = hashlib.sha256(b"bench hmac key").digest()
SIGNING_KEY = Ed25519PrivateKey.generate()


def new_log(engine: Engine, signer: CheckpointSigner | None = None) -> AuditLog:
    key = None if signer is not None else SIGNING_KEY
    return build_audit_log(
        engine, hmac_key=HMAC_KEY, signing_key=key, signer=signer, origin=ORIGIN,
        checkpoint_every_events=10_000, checkpoint_every_seconds=60,
    )  # fmt: skip


def sample_event(i: int) -> AuditEventIn:
    return AuditEventIn(
        type=EventType.DECISION,
        target=Target(type="customer_profile", id=f"c-{i}"),
        details={"allow": True, "policy_revision": "r-42", "email": f"user{i}@example.in"},
    )


class _UnsignedHeads:
    """Bench only: a signer whose per-commit head note is a constant (no Ed25519), to
    measure what signing every tree head costs (ADR 0107) against the same run."""

    NOTE = "unsigned\n"

    def __init__(self, real: CheckpointSigner) -> None:
        self.name, self.verifier = real.name, real.verifier

    def sign(self, body: str) -> str:
        return self.NOTE


def appends_per_second(
    engine: Engine,
    writers: int,
    seconds: float,
    per_call: int = 1,
    *,
    unsigned: bool = False,
    signer: CheckpointSigner | None = None,
) -> tuple[float, float]:
    """(events/s, p99 call latency ms): ``writers`` threads calling record() in a loop
    (or record_many() with ``per_call`` events, as a batching shipper would)."""
    log = new_log(engine, signer)
    if unsigned:  # on its own database: the constant note is (rightly) refused elsewhere
        log.signer = _UnsignedHeads(log.signer)
        log._last_signed = _UnsignedHeads.NOTE
    freeze_startup_heap()  # as a server worker does after startup (trustplane.app)
    stop = time.monotonic() + seconds
    counts = [0] * writers
    latencies: list[list[float]] = [[] for _ in range(writers)]

    def work(w: int) -> None:
        i = 0
        while time.monotonic() < stop:
            started = time.perf_counter()
            if per_call == 1:
                log.record(sample_event(w * 10_000_000 + i))
            else:
                log.record_many([sample_event(w * 10_000_000 + i + k) for k in range(per_call)])
            latencies[w].append(time.perf_counter() - started)
            i += per_call
        counts[w] = i

    threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began
    log.close()
    gc.unfreeze()
    every = sorted(x for lat in latencies for x in lat)
    p99 = every[int(len(every) * 0.99) - 1] * 1000 if every else 0.0
    return sum(counts) / elapsed, p99


def one_commit_per_event(engine: Engine, seconds: float) -> float:
    """Baseline: the same append path, but one transaction (one fsync) per event."""
    log = new_log(engine)
    log.close()  # use the commit function directly, no writer thread
    from audit.prepare import prepare

    stop = time.monotonic() + seconds
    n = 0
    began = time.monotonic()
    while time.monotonic() < stop:
        log._commit([prepare(sample_event(n), log.redactor, datetime.now(UTC))])
        n += 1
    return n / (time.monotonic() - began)


def _pgbench() -> Path | None:
    from tests.services import PG_BIN

    pgbench = PG_BIN / "pgbench"
    return pgbench if pgbench.exists() else None


def _pgbench_tps(
    pgbench: Path, dsn: str, script_text: str, clients: int, seconds: float
) -> float | None:
    """Transactions/s of pgbench running ``script_text`` on ``clients`` connections."""
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as script:
        script.write(script_text)
        script.flush()
        argv = [str(pgbench), "-n", "-f", script.name, "-c", str(clients), "-j", "2"]
        argv += ["-T", str(max(1, round(seconds))), dsn]
        done = subprocess.run(argv, capture_output=True, text=True, check=True)
    found = re.search(r"^tps = ([0-9.]+)", done.stdout, re.MULTILINE)
    return float(found.group(1)) if found else None


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def database_commits_per_second(url: str, clients: int, seconds: float) -> float | None:
    """The database's own durable commit rate: pgbench, ``clients`` connections, each
    transaction one INSERT of a ~400-byte row (no trustplane, no Python, no Merkle tree).

    With ``clients`` callers that each wait for their commit, no log can make more than
    about this many single-event appends durable per second on this disk: it is the
    yardstick for ``record()`` with that many writers. None when pgbench is missing.
    """
    dsn = _dsn(url)
    pgbench = _pgbench()
    if pgbench is None:
        return None
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_raw_commit")
        conn.execute("CREATE TABLE bench_raw_commit (id bigserial PRIMARY KEY, data bytea)")
    script = "INSERT INTO bench_raw_commit (data) VALUES (decode(repeat('ab', 400), 'hex'));\n"
    return _pgbench_tps(pgbench, dsn, script, clients, seconds)


def database_batch_rows_per_second(
    url: str, clients: int, per_commit: int, seconds: float
) -> float | None:
    """The database alone at the log's own work: pgbench, ``clients`` connections, each
    transaction ``per_commit`` rows into copies of ``audit_event`` (every index) and
    ``audit_tree``, generated by the server from one statement each, plus the head row's
    update that serializes appends. No Python, no hashing, no network per row: whatever
    our writer spends per event comes on top of this on the same CPUs. None without pgbench.
    """
    dsn = _dsn(url)
    pgbench = _pgbench()
    if pgbench is None:
        return None
    tables = ("bench_event", "bench_tree", "bench_head")
    with psycopg.connect(dsn, autocommit=True) as conn:
        for table, model in zip(tables, ("audit_event", "audit_tree", "audit_head"), strict=True):
            conn.execute(f"CREATE TABLE {table} (LIKE {model} INCLUDING ALL)")
        conn.execute("INSERT INTO bench_head SELECT * FROM audit_head")
        conn.execute(f"CREATE SEQUENCE bench_seq INCREMENT BY {per_commit} MINVALUE 0 START 0")
    rows = f"generate_series(:first, :first + {per_commit - 1}) s"
    script = (
        "BEGIN;\n"
        "SELECT nextval('bench_seq') AS first \\gset\n"
        "INSERT INTO bench_event SELECT s, md5(s::text), now(), 'decision', 'success', "
        "'svc-payments', 'customer_profile', 'c-' || s, 'req-' || s, "
        f"decode(repeat('ab', 400), 'hex') FROM {rows};\n"
        f"INSERT INTO bench_tree SELECT s, decode(repeat('cd', 48), 'hex') FROM {rows};\n"
        f"UPDATE bench_head SET tree_size = tree_size + {per_commit} WHERE id = 1;\n"
        "COMMIT;\n"
    )
    try:
        tps = _pgbench_tps(pgbench, dsn, script, clients, seconds)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS bench_event, bench_tree, bench_head")
            conn.execute("DROP SEQUENCE IF EXISTS bench_seq")
    return None if tps is None else tps * per_commit


def bench_appends(name: str, url_factory: object, seconds: float) -> None:
    assert callable(url_factory)
    url = url_factory()
    engine = make_engine(url)
    upgrade(engine)
    base = one_commit_per_event(engine, seconds)
    print(f"  {name:<10} baseline: 1 writer, 1 transaction per event   : {base:>9,.0f} events/s")
    peers: dict[int, float | None] = {}
    if engine.dialect.name == "postgresql":
        rows = database_batch_rows_per_second(url, 16, 100, seconds)
        if rows is not None:
            print(
                f"  {name:<10} database alone, audit schema: pgbench, 16 clients, 100 events "
                f"+ head/commit: {rows:>9,.0f} events/s"
            )
        for clients in (1, 4, 16):
            peers[clients] = rate = database_commits_per_second(url, clients, seconds)
            if rate is not None:
                print(
                    f"  {name:<10} database alone: pgbench, {clients:>2} clients, 1 row/commit: "
                    f"{rate:>9,.0f} commits/s"
                )
    for writers in (1, 4, 16):
        rate, p99 = appends_per_second(engine, writers, seconds)
        peer = peers.get(writers)
        versus = f", x{rate / peer:,.2f} pgbench" if peer else ""
        print(
            f"  {name:<10} group commit, {writers:>2} writers, record()        : "
            f"{rate:>9,.0f} events/s  (x{rate / base:,.1f} baseline{versus}, "
            f"call p99 {p99:.1f} ms)"
        )
    signed_rates: list[float] = []
    unsigned_rates: list[float] = []
    stub_engine = make_engine(url_factory())
    upgrade(stub_engine)
    for _ in range(2):  # alternate, so a slower stretch of the shared machine hits both
        signed_rates.append(appends_per_second(engine, 16, seconds / 2)[0])
        unsigned_rates.append(appends_per_second(stub_engine, 16, seconds / 2, unsigned=True)[0])
    stub_engine.dispose()
    signed, unsigned = statistics.mean(signed_rates), statistics.mean(unsigned_rates)
    print(
        f"  {name:<10} signed tree head per commit, 16 writers: {signed:>9,.0f} events/s vs "
        f"{unsigned:,.0f} unsigned (bench-only stub): cost {(1 - signed / unsigned) * 100:.1f} % "
        "(goal < 10 %)"
    )
    for writers in (1, 4, 16):
        rate, p99 = appends_per_second(engine, writers, seconds, per_call=100)
        print(
            f"  {name:<10} group commit, {writers:>2} writers, record_many(100): "
            f"{rate:>9,.0f} events/s  (x{rate / base:,.1f} baseline, call p99 {p99:.1f} ms)"
        )
    engine.dispose()


# --- 1M-event log built directly --------------------------------------------------------

TEMPLATE = (
    '{{"actor":{{"id":"svc-payments","kind":"service","roles":["service"]}},'
    '"details":{{"allow":true,"email":"hmac-sha256:{h}","policy_revision":"r-42"}},'
    '"id":"{uid}","origin":{{"ip":null,"request_id":"req-{i}","service":"trustplane"}},'
    '"outcome":"success","seq":{i},"target":{{"id":"c-{i}","type":"customer_profile"}},'
    '"time":"2026-11-25T10:00:00.000000Z","type":"decision"}}'
)


def build_big_log(path: Path, n: int) -> Engine:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")  # bulk load only; the benchmark reads afterwards
    builder = TreeBuilder()
    chunk = 100_000
    for start in range(0, n, chunk):
        events = []
        tree = []
        for i in range(start, min(start + chunk, n)):
            data = TEMPLATE.format(
                i=i, h=hashlib.sha256(str(i).encode()).hexdigest(), uid=f"{i:032x}"
            ).encode()
            tree.append((i, builder.append(leaf_hash(data))))
            events.append(
                (i, f"{i:032x}", "2026-11-25 10:00:00.000000", "decision", "success",
                 "svc-payments", "customer_profile", f"c-{i}", f"req-{i}", data)
            )  # fmt: skip
        conn.executemany("INSERT INTO audit_event VALUES (?,?,?,?,?,?,?,?,?,?)", events)
        conn.executemany("INSERT INTO audit_tree VALUES (?,?)", tree)
    root = builder.root()
    note = NoteSigner(ORIGIN, SIGNING_KEY).sign(CheckpointBody(ORIGIN, n, root).encode())
    conn.execute(
        "INSERT INTO audit_checkpoint VALUES (?,?,?,?)", (n, root, "2026-11-25 10:00:00", note)
    )
    conn.execute(
        "UPDATE audit_head SET tree_size=?, frontier=?, checkpoint_size=? WHERE id=1",
        (n, b"".join(builder.frontier), n),
    )
    conn.commit()
    conn.close()
    return make_engine(url)


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    return f"p50 {p50:.2f} ms, p99 {p99:.2f} ms"


def bench_big(n: int, workdir: Path) -> None:
    began = time.monotonic()
    engine = build_big_log(workdir / "big.db", n)
    print(
        f"  built {n:,} leaves directly (not through record()) in {time.monotonic() - began:.1f} s"
    )
    log = new_log(engine)
    rates: dict[int, float] = {}
    for workers in (1, available_cpus()):
        began = time.monotonic()
        report = log.verify(workers=workers)
        elapsed = time.monotonic() - began
        assert report.ok, report.problems
        assert report.events_checked == n
        rates[workers] = n / elapsed
        print(
            f"  verify(workers={workers}): {n:,} events re-read, re-hashed, tree rebuilt, "
            f"checkpoint checked in {elapsed:.2f} s = {n / elapsed:,.0f} events/s"
        )
    print(f"  segments side by side vs one walk: {max(rates.values()) / rates[1]:.2f}x")
    rng = random.Random(7)
    root = log.root(n)
    inclusion: list[float] = []
    consistency: list[float] = []
    for _ in range(300):
        index = rng.randrange(n)
        started = time.perf_counter()
        proof = log.inclusion_proof(index, n)
        inclusion.append(time.perf_counter() - started)
        assert verify_inclusion(index, n, proof.leaf_hash, proof.hashes, root)
        first = rng.randrange(1, n)
        started = time.perf_counter()
        cons = log.consistency_proof(first, n)
        consistency.append(time.perf_counter() - started)
        assert verify_consistency(first, n, log.root(first), root, cons.hashes)
    print(f"  inclusion proof at {n:,}: {percentiles(inclusion)} (each verified)")
    print(f"  consistency proof at {n:,}: {percentiles(consistency)} (each verified)")
    log.close()
    engine.dispose()


def transit_signing_cost(url_factory: Any, seconds: float) -> None:
    """Tree heads signed by OpenBao transit (ADR 0108) against the key file, 16 writers,
    alternating on fresh SQLite files: what the round trip per commit costs."""
    from tests.services import start_openbao

    server = start_openbao()
    try:
        client = transit_client(server.url, token=server.env["token"])
        client.sys.enable_secrets_engine("transit", path="bench-transit")
        transit = TransitNoteSigner(
            ORIGIN, client, "bench-audit", mount_point="bench-transit", create=True
        )
        local: list[float] = []
        remote: list[float] = []
        for _ in range(2):
            for rates, signer in ((local, None), (remote, transit)):
                engine = make_engine(url_factory())
                upgrade(engine)
                rates.append(appends_per_second(engine, 16, seconds / 2, signer=signer)[0])
                engine.dispose()
        file_rate, transit_rate = statistics.mean(local), statistics.mean(remote)
        print(
            f"  SQLite     tree heads signed in OpenBao transit, 16 writers: "
            f"{transit_rate:>9,.0f} events/s vs {file_rate:,.0f} with the key file: "
            f"cost {(1 - transit_rate / file_rate) * 100:.1f} % (goal < 10 %)"
        )
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per append configuration")
    parser.add_argument("--events", type=int, default=1_000_000, help="size of the big log")
    parser.add_argument("--pg-url", default=None, help="PostgreSQL URL (else a throwaway one)")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-openbao", action="store_true", help="no transit signing figure")
    parser.add_argument(
        "--signing-only", action="store_true", help="only the OpenBao transit signing figure"
    )
    args = parser.parse_args()
    print("audit benchmark (2 shared cores; figures are a floor)")
    with tempfile.TemporaryDirectory(prefix="tp-bench-audit-") as tmp:
        workdir = Path(tmp)
        counter = iter(range(1000))
        files = lambda: f"sqlite:///{workdir}/signing-{next(counter)}.db"  # noqa: E731
        if not args.skip_openbao:
            transit_signing_cost(files, args.seconds)
        if args.signing_only:
            return
        print("durable appends (record() returns after commit):")
        counter = iter(range(1000))
        bench_appends(
            "SQLite", lambda: f"sqlite:///{workdir}/appends-{next(counter)}.db", args.seconds
        )
        if not args.skip_postgres:
            server = None
            if args.pg_url:
                pg_url = args.pg_url
                factory = lambda: pg_url  # noqa: E731
            else:
                from tests.services import start_postgres

                server = start_postgres()
                factory = server.create_database
            try:
                bench_appends("PostgreSQL", factory, args.seconds)
            finally:
                if server is not None:
                    server.stop()
        print(f"verification and proofs at {args.events:,} events (SQLite):")
        bench_big(args.events, workdir)


if __name__ == "__main__":
    main()
