"""Against a real running trustplane (uvicorn on loopback): opa-python-client on the OPA Data
API, the ``opa`` engine pointed at it, and the client SDK guarding a tiny domain service."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.testclient import TestClient
from opa_client import OpaClient

from audit import SYSTEM_ACTOR
from identity import IdentityService
from policies import POLICY_EVALUATION_FAILED, Decision, Guard, PolicyRoom
from tests.policies.corpus import AGENT, CASES, profile, req
from tests.policies.harness import build_api_app, settings_for
from tests.privacy.live_dsr import CORPUS_OWNER, citing, open_dsr
from trustplane.server import BackgroundServer
from web.guard import GuardDependencies


@dataclass
class Live:
    server: BackgroundServer
    room: PolicyRoom
    client_id: str
    client_secret: str
    token: str
    dsr_id: str  # a real DSR about the corpus' owner, cited where the corpus cites one


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    app, container = build_api_app(settings_for(tmp_path_factory.mktemp("live")))
    identity = container.authenticator
    assert isinstance(identity, IdentityService)
    account = identity.create_service_account("domain-svc", ["service"], SYSTEM_ACTOR)
    server = BackgroundServer(app).start()
    try:
        assert server.wait_ready()
        token = httpx.post(
            f"{server.url}/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": account.client_id,
                "client_secret": account.client_secret,
            },
        ).json()["access_token"]
        room = container.policies
        assert isinstance(room, PolicyRoom)
        dsr_id = open_dsr(container.privacy, CORPUS_OWNER)
        yield Live(server, room, account.client_id, account.client_secret, token, dsr_id)
    finally:
        server.stop()


def test_opa_python_client_drives_the_data_api(live: Live) -> None:
    opa = OpaClient(host=live.server.host, port=live.server.port, token=live.token, retries=0)
    try:
        for case in CASES[:12]:
            body = opa.query_rule(case.request, "finsolve.authz", "decision")
            assert body["result"]["allow"] is case.allow, case.name
            assert body["decision_id"]
            assert opa.query_rule(case.request, "finsolve.authz", "allow")["result"] is case.allow
        assert "result" not in opa.query_rule({}, "finsolve.authz", "no_such_rule")
    finally:
        opa.close_connection()


def test_opa_engine_decides_through_a_remote_data_api(live: Live, tmp_path: Path) -> None:
    """A second trustplane whose engine is ``opa``, pointed at the first one's Data API."""
    settings = settings_for(
        tmp_path, engine="opa", opa_url=live.server.url, opa_token=live.token, timeout_ms=2000
    )
    _app, container = build_api_app(settings)
    room = container.policies
    assert isinstance(room, PolicyRoom)
    try:
        for case in CASES[:8]:
            decision = room.decisions.decide(case.request)
            assert decision.allow is case.allow, (case.name, decision.reasons)
        # a remote engine answers over the network: never asked on the event loop
        assert room.bundles.loaded
        assert not room.decides_inline
        assert container.gate.blocking
        broken = settings_for(tmp_path / "b", engine="opa", opa_url="http://127.0.0.1:9")
        _, other = build_api_app(broken)
        other_room = other.policies
        assert isinstance(other_room, PolicyRoom)
        denied = other_room.decisions.decide(CASES[0].request)
        assert denied.allow is False
        assert denied.reasons == [POLICY_EVALUATION_FAILED]
        other.close()
    finally:
        container.close()


# -- the client SDK ---------------------------------------------------------------------


class CountingTransport(httpx.HTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return super().handle_request(request)


def domain_service(guard: Guard) -> FastAPI:
    """A tiny FinSolve domain service: customer profiles behind the guard."""

    def current_user(request: Request) -> dict[str, Any]:
        return {
            "id": request.headers["x-user"],
            "type": "user",
            "roles": request.headers["x-roles"].split(","),
            "attributes": {},
        }

    def profile_attributes(request: Request) -> dict[str, Any]:
        owner = request.path_params["id"]
        return {"owner_id": owner, "classification": 3, "region": "ap-south-1", "residency": "IN"}

    def ticket(request: Request) -> dict[str, Any]:
        return {"purpose": "support", "ticket_customer_id": request.headers.get("x-ticket")}

    authz = GuardDependencies(
        guard, subject=current_user, resource=profile_attributes, context=ticket
    )
    app = FastAPI()
    reader = Depends(authz.require("read", "customer_profile"))

    @app.get("/profiles/{id}")
    def read_profile(id: str, decision: Decision = reader) -> dict[str, Any]:
        record = {"name": "Asha", "pan": "ABCDE1234F", "phone": "9876543210"}
        for obligation in decision.obligations:
            if obligation.get("type") == "mask":
                for name in obligation["fields"]:
                    if name in record:
                        record[name] = "*" * (len(record[name]) - 4) + record[name][-4:]
        return {"id": id, **record}

    return app


def test_domain_service_protected_by_the_guard(live: Live) -> None:
    with Guard(live.server.url, live.client_id, live.client_secret) as guard:
        service = TestClient(domain_service(guard))
        agent = {"x-user": "u-7", "x-roles": "support_agent"}
        allowed = service.get("/profiles/c-9", headers={**agent, "x-ticket": "c-9"})
        assert allowed.status_code == 200, allowed.text
        assert allowed.json()["pan"] == "******234F"
        assert allowed.json()["name"] == "Asha"
        denied = service.get("/profiles/c-9", headers={**agent, "x-ticket": "c-1"})
        assert denied.status_code == 403
        assert denied.json()["detail"]["reasons"]
        customer = {"x-user": "c-9", "x-roles": "customer"}
        assert service.get("/profiles/c-9", headers=customer).status_code == 200
        assert service.get("/profiles/c-8", headers=customer).status_code == 403
        assert guard.token_fetches == 1


def test_authorize_many_keeps_order(live: Live) -> None:
    with Guard(live.server.url, live.client_id, live.client_secret) as guard:
        requests = [citing(case.request, live.dsr_id) for case in CASES]
        decisions = guard.authorize_many([*requests, {"subject": "bad"}])
        assert [d.allow for d in decisions[:-1]] == [case.allow for case in CASES]
        assert decisions[-1].allow is False
        assert decisions[-1].reasons[0] == POLICY_EVALUATION_FAILED
        assert guard.authorize_many([]) == []
        many = guard.authorize_many([CASES[0].request] * 1001)  # two server batches
        assert len(many) == 1001
        assert all(d.allow is CASES[0].allow for d in many)


def test_token_refresh_on_expiry_and_on_401(live: Live) -> None:
    with Guard(live.server.url, live.client_id, live.client_secret) as guard:
        case = CASES[1]
        request = case.request
        args = (request["subject"], request["action"], request["resource"], request["context"])
        assert guard.authorize(*args).allow is case.allow
        guard._token_expires = 0.0  # the token is due: fetched again before the call
        assert guard.authorize(*args).allow is case.allow
        guard._token = "revoked-token"  # still "fresh" locally, refused by the server
        assert guard.authorize(*args).allow is case.allow
        assert guard.token_fetches == 3
    with Guard(live.server.url, live.client_id, "wrong-secret") as bad:
        denied = bad.authorize(*args)
        assert denied.allow is False
        assert denied.reasons[0] == POLICY_EVALUATION_FAILED


def test_cache_keeps_only_allows_without_obligations(live: Live) -> None:
    transport = CountingTransport()
    guard = Guard(
        live.server.url,
        live.client_id,
        live.client_secret,
        cache_ttl_seconds=60,
        transport=transport,
    )
    plain = next(c for c in CASES if c.allow and not c.obligation).request
    obliged = next(c for c in CASES if c.obligation).request
    denied = next(c for c in CASES if not c.allow).request
    with guard:
        for request in (plain, plain, obliged, obliged, denied, denied):
            guard.authorize(
                request["subject"], request["action"], request["resource"], request["context"]
            )
    assert transport.paths.count("/v1/authorize") == 5  # the second plain allow was cached
    uncached = CountingTransport()
    with Guard(live.server.url, live.client_id, live.client_secret, transport=uncached) as g:
        for _ in range(2):
            g.authorize(plain["subject"], plain["action"], plain["resource"], plain["context"])
    assert uncached.paths.count("/v1/authorize") == 2  # off by default


def test_timeout_and_unreachable_fail_closed(live: Live) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections (backlog) and never answers
    try:
        port = silent.getsockname()[1]
        with Guard(f"http://127.0.0.1:{port}", "id", "secret", timeout_seconds=0.2) as guard:
            decision = guard.authorize({"id": "u", "type": "user"}, "read", {"type": "x"})
            assert decision.allow is False
            assert decision.reasons[0] == POLICY_EVALUATION_FAILED
            assert "timed out" in decision.reasons[1] or "unreachable" in decision.reasons[1]
    finally:
        silent.close()
    with Guard("http://127.0.0.1:9", "id", "secret", timeout_seconds=0.2) as guard:
        decisions = guard.authorize_many([req(AGENT, "read", profile())])
        assert decisions[0].allow is False
        assert decisions[0].failed
