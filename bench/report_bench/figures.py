"""Reports benchmark: bundle generation, offline bundle verification, PDF of a big report.

1. Bundle generation for N items (default 10,000) of evidence in a log of M events (default
   1,000,000): the log is built directly in SQLite (canonical event bytes from templates,
   tree rows from TreeBuilder, one evidence_collected event every M/N events, the others
   decisions; a signed checkpoint at M) and the N items are put in a local evidence store;
   then the real ``select_evidence`` + ``write_bundle`` (read the log through its type index,
   read and re-hash each item, write the zip, record the manifest event, checkpoint, one
   read of the proof nodes for every listed event). Baseline in the same run: the same files
   written into a zip with ``zipfile`` alone (evidence added from the store's files, the
   rest from memory, each member with the compression the bundle gave it: stored when
   under 2 KiB or already compressed, else deflate level 1). Goal: within 3x.
2. ``bundle verify`` events/s (offline: every file hash, every inclusion proof, the
   checkpoint's signature) as a ratio to ``audit verify`` events/s over the whole log in one
   process (the log's own offline re-hash). Goal: at least 0.5x. Beside it, in the same run,
   the floor: the byte work alone any verifier of this layout must do (inflate, CRC-32,
   SHA-256 of every file and of each node of the union of the proof paths, base64, hex and
   JSON decoding), each step in one C call per item with no check around it.
3. PDF report time for a framework report with F findings (default 10,000): assemble,
   HTML (Jinja2), then the PDF from Chromium's print (Playwright) and from WeasyPrint.

The machine has 2 cores shared with other work: figures are a floor.

    .venv/bin/python bench/reports.py [--events 1000000] [--items 10000] [--findings 10000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from isal import isal_zlib  # noqa: E402
from pybase64 import b64decode  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from audit import (  # noqa: E402
    AuditLog,
    CheckpointBody,
    NoteVerifier,
    build_audit_log,
    leaf_hash,
)
from audit.merkle import TreeBuilder  # noqa: E402
from audit.note import NoteSigner  # noqa: E402
from controls import (  # noqa: E402
    Catalog,
    ControlPosture,
    EvidenceMeta,
    Finding,
    FindingStatus,
    FrameworkPosture,
    LocalEvidenceStore,
    PostureSnapshot,
    StoredFinding,
    load_catalog,
)
from controls.posture import all_control_postures, framework_posture  # noqa: E402
from reports import Window, parse_key, select_evidence, verify_bundle, write_bundle  # noqa: E402
from reports.bundle.gcpause import collector_paused  # noqa: E402
from reports.bundle.verify import BundleReport, _check_checkpoint, _check_events  # noqa: E402
from reports.errors import RendererUnavailableError  # noqa: E402
from reports.framework.model import assemble  # noqa: E402
from reports.framework.pdf import (  # noqa: E402
    ChromiumRenderer,
    PdfRenderer,
    WeasyPrintRenderer,
)
from reports.framework.render import render_html  # noqa: E402
from trustplane.db import make_engine  # noqa: E402
from trustplane.migrations.runner import upgrade  # noqa: E402

ORIGIN = "bench.example/audit"
VERIFY_RUNS, AUDIT_RUNS = 5, 2
SIGNING_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(40, 72)))
WINDOW = Window(datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 27, tzinfo=UTC))
STORED = "2026-11-26 10:00:00.000000"
DECISION = (
    '{{"actor":{{"id":"svc-payments","kind":"service","roles":["service"]}},'
    '"details":{{"allow":true,"policy_revision":"r-42"}},'
    '"id":"{uid}","origin":{{"ip":null,"request_id":"req-{i}","service":"trustplane"}},'
    '"outcome":"success","seq":{i},"target":{{"id":"c-{i}","type":"customer_profile"}},'
    '"time":"2026-11-26T10:00:00.000000Z","type":"decision"}}'
)
EVIDENCE = (
    '{{"actor":{{"id":"trustplane","kind":"system","roles":[]}},'
    '"details":{{"collected_at":"{collected}","collector":"iac","media_type":"application/json",'
    '"scope":"terraform/{k}","sha256":"{sha}","size":{size}}},'
    '"id":"{uid}","origin":{{"ip":null,"request_id":null,"service":"trustplane"}},'
    '"outcome":"success","seq":{i},"target":{{"id":"{sha}","type":"evidence"}},'
    '"time":"2026-11-26T10:00:00.000000Z","type":"evidence_collected"}}'
)


def evidence_items(root: Path, count: int) -> list[tuple[str, int, str]]:
    """``count`` items of about 1 KiB written in ``LocalEvidenceStore``'s layout (content and
    ``.json`` metadata; without its per-file fsync, which is setup, not what is measured)."""
    items = []
    for k in range(count):
        collected = WINDOW.start + timedelta(seconds=k * 50)
        checks = [{"id": f"CKV_{j}", "ok": True} for j in range(20)]
        content = json.dumps({"resource": f"aws_s3_bucket.b{k}", "checks": checks}).encode()
        meta = EvidenceMeta.of(
            content, collector="iac", scope=f"terraform/{k}", collected_at=collected
        )
        folder = root / meta.sha256[:2]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / meta.sha256).write_bytes(content)
        (folder / f"{meta.sha256}.json").write_bytes(meta.model_dump_json().encode())
        items.append((meta.sha256, meta.size, collected.isoformat()))
    return items


def build_log(path: Path, events: int, items: Sequence[tuple[str, int, str]]) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    every = max(1, events // max(1, len(items)))
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")  # bulk load only; the benchmark reads afterwards
    builder = TreeBuilder()
    chunk = 100_000
    next_item = 0
    for start in range(0, events, chunk):
        rows: list[tuple[object, ...]] = []
        tree: list[tuple[int, bytes]] = []
        for i in range(start, min(start + chunk, events)):
            row: tuple[object, ...]
            if i % every == every - 1 and next_item < len(items):
                sha, size, collected = items[next_item]
                data = EVIDENCE.format(
                    i=i, uid=f"{i:032x}", sha=sha, size=size, collected=collected, k=next_item
                ).encode()
                row = (i, f"{i:032x}", STORED, "evidence_collected", "success", "trustplane",
                       "evidence", sha, None, data)  # fmt: skip
                next_item += 1
            else:
                data = DECISION.format(i=i, uid=f"{i:032x}").encode()
                row = (i, f"{i:032x}", STORED, "decision", "success", "svc-payments",
                       "customer_profile", f"c-{i}", f"req-{i}", data)  # fmt: skip
            tree.append((i, builder.append(leaf_hash(data))))
            rows.append(row)
        conn.executemany("INSERT INTO audit_event VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        conn.executemany("INSERT INTO audit_tree VALUES (?,?)", tree)
    root = builder.root()
    note = NoteSigner(ORIGIN, SIGNING_KEY).sign(CheckpointBody(ORIGIN, events, root).encode())
    conn.execute("INSERT INTO audit_checkpoint VALUES (?,?,?,?)", (events, root, STORED, note))
    conn.execute(
        "UPDATE audit_head SET tree_size=?, frontier=?, checkpoint_size=?, checkpoint_at=? "
        "WHERE id=1",
        (events, b"".join(builder.frontier), events, STORED),
    )
    conn.commit()
    conn.close()
    return make_engine(f"sqlite:///{path}")


def zip_alone(bundle: Path, store_root: Path, out: Path) -> float:
    """The same files into a zip with zipfile alone; evidence from the store's files, each
    member with the compression the bundle gave it (deflate level 1, or stored)."""
    with zipfile.ZipFile(bundle) as archive:
        infos = archive.infolist()
        others = {
            info.filename: (archive.read(info), info.compress_type)
            for info in infos
            if not (info.filename.startswith("evidence/") and not info.filename.endswith(".json"))
        }
        evidence = [
            (info.filename, info.compress_type)
            for info in infos
            if info.filename.startswith("evidence/") and not info.filename.endswith(".json")
        ]
    began = time.perf_counter()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, compression in evidence:
            sha = name.split("/", 1)[1]
            archive.write(store_root / sha[:2] / sha, name, compress_type=compression)
        for name, (content, compression) in others.items():
            archive.writestr(name, content, compress_type=compression)
    return time.perf_counter() - began


def proofs_only(bundle: Path, key: NoteVerifier) -> float:
    """Events/s of the proof part of verification over files already read from the zip."""
    with zipfile.ZipFile(bundle) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    report = BundleReport()
    began = time.perf_counter()
    checkpoint = _check_checkpoint(files, key, report)
    proven = _check_events(files, checkpoint, report)
    elapsed = time.perf_counter() - began
    assert report.ok, report.problems[:5]
    assert proven.manifests
    return report.events_checked / elapsed


def path_nodes(indices: Sequence[int], size: int) -> int:
    """Nodes of the union of the listed leaves' paths (RFC 9162 2.1.3.2 walk): the SHA-256
    computations a verifier that hashes each node once must make."""
    seen: set[tuple[int, int]] = set()
    for index in indices:
        fn, sn = index, size - 1
        while sn:
            if fn & 1 or fn == sn:
                while not fn & 1 and fn:
                    fn, sn = fn >> 1, sn >> 1
            fn, sn = fn >> 1, sn >> 1
            if (fn, sn) in seen:
                break
            seen.add((fn, sn))
    return len(seen)


def verify_floor(bundle: Path) -> tuple[float, int]:
    """Seconds of the byte work any verifier of this layout must do, each step in one C call
    per item with nothing else around it: inflate and CRC-32 every member, SHA-256 every
    file, base64-decode, leaf-hash and JSON-parse every event, hex-decode every proof hash,
    JSON-parse the manifest and every metadata file, one SHA-256 per node of the union of
    the proof paths. Returns (seconds, events)."""
    raw = bundle.read_bytes()
    with zipfile.ZipFile(bundle) as archive:
        spans = [
            (start, start + i.compress_size, i.compress_type, i.file_size)
            for i in archive.infolist()
            for start in [i.header_offset + 30 + len(i.filename.encode()) + len(i.extra)]
        ]
        files = {i.filename: archive.read(i) for i in archive.infolist()}
    encoded = [line[14 : line.rfind(b'","index":')] for line in files["audit/events.jsonl"].split()]
    proofs = json.loads(files["audit/proofs.json"])
    hexes = ["".join(hashes) for hashes in proofs["proofs"].values()]
    metas = [v for k, v in files.items() if k.startswith("evidence/") and k.endswith(".json")]
    nodes = path_nodes(sorted(int(i) for i in proofs["proofs"]), proofs["tree_size"])
    contents = list(files.values())
    sha256, node = hashlib.sha256, b"\x01" + bytes(64)
    # the same fast primitives the verifier uses: ISA-L inflate and CRC-32, SIMD base64
    inflate, crc32 = isal_zlib.decompress, isal_zlib.crc32
    began = time.perf_counter()
    members = [
        inflate(raw[a:b], -15, n) if kind == zipfile.ZIP_DEFLATED else raw[a:b]
        for a, b, kind, n in spans
    ]
    [crc32(member) for member in members]
    [sha256(content).digest() for content in contents]
    events = [b64decode(text) for text in encoded]
    [sha256(b"\x00" + event).digest() for event in events]
    [orjson.loads(event) for event in events]
    [bytes.fromhex(text) for text in hexes]
    [orjson.loads(meta) for meta in metas]
    orjson.loads(files["manifest.json"])
    for _ in range(nodes):
        sha256(node).digest()
    return time.perf_counter() - began, len(events)


def bench_bundle(workdir: Path, events: int, count: int) -> None:
    began = time.monotonic()
    store = LocalEvidenceStore(workdir / "evidence")
    items = evidence_items(workdir / "evidence", count)
    engine = build_log(workdir / "audit.db", events, items)
    print(
        f"  setup: {count:,} items stored, {events:,} events built directly "
        f"in {time.monotonic() - began:.1f} s"
    )
    log: AuditLog = build_audit_log(
        engine, hmac_key=bytes(32), signing_key=SIGNING_KEY, origin=ORIGIN
    )
    try:
        documents = {"report.html": b"<!doctype html><h1>report</h1>" * 200}
        bundle = workdir / "bundle.zip"
        began = time.perf_counter()
        selection = select_evidence(log, "pci_dss", WINDOW)
        write_bundle(selection, documents, bundle, log=log, store=store, bundle_id="bench")
        built = time.perf_counter() - began
        assert len(selection.evidence) == count, len(selection.evidence)
        alone = zip_alone(bundle, workdir / "evidence", workdir / "alone.zip")
        size = bundle.stat().st_size / 1e6
        print(
            f"  bundle of {count:,} items from a {events:,}-event log: {built:.2f} s "
            f"({size:.1f} MB); zipfile alone, same files: {alone:.2f} s; "
            f"ratio {built / alone:.2f}x (goal <= 3x)"
        )
        key = parse_key(log.public_key())
        runs = []
        for _ in range(VERIFY_RUNS):  # a short run: its best of several, the first shown too
            began = time.perf_counter()
            report = verify_bundle(bundle, key)
            runs.append(time.perf_counter() - began)
            assert report.ok, report.problems[:5]
        checked = min(runs)
        bundle_rate = report.events_checked / checked
        with collector_paused():  # as verify_bundle runs; each the best of several runs
            proof_rate = max(proofs_only(bundle, key) for _ in range(VERIFY_RUNS))
            floor = min(verify_floor(bundle)[0] for _ in range(VERIFY_RUNS))
        floor_rate = report.events_checked / floor
        verified = float("inf")
        for _ in range(AUDIT_RUNS):
            began = time.perf_counter()
            whole = log.verify(workers=1)
            verified = min(verified, time.perf_counter() - began)
            assert whole.ok, whole.problems[:5]
        audit_rate = whole.events_checked / verified
        print(
            f"  bundle verify: {report.events_checked:,} events proven + {report.files_checked:,} "
            f"files in {checked:.3f} s (best of {VERIFY_RUNS}; first run {runs[0]:.3f} s) = "
            f"{bundle_rate:,.0f} events/s; audit verify (1 process, best of {AUDIT_RUNS}): "
            f"{whole.events_checked:,} events in {verified:.2f} s = {audit_rate:,.0f} events/s; "
            f"ratio {bundle_rate / audit_rate:.2f}x (goal >= 0.5x)"
        )
        print(
            f"    of which the audit/ part alone (event lines, inclusion proofs, checkpoint; "
            f"zip already read; best of {VERIFY_RUNS}): {proof_rate:,.0f} events/s = "
            f"{proof_rate / audit_rate:.2f}x audit verify"
        )
        print(
            f"    the byte work alone (inflate, CRC-32, SHA-256 of every file and node, base64, "
            f"hex, JSON parse; no checks): {floor * 1000:.0f} ms = {floor_rate:,.0f} events/s "
            f"= {floor_rate / audit_rate:.2f}x audit verify; bundle verify is "
            f"{checked / floor:.2f}x that floor"
        )
    finally:
        log.close()
        engine.dispose()


class BigPosture:
    def __init__(self, findings: list[StoredFinding], now: datetime) -> None:
        self.catalog_value = load_catalog()
        self._findings = findings
        self._now = now

    @property
    def catalog(self) -> Catalog:
        return self.catalog_value

    def control_postures(self) -> dict[str, ControlPosture]:
        return all_control_postures(self.catalog_value, self._findings, self._now)

    def framework_posture(self, framework_id: str) -> FrameworkPosture:
        catalog = self.catalog_value
        return framework_posture(catalog, catalog.framework(framework_id), self.control_postures())

    def posture_history(self, framework_id: str, limit: int = 100) -> list[PostureSnapshot]:
        return [
            PostureSnapshot(
                run_id=f"r{day}",
                framework_id=framework_id,
                satisfied=20 + day,
                assessed=40,
                failing=3,
                total=42,
                taken_at=WINDOW.start + timedelta(days=day, hours=2),
            )
            for day in range(7)
        ]


def page_count(pdf: bytes) -> str:
    """Pages as ``pdfinfo`` (poppler-utils) counts them, when it is installed."""
    if shutil.which("pdfinfo") is None:
        return "?"
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        out = subprocess.run(
            ["pdfinfo", handle.name], capture_output=True, text=True, check=True
        ).stdout
    found = re.search(r"^Pages:\s+(\d+)", out, re.MULTILINE)
    return f"{int(found.group(1)):,}" if found else "?"


def bench_pdf(count: int) -> None:
    now = WINDOW.end - timedelta(hours=1)
    catalog = load_catalog()
    checks = sorted(
        {check for control in catalog.controls_for("pci_dss") for check in control.checks}
    )
    findings = [
        StoredFinding(
            finding=Finding(
                check_id=checks[i % len(checks)],
                collector=checks[i % len(checks)].split(".")[0],
                status=FindingStatus.FAIL if i % 17 == 0 else FindingStatus.PASS,
                resource=f"arn:aws:s3:::finsolve-bucket-{i}",
                reason="configured as required" if i % 17 else "public access block is off",
            ),
            observed_at=now - timedelta(minutes=20),
            evidence_sha256=hashlib.sha256(str(i).encode()).hexdigest(),
            run_id="r6",
        )
        for i in range(count)
    ]
    source = BigPosture(findings, now)
    began = time.perf_counter()
    report = assemble(source, "pci_dss", WINDOW, [], now)
    html = render_html(report)
    rendered = time.perf_counter() - began
    print(
        f"  framework report with {report.findings_total:,} findings: assemble + HTML "
        f"{rendered:.2f} s ({len(html) / 1e6:.1f} MB)"
    )
    renderers: list[PdfRenderer] = [ChromiumRenderer(), WeasyPrintRenderer()]
    for renderer in renderers:
        try:
            renderer.check()
        except RendererUnavailableError as exc:
            print(f"    PDF ({renderer.name}): unavailable here ({exc})")
            continue
        began = time.perf_counter()
        pdf = renderer.render(html)
        printed = time.perf_counter() - began
        print(
            f"    PDF ({renderer.name}): {printed:.2f} s "
            f"({len(pdf) / 1e6:.1f} MB, {page_count(pdf)} pages)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="size of the log")
    parser.add_argument("--items", type=int, default=10_000, help="evidence items in the bundle")
    parser.add_argument("--findings", type=int, default=10_000, help="findings in the PDF report")
    args = parser.parse_args()
    print("reports benchmark (2 shared cores; figures are a floor)")
    with tempfile.TemporaryDirectory(prefix="tp-bench-reports-") as tmp:
        print(f"bundle at {args.items:,} items, {args.events:,} events (SQLite):")
        bench_bundle(Path(tmp), args.events, args.items)
    print(f"PDF report at {args.findings:,} findings:")
    bench_pdf(args.findings)


if __name__ == "__main__":
    main()
