"""HTTP baseline: GET /healthz and an authenticated no-op /v1 route (GET /v1/me).

Starts `trustplane serve` (SQLite, embedded defaults) with 1 and then 2 workers, drives each
route with 64 concurrent keep-alive clients on loopback, and prints requests/s and p50/p99.
The load generator shares the machine's cores with the server: figures are a floor.

    .venv/bin/python bench/http_baseline.py [--seconds 5] [--clients 64]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadgen import run_load
from serving import start_server, trustplane


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=64)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="tp-bench-http-"))
    env = {
        **os.environ,
        "TRUSTPLANE_DATA_DIR": str(data_dir),
        "TRUSTPLANE_WEB__RATE_LIMIT_PER_SECOND": "1000000",
        "TRUSTPLANE_WEB__RATE_LIMIT_BURST": "1000000",
        "TRUSTPLANE_LOG_LEVEL": "WARNING",
    }
    trustplane(env, "db", "upgrade")
    account = json.loads(
        trustplane(
            env, "service-accounts", "create", "--name", "bench", "--roles", "service", "--json"
        )
    )
    print(
        f"trustplane HTTP baseline: {args.clients} clients, {args.seconds:.0f} s per figure, "
        f"{os.cpu_count()} cores shared by server and load generator"
    )
    for workers in (1, 2):
        process, url = start_server(env, workers)
        try:
            token = httpx.post(
                f"{url}/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": account["client_id"],
                    "client_secret": account["client_secret"],
                },
                timeout=10,
            ).json()["access_token"]
            health = run_load(f"{url}/healthz", clients=args.clients, seconds=args.seconds)
            print(health.line(f"GET /healthz, {workers} worker(s)"))
            me = run_load(
                f"{url}/v1/me",
                headers={"Authorization": f"Bearer {token}"},
                clients=args.clients,
                seconds=args.seconds,
            )
            print(me.line(f"GET /v1/me (JWT-authenticated), {workers} worker(s)"))
        finally:
            process.terminate()
            process.wait(timeout=20)


if __name__ == "__main__":
    main()
