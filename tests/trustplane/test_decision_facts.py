"""Facts the control plane holds are not taken from the caller (issue 15, item 4; ADR 0212).

The real app over SQLite and PostgreSQL: a DSR cited by a decision is read from the DSR
table, a system's region from the data map loaded through ``PUT /v1/datamap``, on every
decision entry point (``/v1/authorize``, its batch, AuthZEN one and many, the OPA Data
API). The records failing is a real failure: their table is renamed away underneath.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from policies import DSR_REGISTRY_UNAVAILABLE, POLICY_EVALUATION_FAILED, SYSTEM_RECORDS_UNAVAILABLE
from tests import callers
from tests.authzen import authzen_body
from tests.privacy.live_dsr import open_dsr
from tests.privacy.test_http import TokenAuthenticator, auth
from tests.services import Postgres
from trustplane.app import create_app
from trustplane.container import Container, build_container
from trustplane.db import make_engine
from trustplane.migrations.runner import upgrade
from trustplane.settings import Settings

DATAMAP = """\
version: 1
organisation: FinSolve Technologies
systems:
  - name: core_banking
    kind: manual
    assignee: ops@finsolve.example
    region: {core}
  - name: marketing_eu
    kind: manual
    assignee: ops@finsolve.example
    region: eu-west-1
"""

Answer = tuple[bool, list[str]]
Entry = Callable[[TestClient, dict[str, Any]], Answer]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, Container]]:
    data_dir = tmp_path_factory.mktemp("facts")
    url = f"sqlite:///{data_dir / 'trustplane.db'}"
    if request.param == "postgres":
        server: Postgres = request.getfixturevalue("postgres")
        url = server.create_database()
    # every decision looks for a newer data map (the default looks at most once a second)
    settings = Settings(data_dir=data_dir, database_url=url, privacy={"datamap_refresh_seconds": 0})
    container = build_container(settings, make_engine(url))
    upgrade(container.engine)
    container = replace(container, authenticator=TokenAuthenticator())
    with TestClient(create_app(settings, container), client=callers.ADMIN_NETWORK_CLIENT) as client:
        assert load_datamap(client, "ap-south-1").status_code == 200
        yield client, container
    container.close()


@pytest.fixture
def client(served: tuple[TestClient, Container]) -> TestClient:
    return served[0]


@pytest.fixture
def container(served: tuple[TestClient, Container]) -> Container:
    return served[1]


def load_datamap(client: TestClient, core_region: str) -> Any:
    return client.put(
        "/v1/datamap",
        content=DATAMAP.format(core=core_region),
        headers={**auth("dpo"), "Content-Type": "application/yaml"},
    )


# -- the entry points -------------------------------------------------------------------


def via_authorize(client: TestClient, request: dict[str, Any]) -> Answer:
    response = client.post("/v1/authorize", json=request, headers=auth("service"))
    assert response.status_code == 200, response.text
    return response.json()["allow"], response.json()["reasons"]


def via_batch(client: TestClient, request: dict[str, Any]) -> Answer:
    body = {"requests": [request, request]}
    response = client.post("/v1/authorize/batch", json=body, headers=auth("service"))
    assert response.status_code == 200, response.text
    first, second = response.json()["decisions"]
    assert (first["allow"], first["reasons"]) == (second["allow"], second["reasons"])
    return first["allow"], first["reasons"]


def via_authzen(client: TestClient, request: dict[str, Any]) -> Answer:
    response = client.post(
        "/access/v1/evaluation", json=authzen_body(request), headers=auth("service")
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    return answer["decision"], answer["context"]["reasons"]


def via_authzen_many(client: TestClient, request: dict[str, Any]) -> Answer:
    body = {"evaluations": [authzen_body(request)]}
    response = client.post("/access/v1/evaluations", json=body, headers=auth("service"))
    assert response.status_code == 200, response.text
    (answer,) = response.json()["evaluations"]
    return answer["decision"], answer["context"]["reasons"]


def via_data_api(client: TestClient, request: dict[str, Any]) -> Answer:
    response = client.post(
        "/v1/data/finsolve/authz/decision", json={"input": request}, headers=auth("service")
    )
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    allow = client.post(
        "/v1/data/finsolve/authz/allow", json={"input": request}, headers=auth("service")
    )
    assert allow.status_code == 200, allow.text
    assert allow.json()["result"] is result["allow"]
    return result["allow"], result["reasons"]


ENTRIES = [via_authorize, via_batch, via_authzen, via_authzen_many, via_data_api]


def dpo_read(dsr_id: str | None, owner: str = "c-9") -> dict[str, Any]:
    """What a domain service asks before showing a data principal's profile to the DPO."""
    return {
        "subject": {"id": "u-dpo", "type": "user", "roles": ["dpo"]},
        "action": {"name": "read"},
        "resource": {
            "type": "customer_profile",
            "id": owner,
            "owner_id": owner,
            "classification": 3,
        },
        "context": {"purpose": "dsr", "dsr_id": dsr_id},
    }


def payment_read(**resource: Any) -> dict[str, Any]:
    """svc:payments reading a payment (rule 7), wherever rule 13 lets it."""
    return {
        "subject": {"id": "svc-payments", "type": "service", "roles": ["svc:payments"]},
        "action": {"name": "read"},
        "resource": {"type": "payment", "id": "p-1", "classification": 3, **resource},
        "context": {"purpose": "payment_processing"},
    }


class Renamed:
    """A table of trustplane's records taken away for the length of a ``with`` block."""

    def __init__(self, container: Container, table: str) -> None:
        self.engine, self.table = container.engine, table

    def _rename(self, old: str, new: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))

    def __enter__(self) -> None:
        self._rename(self.table, f"{self.table}_away")

    def __exit__(self, *_: object) -> None:
        self._rename(f"{self.table}_away", self.table)


# -- data subject requests --------------------------------------------------------------


@pytest.mark.parametrize("entry", ENTRIES)
def test_an_unknown_dsr_id_is_a_deny_with_that_reason(client: TestClient, entry: Entry) -> None:
    for forged in ("dsr-42", "0b6f4c8e-5a7e-4c1e-9b0e-2f1d3c4b5a69", "\u0000' or 1=1 --"):
        allow, reasons = entry(client, dpo_read(forged))
        assert allow is False
        assert any("unknown data subject request" in reason for reason in reasons), reasons


@pytest.mark.parametrize("entry", ENTRIES)
def test_only_a_verified_request_in_progress_about_the_owner_allows(
    client: TestClient, container: Container, entry: Entry
) -> None:
    live = open_dsr(container.privacy, "c-9")
    allow, reasons = entry(client, dpo_read(live))
    assert allow is True, reasons
    allow, reasons = entry(client, dpo_read(live, owner="c-10"))
    assert allow is False
    assert any("is not about this data principal" in reason for reason in reasons)
    waiting = open_dsr(container.privacy, "c-9", in_progress=False)
    allow, reasons = entry(client, dpo_read(waiting))
    assert allow is False
    assert any("not verified and in progress" in reason for reason in reasons)
    allow, reasons = entry(client, dpo_read(None))
    assert allow is False
    assert any("purpose dsr needs context.dsr_id" in reason for reason in reasons)


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_dsr_register_that_cannot_answer_denies(
    client: TestClient, container: Container, entry: Entry
) -> None:
    live = open_dsr(container.privacy, "c-9")
    with Renamed(container, "privacy_dsr"):
        allow, reasons = entry(client, dpo_read(live))
    assert allow is False
    if entry is not via_data_api:
        assert reasons == [POLICY_EVALUATION_FAILED, DSR_REGISTRY_UNAVAILABLE]
    assert entry(client, dpo_read(live))[0] is True  # back with its table


def test_the_data_api_refuses_other_paths_with_a_problem(client: TestClient) -> None:
    response = client.post(
        "/v1/data/finsolve/authz/reasons",
        json={"input": dpo_read("dsr-42")},
        headers=auth("service"),
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "unknown data subject request" in response.json()["detail"]


# -- data residency ---------------------------------------------------------------------


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_claimed_indian_region_is_overruled_by_the_data_map(
    client: TestClient, entry: Entry
) -> None:
    claimed = payment_read(system="marketing_eu", region="ap-south-1", residency="IN")
    allow, reasons = entry(client, claimed)
    assert allow is False
    assert any("DPDP Act s.16" in r and "eu-west-1" in r for r in reasons), reasons
    if entry is not via_data_api:  # a Data API value is the policy's, notes go to its log
        assert any("data map overrides the caller" in r for r in reasons), reasons
    silent = payment_read(system="marketing_eu")  # no region, no residency: still India's data
    assert entry(client, silent)[0] is False
    assert entry(client, payment_read(system="core_banking"))[0] is True


@pytest.mark.parametrize("entry", [via_authorize, via_data_api])
def test_an_unmapped_system_is_refused_for_personal_data(client: TestClient, entry: Entry) -> None:
    allow, reasons = entry(client, payment_read(system="shadow_copy", region="ap-south-1"))
    assert allow is False
    assert any("names no system of the data map" in r for r in reasons), reasons


def test_a_new_data_map_is_what_the_next_decision_reads(client: TestClient) -> None:
    assert via_authorize(client, payment_read(system="core_banking"))[0] is True
    try:
        assert load_datamap(client, "us-east-1").status_code == 200
        allow, reasons = via_authorize(client, payment_read(system="core_banking"))
        assert allow is False
        assert any("us-east-1" in r for r in reasons), reasons
    finally:
        assert load_datamap(client, "ap-south-1").status_code == 200
    assert via_authorize(client, payment_read(system="core_banking"))[0] is True


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_data_map_that_cannot_be_read_denies(
    client: TestClient, container: Container, entry: Entry
) -> None:
    with Renamed(container, "privacy_datamap"):
        allow, reasons = entry(client, payment_read(system="core_banking"))
    assert allow is False
    if entry is not via_data_api:
        assert reasons == [POLICY_EVALUATION_FAILED, SYSTEM_RECORDS_UNAVAILABLE]
    assert entry(client, payment_read(system="core_banking"))[0] is True
