"""A separate writer process for the crash and multi-process tests.

Usage: python -m tests.audit.writer_proc DB_URL COUNT THREADS TAG
Prints ``<seq> <id>`` for every acknowledged (durable) event, flushed at once.
"""

from __future__ import annotations

import sys
import threading

from audit import build_audit_log
from tests.audit.conftest import HMAC_KEY, ORIGIN, SIGNING_KEY, event
from trustplane.db import make_engine


def main() -> None:
    url, count, threads, tag = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
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
        for i in range(worker, count, threads):
            receipt = log.record(event(i, writer=tag))
            with out:
                sys.stdout.write(f"{receipt.seq} {receipt.id}\n")
                sys.stdout.flush()

    pool = [threading.Thread(target=work, args=(w,)) for w in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    log.close()


if __name__ == "__main__":
    main()
