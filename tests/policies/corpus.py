"""The decision test corpus: every ACCESS-MODEL rule, allow and deny side, as named cases.

Used by the API decision tests (three entry points) and the regorus <-> regopy conformance
suite. ``reason`` (deny) / ``obligation`` (allow) name a fragment the decision must carry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FUTURE = "2099-01-31T00:00:00Z"
PAST = "2020-01-31T00:00:00Z"


@dataclass(frozen=True)
class Case:
    name: str
    request: dict[str, Any]
    allow: bool
    reason: str | None = None
    obligation: dict[str, Any] | None = None
    query: str = "data.finsolve.authz.decision"
    tags: tuple[str, ...] = field(default=())


def user(uid: str, roles: list[str], **attributes: Any) -> dict[str, Any]:
    return {"id": uid, "type": "user", "roles": roles, "attributes": attributes}


def service(role: str) -> dict[str, Any]:
    return {"id": role, "type": "service", "roles": [role], "attributes": {}}


def res(rtype: str, level: int, **extra: Any) -> dict[str, Any]:
    return {"type": rtype, "id": extra.pop("id", f"{rtype}-1"), "classification": level, **extra}


def profile(owner: str = "c-9", level: int = 3, **extra: Any) -> dict[str, Any]:
    return res("customer_profile", level, id=owner, owner_id=owner, **extra)


def req(
    subject: dict[str, Any], action: str, resource: dict[str, Any], **context: Any
) -> dict[str, Any]:
    return {
        "subject": subject,
        "action": {"name": action},
        "resource": resource,
        "context": context,
    }


CUSTOMER = user("c-9", ["customer"])
AGENT = user("u-7", ["support_agent"])
ENGINEER = user("e-1", ["engineer"])
ADMIN = user("a-1", ["admin"], mfa_age_seconds=120)
DPO = user("d-1", ["dpo"])
AUDITOR = user("au-1", ["auditor"], engagement_expires_at=FUTURE)
ANALYST = user("s-1", ["security_analyst"])

CASES: list[Case] = [
    # rule 1
    Case(
        "r1_default_deny_unknown_role",
        req(user("v-1", ["visitor"]), "read", profile(level=1)),
        False,
        "default deny",
    ),
    Case("r1_allow_known_role_baseline", req(CUSTOMER, "read", profile(level=1)), True),
    # rule 2
    Case("r2_customer_reads_own", req(CUSTOMER, "read", profile()), True),
    Case("r2_customer_updates_own", req(CUSTOMER, "update", profile()), True),
    Case(
        "r2_customer_denied_other", req(CUSTOMER, "read", profile("c-10")), False, "their own data"
    ),
    Case(
        "r2_customer_denied_level4",
        req(CUSTOMER, "read", profile(level=4)),
        False,
        "never reachable by human",
    ),
    # rule 3
    Case(
        "r3_support_reads_with_ticket_masked",
        req(AGENT, "read", profile(fields=["name", "pan", "phone"]), ticket_customer_id="c-9"),
        True,
        obligation={"type": "mask", "fields": ["pan", "phone"], "format": "last4"},
    ),
    Case("r3_support_denied_without_ticket", req(AGENT, "read", profile()), False, "open ticket"),
    Case(
        "r3_support_denied_update",
        req(AGENT, "update", profile(), ticket_customer_id="c-9"),
        False,
        "only read",
    ),
    Case(
        "r3_support_denied_level4",
        req(AGENT, "read", profile(level=4), ticket_customer_id="c-9"),
        False,
        "never reachable",
    ),
    # rule 4
    Case(
        "r4_payments_reads_card",
        req(
            service("svc:payments"),
            "read",
            res("payment_credential", 4),
            purpose="payment_processing",
        ),
        True,
        obligation={"type": "audit", "severity": "high"},
    ),
    Case(
        "r4_auth_reads_token",
        req(service("svc:auth"), "read", res("auth_token", 4), purpose="authentication"),
        True,
    ),
    Case(
        "r4_payments_denied_wrong_purpose",
        req(service("svc:payments"), "read", res("payment_credential", 4), purpose="analytics"),
        False,
        "reachable only by svc:payments",
    ),
    Case(
        "r4_admin_denied_level4",
        req(ADMIN, "admin:read", res("payment_credential", 4), ip="10.0.0.1"),
        False,
        "never reachable by human",
    ),
    # rule 5
    Case(
        "r5_analytics_with_consent_pseudonymized",
        req(
            service("svc:analytics"),
            "read",
            profile(fields=["email", "balance"]),
            purpose="analytics",
            consents=["analytics"],
        ),
        True,
        obligation={"type": "pseudonymize", "fields": ["email"]},
    ),
    Case(
        "r5_analytics_denied_without_consent",
        req(service("svc:analytics"), "read", profile(), purpose="analytics", consents=[]),
        False,
        "consent",
    ),
    # rule 6
    Case(
        "r6_notification_reads_contact",
        req(
            service("svc:notification"),
            "read",
            profile(fields=["email", "phone"]),
            purpose="notification",
        ),
        True,
    ),
    Case(
        "r6_notification_denied_pan",
        req(
            service("svc:notification"),
            "read",
            profile(fields=["email", "pan"]),
            purpose="notification",
        ),
        False,
        "only contact fields",
    ),
    # rule 7
    Case(
        "r7_wealth_updates_portfolio",
        req(service("svc:wealth"), "update", res("portfolio_holding", 3)),
        True,
    ),
    Case(
        "r7_payments_reads_transaction",
        req(service("svc:payments"), "read", res("transaction", 3)),
        True,
    ),
    Case(
        "r7_wealth_denied_payment",
        req(service("svc:wealth"), "read", res("payment", 3)),
        False,
        "default deny",
    ),
    # rule 8
    Case("r8_engineer_reads_internal", req(ENGINEER, "read", res("runbook", 2)), True),
    Case("r8_engineer_denied_pii", req(ENGINEER, "read", profile()), False, "production PII"),
    # rule 9
    Case(
        "r9_admin_allowed",
        req(ADMIN, "admin:rotate_keys", res("key", 2), ip="10.0.4.7"),
        True,
        tags=("cidr",),
    ),
    Case(
        "r9_admin_denied_role",
        req(ENGINEER, "admin:rotate_keys", res("key", 2), ip="10.0.4.7"),
        False,
        "need role admin",
    ),
    Case(
        "r9_admin_denied_stale_mfa",
        req(
            user("a-1", ["admin"], mfa_age_seconds=901),
            "admin:rotate_keys",
            res("key", 2),
            ip="10.0.4.7",
        ),
        False,
        "MFA within the last 900 seconds",
    ),
    Case(
        "r9_admin_denied_ip",
        req(ADMIN, "admin:rotate_keys", res("key", 2), ip="192.168.1.1"),
        False,
        "allowlist",
    ),
    # rule 10
    Case(
        "r10_dpo_exports_with_dsr",
        req(DPO, "export", profile(), dsr_id="dsr-1"),
        True,
        obligation={"type": "audit", "severity": "high"},
    ),
    Case("r10_dpo_erases_with_dsr", req(DPO, "erase", profile(), dsr_id="dsr-1"), True),
    Case(
        "r10_dpo_denied_without_dsr",
        req(DPO, "read", profile(), dsr_id=None),
        False,
        "data subject request",
    ),
    # rule 11
    Case(
        "r11_auditor_reads_evidence", req(AUDITOR, "read", res("evidence", 2)), True, tags=("time",)
    ),
    Case(
        "r11_auditor_denied_customer_data",
        req(AUDITOR, "read", profile()),
        False,
        "evidence, reports",
    ),
    Case(
        "r11_auditor_denied_expired",
        req(user("au-1", ["auditor"], engagement_expires_at=PAST), "read", res("report", 2)),
        False,
        "engagement",
    ),
    # rule 12
    Case("r12_analyst_reads_internal", req(ANALYST, "read", res("ops_metric", 2)), True),
    Case(
        "r12_break_glass_allowed",
        req(ANALYST, "read", profile(), justification="fraud spike", incident_id="inc-7"),
        True,
        obligation={"type": "notify", "channel": "security_team"},
    ),
    Case(
        "r12_break_glass_denied_without_justification",
        req(ANALYST, "read", profile(), incident_id="inc-7"),
        False,
        "break-glass",
    ),
    # rule 13
    Case(
        "r13_localised_allowed_region",
        req(CUSTOMER, "read", profile(residency="IN", region="ap-south-2")),
        True,
    ),
    Case(
        "r13_localised_denied_foreign_region",
        req(CUSTOMER, "read", profile(residency="IN", region="eu-west-1")),
        False,
        "s.16",
    ),
    # rule 14
    Case(
        "r14_consent_given",
        req(CUSTOMER, "read", profile(), purpose="marketing", consents=["marketing"]),
        True,
    ),
    Case(
        "r14_consent_withdrawn",
        req(CUSTOMER, "read", profile(), purpose="marketing", consents=["analytics"]),
        False,
        "consent withdrawn",
    ),
    Case(
        "r14_legitimate_use_without_consent",
        req(
            service("svc:payments"),
            "read",
            res("payment", 3),
            purpose="payment_processing",
            consents=[],
        ),
        True,
    ),
]

TP = "data.trustplane.authz.decision"


def tp(subject: dict[str, Any], permission: str, **context: Any) -> dict[str, Any]:
    return {
        "subject": subject,
        "action": {"name": permission},
        "resource": {"type": "api"},
        "context": context,
    }


SVC = {"id": "svc-1", "type": "service", "roles": ["service"], "attributes": {}}

TRUSTPLANE_CASES: list[Case] = [
    Case("tp_service_decides", tp(SVC, "decide"), True, query=TP),
    Case("tp_service_denied_policy_manage", tp(SVC, "policy:manage"), False, "no role", query=TP),
    Case("tp_dpo_manages_dsr", tp(user("d", ["dpo"]), "dsr:manage"), True, query=TP),
    Case("tp_dpo_denied_keys", tp(user("d", ["dpo"]), "keys:manage"), False, "no role", query=TP),
    Case(
        "tp_auditor_reads_audit",
        tp(user("a", ["auditor"], engagement_expires_at=FUTURE), "audit:read"),
        True,
        query=TP,
        tags=("time",),
    ),
    Case(
        "tp_auditor_denied_expired",
        tp(user("a", ["auditor"], engagement_expires_at=PAST), "audit:read"),
        False,
        "engagement",
        query=TP,
    ),
    Case("tp_security_reads", tp(user("s", ["security"]), "evidence:read"), True, query=TP),
    Case(
        "tp_security_denied_manage",
        tp(user("s", ["security"]), "users:manage"),
        False,
        "no role",
        query=TP,
    ),
    Case(
        "tp_admin_manages_policy",
        tp(user("a", ["admin"], mfa_age_seconds=30), "policy:manage", ip="10.9.9.9"),
        True,
        query=TP,
        tags=("cidr",),
    ),
    Case(
        "tp_admin_denied_foreign_ip",
        tp(user("a", ["admin"], mfa_age_seconds=30), "policy:manage", ip="8.8.8.8"),
        False,
        "allowlist",
        query=TP,
    ),
    Case(
        "tp_admin_denied_stale_mfa",
        tp(user("a", ["admin"], mfa_age_seconds=3600), "policy:manage", ip="10.9.9.9"),
        False,
        "MFA",
        query=TP,
    ),
]

ALL_CASES = CASES + TRUSTPLANE_CASES
