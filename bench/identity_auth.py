"""Identity hot paths, in process: bearer verification, session lookup, token issuance, login.

Each figure is printed with a baseline measured in the same run:
- bearer verification against a bare Ed25519 signature check of the same token bytes;
- token issuance and login against a bare argon2id verify at the configured cost.
SQLite file in a temp dir, production argon2 cost by default (RFC 9106: 64 MiB, t=3, p=4).

    .venv/bin/python bench/identity_auth.py [--seconds 3] [--argon2-memory-kib 65536]
"""

from __future__ import annotations

import argparse
import base64
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from audit import SYSTEM_ACTOR, InMemoryAuditLog
from identity import (
    Argon2Params,
    IdentityConfig,
    IdentityService,
    KeySet,
    SecretBox,
    SecretHasher,
    SigningKey,
    new_box_key,
    new_signing_key_pem,
)
from identity.totp import code_at
from trustplane.db import make_engine
from trustplane.migrations.runner import upgrade


def measure(name: str, action: Callable[[], object], seconds: float) -> float:
    """Run ``action`` for ``seconds``; print ops/s, p50, p99; return ops/s."""
    samples: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(samples) < 5:
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    total = sum(samples)
    ops = len(samples) / total
    cuts = statistics.quantiles(samples, n=100)
    print(
        f"{name:<44} {ops:>10.0f} ops/s   p50 {cuts[49] * 1e3:8.3f} ms   "
        f"p99 {cuts[98] * 1e3:8.3f} ms   (n={len(samples)})"
    )
    return ops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--argon2-memory-kib", type=int, default=65_536)
    parser.add_argument("--argon2-time-cost", type=int, default=3)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="tp-bench-identity-"))
    engine = make_engine(f"sqlite:///{workdir / 'bench.db'}")
    upgrade(engine)
    params = Argon2Params(time_cost=args.argon2_time_cost, memory_kib=args.argon2_memory_kib)
    hasher = SecretHasher(params)
    client_hasher = SecretHasher(Argon2Params(time_cost=2, memory_kib=19_456, parallelism=1))
    keys = KeySet(SigningKey.from_pem(new_signing_key_pem()))
    service = IdentityService(
        engine,
        InMemoryAuditLog(),
        keys,
        SecretBox(new_box_key()),
        IdentityConfig(lockout_threshold=10**9, session_idle_seconds=900),
        hasher=hasher,
        client_hasher=client_hasher,
    )
    account = service.create_service_account("bench", ["service"], SYSTEM_ACTOR)
    user = service.create_user("bench@finsolve.example", ["security"], SYSTEM_ACTOR)
    totp_secret = parse_qs(urlparse(user.totp_uri).query)["secret"][0]
    token = service.issue_token(account.client_id, account.client_secret).access_token
    session = service.login(user.email, user.password, code_at(totp_secret, datetime.now(UTC)))

    print(f"identity hot paths, {args.seconds:.0f} s each, one thread, SQLite;")
    print("machine: 2 cores shared with other work (figures are a floor)")
    print(
        f"argon2id passwords: m={params.memory_kib} KiB, t={params.time_cost}, "
        f"p={params.parallelism}; client secrets: m=19456 KiB, t=2, p=1"
    )
    print()

    signing_input, _, signature = token.rpartition(".")
    raw_signature = base64.urlsafe_b64decode(signature + "==")
    public = keys.signing.private_key.public_key()
    baseline = measure(
        "baseline: bare Ed25519 verify",
        lambda: public.verify(raw_signature, signing_input.encode()),
        args.seconds,
    )
    bearer = measure(
        "authenticate_bearer (JWT EdDSA + claims)",
        lambda: service.authenticate_bearer(token),
        args.seconds,
    )
    print(f"{'  -> bearer / bare verify':<44} {bearer / baseline:>10.2f} x")
    measure(
        "authenticate_session (SQLite lookup)",
        lambda: service.authenticate_session(session.session_token),
        args.seconds,
    )
    stored = hasher.hash(account.client_secret)
    argon = measure(
        "baseline: bare argon2id verify (password)",
        lambda: hasher.verify(stored, account.client_secret),
        args.seconds,
    )
    client_stored = client_hasher.hash(account.client_secret)
    client_argon = measure(
        "baseline: argon2id verify (client profile)",
        lambda: client_hasher.verify(client_stored, account.client_secret),
        args.seconds,
    )
    issued = measure(
        "issue_token (client credentials)",
        lambda: service.issue_token(account.client_id, account.client_secret),
        args.seconds,
    )
    print(f"{'  -> issue_token / client-profile argon2id':<44} {issued / client_argon:>10.2f} x")

    step = [0]

    def login_once() -> None:
        # a fresh TOTP step each time: a used code is refused (no replay)
        step[0] += 1
        moment = datetime.fromtimestamp(time.time() + 30 * step[0], UTC)
        service.sessions._clock = lambda: moment
        service.login(user.email, user.password, code_at(totp_secret, moment))

    logins = measure("login (argon2id + TOTP + session row)", login_once, args.seconds)
    print(f"{'  -> login / bare argon2id':<44} {logins / argon:>10.2f} x")
    engine.dispose()


if __name__ == "__main__":
    main()
