"""What the facts step costs a decision (issue 15, item 4; ADR 0212).

``DecisionService.decide()`` p50 in process, rounds alternating, in one run:
  (a) the corpus mix (no request names a DSR or a system) without and with the facts step
      wired over the privacy room's real adapters (``DsrBindings``, ``DataMapSystems``) on a
      SQLite file: the price every decision pays;
  (b) DPO reads citing a live data subject request (one read of the DSR table each);
  (c) payment reads naming a data-map system (one ``max(id)`` query on the data map each).

    .venv/bin/python bench/facts.py [--iterations 20000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from audit import InMemoryAuditLog  # noqa: E402
from policies import (  # noqa: E402
    DecisionLogger,
    DecisionService,
    DsrFacts,
    FactCheck,
    RegorusEngine,
    ResidencyFacts,
    StaticEngineSource,
    load_bundle_dir,
)
from privacy import DataMapSystems, DsrBindings, DsrRepository  # noqa: E402
from privacy.repository import DATAMAP, DSR, STEP  # noqa: E402
from tests.policies.corpus import CASES  # noqa: E402

DSR_ID = "0b6f4c8e-5a7e-4c1e-9b0e-2f1d3c4b5a69"
DATAMAP_TEXT = """\
version: 1
systems:
  - {name: core_banking, kind: manual, assignee: ops@example.com, region: ap-south-1}
  - {name: marketing_eu, kind: manual, assignee: ops@example.com, region: eu-west-1}
"""


def records(workdir: Path) -> DsrRepository:
    """The DSR and data map tables on a SQLite file: one live request, one data map."""
    engine: Engine = create_engine(f"sqlite:///{workdir / 'privacy.db'}")
    for table in (DSR, STEP, DATAMAP):  # (bench/ shadows the reports room: no migrations)
        table.create(engine)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(
            insert(DSR).values(
                id=DSR_ID,
                type="access",
                state="in_progress",
                regime="dpdp",
                identifier_kind="email",
                identifier_sealed="-",
                identifier_hash="0" * 64,
                received_at=now,
                due_at=now + timedelta(days=30),
                extended=False,
                verified_method="attested",
                note="",
                correction_json="{}",
                subject_ids_json=json.dumps(["c-9"]),
                updated_at=now,
            )
        )
    repository = DsrRepository(engine)
    repository.add_datamap("0" * 64, DATAMAP_TEXT, "bench", now, 1)
    return repository


def dpo_mix() -> list[dict[str, Any]]:
    return [
        {
            "subject": {"id": "u-dpo", "type": "user", "roles": ["dpo"]},
            "action": {"name": "read"},
            "resource": {"type": "customer_profile", "id": "c-9", "owner_id": "c-9",
                         "classification": 3},
            "context": {"purpose": "dsr", "dsr_id": DSR_ID},
        }
    ]  # fmt: skip


def system_mix() -> list[dict[str, Any]]:
    return [
        {
            "subject": {"id": "svc-payments", "type": "service", "roles": ["svc:payments"]},
            "action": {"name": "read"},
            "resource": {"type": "payment", "id": f"p-{index}", "classification": 3,
                         "system": system, "region": "ap-south-1", "residency": "IN"},
            "context": {"purpose": "payment_processing"},
        }
        for index, system in enumerate(["core_banking", "marketing_eu"] * 10)
    ]  # fmt: skip


def p50(iterations: int, mix: list[dict[str, Any]], facts: tuple[FactCheck, ...]) -> float:
    logger = DecisionLogger(InMemoryAuditLog(), durable=False, max_queue=iterations + 1000)
    service = DecisionService(StaticEngineSource(ENGINE), logger, timeout_seconds=10, facts=facts)
    for request in mix:
        service.decide(request)
    latencies: list[float] = []
    for index in range(iterations):
        begin = time.perf_counter()
        service.decide(mix[index % len(mix)])
        latencies.append((time.perf_counter() - begin) * 1e6)
    logger.flush(60)
    logger.close()
    return statistics.median(latencies)


ENGINE = RegorusEngine(load_bundle_dir())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=20_000)
    args = parser.parse_args()
    rounds = 8
    per_round = max(1, args.iterations // rounds)
    corpus = [case.request for case in CASES]
    with tempfile.TemporaryDirectory(prefix="tp-bench-facts-") as tmp:
        repository = records(Path(tmp))
        facts: tuple[FactCheck, ...] = (
            DsrFacts(DsrBindings(repository)),
            ResidencyFacts(DataMapSystems(repository), "IN"),
        )
        configurations = [
            ("corpus, no facts step", corpus, ()),
            ("corpus, facts step", corpus, facts),
            ("DSR citations", dpo_mix(), facts),
            ("system named", system_mix(), facts),
        ]
        runs: dict[str, list[float]] = {name: [] for name, _, _ in configurations}
        for round_ in range(rounds):  # the order turns each round: no place is favoured
            shift = round_ % len(configurations)
            for name, mix, checks in configurations[shift:] + configurations[:shift]:
                runs[name].append(p50(per_round, mix, checks))
    bare = statistics.median(runs["corpus, no facts step"])
    print(f"decide() p50, {rounds} rounds of {per_round}, order turning, SQLite records")
    for name, values in runs.items():
        value = statistics.median(values)
        print(f"  {name:<24} {value:>8.1f} µs   ({(value / bare - 1) * 100:+.1f} % vs no facts)")


if __name__ == "__main__":
    main()
