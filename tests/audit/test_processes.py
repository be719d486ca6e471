"""Real processes: a writer killed with SIGKILL, and two writers sharing one database."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import Engine

from audit import AuditLog
from tests.audit import reference
from tests.audit.conftest import event

ROOT = Path(__file__).resolve().parents[2]


def spawn(
    db_url: str, count: int, threads: int, tag: str, per_call: int = 1
) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [db_url, str(count), str(threads), tag, str(per_call)]
    return subprocess.Popen(
        [sys.executable, "-m", "tests.audit.writer_proc", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=ROOT,
    )


def acks(lines: list[str]) -> dict[int, str]:
    out: dict[int, str] = {}
    for line in lines:
        seq, _, event_id = line.strip().partition(" ")
        if event_id:  # a line cut by the kill is not an acknowledgement
            out[int(seq)] = event_id
    return out


def assert_acknowledged_are_stored(log: AuditLog, acknowledged: dict[int, str]) -> None:
    for seq, event_id in acknowledged.items():
        assert log.event(seq).document["id"] == event_id


def test_sigkilled_writer_loses_no_acknowledged_event(
    engine: Engine, db_url: str, make_log: Callable[..., AuditLog]
) -> None:
    proc = spawn(db_url, 1_000_000, 4, "killed")
    assert proc.stdout is not None
    seen: list[str] = []
    while len(seen) < 300:
        line = proc.stdout.readline()
        assert line, "writer exited early"
        seen.append(line)
    proc.send_signal(signal.SIGKILL)
    rest, _ = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    acknowledged = acks(seen + rest.splitlines())
    log = make_log()
    assert_acknowledged_are_stored(log, acknowledged)
    size = log.tree_size()
    assert size >= len(acknowledged) >= 300
    report = log.verify()
    assert report.ok, report.problems
    assert report.events_checked == size
    receipt = log.record_many([])  # the log keeps working after the crash
    assert receipt == []
    more = log.record(event(1))
    assert more.seq == size


def test_sigkilled_dsr_sized_writes_lose_nothing_acknowledged(
    engine: Engine, db_url: str, make_log: Callable[..., AuditLog]
) -> None:
    """record_many of 200 events of about 2 KB each (what a DSR export or erasure writes),
    four writers, SIGKILL: every acknowledged event is stored and the log verifies."""
    proc = spawn(db_url, 10_000_000, 4, "dsr", per_call=200)
    assert proc.stdout is not None
    seen: list[str] = []
    while len(seen) < 1200:
        line = proc.stdout.readline()
        assert line, "writer exited early"
        seen.append(line)
    proc.send_signal(signal.SIGKILL)
    rest, _ = proc.communicate(timeout=30)
    acknowledged = acks(seen + rest.splitlines())
    log = make_log()
    assert_acknowledged_are_stored(log, acknowledged)
    assert log.tree_size() >= len(acknowledged) >= 1200
    report = log.verify(workers=1)
    assert report.ok, report.problems
    assert log.record(event(1)).seq == log.tree_size() - 1  # and it keeps signing heads


def test_two_processes_append_to_one_database(
    engine: Engine, db_url: str, make_log: Callable[..., AuditLog]
) -> None:
    procs = [spawn(db_url, 300, 4, tag) for tag in ("a", "b")]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    per_process = [acks(out.splitlines()) for out in outputs]
    assert all(len(a) == 300 for a in per_process)
    assert not per_process[0].keys() & per_process[1].keys()
    combined = {**per_process[0], **per_process[1]}
    assert sorted(combined) == list(range(600))  # serial: no gap, no duplicate
    log = make_log()
    assert_acknowledged_are_stored(log, combined)
    writers = [log.event(i).document["details"]["writer"] for i in range(600)]
    assert len({writers[i] != writers[i + 1] for i in range(599)}) == 2  # interleaved
    report = log.verify()
    assert report.ok
    assert report.tree_size == 600
    leaves = [log.event(i).leaf_hash for i in range(600)]
    sizes = [c.tree_size for c in log.checkpoints()]
    assert len(sizes) >= 2
    for first, second in itertools.pairwise(sizes):
        proof = log.consistency_proof(first, second)
        assert reference.verify_consistency(
            first,
            second,
            reference.mth(leaves[:first]),
            reference.mth(leaves[:second]),
            proof.hashes,
        )
