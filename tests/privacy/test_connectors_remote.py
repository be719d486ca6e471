"""s3 (moto server) and http (a FastAPI domain service behind a signed webhook) connectors,
end to end through the DSR workflow beside the SQL store."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import httpx
import pytest
from sqlalchemy.engine import Engine

from audit import Actor
from privacy import DsrService, DsrState
from privacy.connectors.s3 import S3Connector
from privacy.demo_store import customer_email
from privacy.webhook import WebhookSignatureError, WebhookVerifier, sign
from tests.privacy.conftest import datamap_text
from tests.privacy.domain_service import LoyaltyState, loyalty_app
from trustplane.server import BackgroundServer

DPO = Actor(id="u-dpo", kind="user", roles=("dpo",))
SECRET = "loyalty-webhook-secret-for-tests"


@pytest.fixture
def loyalty(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, LoyaltyState]]:
    monkeypatch.setenv("LOYALTY_WEBHOOK_SECRET", SECRET)
    state = LoyaltyState(records={customer_email(3): {"email": customer_email(3), "points": 420}})
    server = BackgroundServer(loyalty_app(SECRET.encode(), state)).start()
    assert server.wait_ready()
    yield server.url, state
    server.stop()


@pytest.fixture
def bucket(moto_url: str) -> str:
    client = boto3.client("s3", endpoint_url=moto_url, region_name="ap-south-1")
    client.create_bucket(
        Bucket="finsolve-statements",
        CreateBucketConfiguration={"LocationConstraint": "ap-south-1"},
    )
    client.put_bucket_versioning(
        Bucket="finsolve-statements", VersioningConfiguration={"Status": "Enabled"}
    )
    for cid in ("C0000003", "C0000030"):
        for month in ("2026-10", "2026-11"):
            client.put_object(
                Bucket="finsolve-statements",
                Key=f"statements/{cid}/{month}.txt",
                Body=f"statement {month} for {cid}".encode(),
            )
    return moto_url


def remote_map(store_url: str, moto_url: str, loyalty_url: str) -> str:
    return (
        datamap_text(store_url)
        + f"""\
  - name: statements
    kind: s3
    s3:
      bucket: finsolve-statements
      prefix: "statements/{{subject_id}}/"
      endpoint_url: {moto_url}
      category: financial.account
    on_erasure: delete
  - name: loyalty
    kind: http
    url: {loyalty_url}/dsr
    secret_env: LOYALTY_WEBHOOK_SECRET
    identifiers: [email]
"""
    )


def _verified(service: DsrService, kind: str, index: int) -> str:
    request = service.create(kind, {"email": customer_email(index)}, send_code=False, actor=DPO)
    service.attest(request.id, "checked against KYC on a call", DPO)
    return request.id


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_access_and_erasure_across_sql_s3_and_http(
    service: DsrService,
    store: Engine,
    store_url: str,
    bucket: str,
    loyalty: tuple[str, LoyaltyState],
) -> None:
    loyalty_url, state = loyalty
    service.load_datamap(remote_map(store_url, bucket, loyalty_url), DPO)
    access = service.execute(_verified(service, "access", 3), DPO).request
    assert access.state is DsrState.COMPLETED
    import io
    import json
    import zipfile

    data = json.loads(
        zipfile.ZipFile(io.BytesIO(service.package(access.id, DPO))).read("data.json")
    )["systems"]
    keys = [o["key"] for o in data["statements"]["objects"]]
    assert keys == ["statements/C0000003/2026-10.txt", "statements/C0000003/2026-11.txt"]
    assert data["statements"]["objects"][0]["content"] == "statement 2026-10 for C0000003"
    assert data["loyalty"]["loyalty"] == [{"email": customer_email(3), "points": 420}]

    erasure = _verified(service, "erasure", 3)
    service.execute(erasure, DPO)
    service.approve(erasure, DPO)
    ran = service.execute(erasure, DPO).request
    task = next(s for s in ran.steps if s.action == "task")
    service.close_task(erasure, task.id, "no tickets found", [], DPO)
    certificate = service.certificate(erasure)
    by_system = {(f["system"], f["action"]) for f in certificate["fields"]}
    assert ("statements", "delete") in by_system
    assert ("loyalty", "delete") in by_system
    client = boto3.client("s3", endpoint_url=bucket, region_name="ap-south-1")
    versions = client.list_object_versions(Bucket="finsolve-statements", Prefix="statements/")
    left = {v["Key"] for v in versions.get("Versions", [])}
    assert left == {"statements/C0000030/2026-10.txt", "statements/C0000030/2026-11.txt"}
    assert customer_email(3) not in state.records


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_a_failing_domain_service_fails_only_its_step(
    service: DsrService,
    store: Engine,
    store_url: str,
    bucket: str,
    loyalty: tuple[str, LoyaltyState],
) -> None:
    loyalty_url, state = loyalty
    service.load_datamap(remote_map(store_url, bucket, loyalty_url), DPO)
    state.fail = True
    dsr_id = _verified(service, "access", 3)
    result = service.execute(dsr_id, DPO)
    assert result.failed == ["loyalty"]
    statuses = {s.system: s.status for s in result.request.steps}
    assert statuses == {"core_banking": "done", "statements": "done", "loyalty": "failed"}
    assert result.request.state is DsrState.IN_PROGRESS
    state.fail = False
    assert service.execute(dsr_id, DPO).request.state is DsrState.COMPLETED


def test_replayed_or_forged_webhooks_are_refused(loyalty: tuple[str, LoyaltyState]) -> None:
    loyalty_url, _ = loyalty
    body = b'{"action": "export", "principal": {"kind": "email", "value": "x@y.in"}}'
    import time

    stamp = int(time.time())
    headers = {
        "X-Trustplane-Timestamp": str(stamp),
        "X-Trustplane-Signature": sign(SECRET.encode(), stamp, body),
    }
    first = httpx.post(f"{loyalty_url}/dsr", content=body, headers=headers)
    assert first.status_code == 200
    replay = httpx.post(f"{loyalty_url}/dsr", content=body, headers=headers)
    assert replay.status_code == 401
    assert "replayed" in replay.text
    forged = httpx.post(f"{loyalty_url}/dsr", content=body.replace(b"x@y", b"z@y"), headers=headers)
    assert forged.status_code == 401
    stale_stamp = stamp - 3600
    stale = httpx.post(
        f"{loyalty_url}/dsr",
        content=body,
        headers={
            "X-Trustplane-Timestamp": str(stale_stamp),
            "X-Trustplane-Signature": sign(SECRET.encode(), stale_stamp, body),
        },
    )
    assert stale.status_code == 401
    verifier = WebhookVerifier(b"k", clock=lambda: 1000.0)
    with pytest.raises(WebhookSignatureError):
        verifier.verify(None, None, b"")


def test_s3_prefix_refuses_path_tricks() -> None:
    from privacy import ConnectorError, Principal, parse_datamap

    text = """\
systems:
  - name: docs
    kind: s3
    s3: {bucket: finsolve-docs, prefix: "kyc/{email}/"}
"""
    system = parse_datamap(text).datamap.systems[0]
    connector = S3Connector(system, client=object())
    assert connector.prefixes(Principal("email", "a@b.in")) == ["kyc/a@b.in/"]
    with pytest.raises(ConnectorError):
        connector.prefixes(Principal("email", "../other/a@b.in"))
    assert connector.prefixes(Principal("phone", "+919800000001")) == []
