"""A separate writer process for the crash and multi-process tests.

Usage: python -m tests.audit.writer_proc DB_URL COUNT THREADS TAG [PER_CALL]
Prints ``<seq> <id>`` for every acknowledged (durable) event, flushed at once. With
PER_CALL > 1 each call is ``record_many`` of that many events (DSR-sized writes), and the
receipts of a call are printed only once the whole call returned.
"""

from __future__ import annotations

import sys
import threading

from audit import build_audit_log
from tests.audit.conftest import HMAC_KEY, ORIGIN, SIGNING_KEY, event
from trustplane.db import make_engine


def main() -> None:
    url, count, threads, tag = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    per_call = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    engine = make_engine(url)
    log = build_audit_log(
        engine,
        hmac_key=HMAC_KEY,
        signing_key=SIGNING_KEY,
        origin=ORIGIN,
        checkpoint_every_events=50,
    )
    out = threading.Lock()

    def work(worker: int) -> None:
        for i in range(worker * per_call, count, threads * per_call):
            receipts = log.record_many(
                [event(k, writer=tag, dsr="x" * 2000) if per_call > 1 else event(k, writer=tag)
                 for k in range(i, i + per_call)]
            )  # fmt: skip
            with out:
                sys.stdout.write("".join(f"{r.seq} {r.id}\n" for r in receipts))
                sys.stdout.flush()

    pool = [threading.Thread(target=work, args=(w,)) for w in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    log.close()


if __name__ == "__main__":
    main()
