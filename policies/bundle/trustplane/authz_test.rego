package trustplane.authz_test

import rego.v1

import data.trustplane.authz

call(subject, permission, context) := d if {
	d := authz.decision with input as {"subject": subject, "action": {"name": permission}, "context": context}
}

person(roles, attributes) := {"id": "u-1", "type": "user", "roles": roles, "attributes": attributes}

svc := {"id": "svc:payments", "type": "service", "roles": ["service"], "attributes": {}}

test_service_evaluates_decisions if call(svc, "decide", {}).allow

test_service_denied_policy_push if {
	d := call(svc, "policy:manage", {})
	not d.allow
	d.reasons == ["no role of the caller holds permission \"policy:manage\""]
}

test_dpo_manages_dsr if call(person(["dpo"], {}), "dsr:manage", {}).allow

test_dpo_denied_keys if not call(person(["dpo"], {}), "keys:manage", {}).allow

test_auditor_reads_evidence if call(person(["auditor"], {"engagement_expires_at": "2099-01-01T00:00:00Z"}), "evidence:read", {}).allow

test_auditor_denied_after_engagement if {
	d := call(person(["auditor"], {"engagement_expires_at": "2020-01-01T00:00:00Z"}), "audit:read", {})
	not d.allow
	d.reasons == ["auditor engagement has expired or is not set"]
}

test_auditor_denied_collections if not call(person(["auditor"], {"engagement_expires_at": "2099-01-01T00:00:00Z"}), "collections:run", {}).allow

test_security_reads_everything if call(person(["security"], {}), "audit:read", {}).allow

test_security_runs_collections if call(person(["security"], {}), "collections:run", {}).allow

test_security_denied_manage if not call(person(["security"], {}), "users:manage", {}).allow

test_admin_manages_policy if call(person(["admin"], {"mfa_age_seconds": 60}), "policy:manage", {"ip": "10.2.3.4"}).allow

test_admin_denied_stale_mfa_and_foreign_ip if {
	d := call(person(["admin"], {"mfa_age_seconds": 5000}), "policy:manage", {"ip": "8.8.8.8"})
	not d.allow
	count(d.reasons) == 2
}

test_user_cannot_claim_service_role if not call(person(["service"], {}), "decide", {}).allow

test_dpo_area_wildcard_matches_verbs if call(person(["dpo"], {}), "consent:read", {}).allow

test_admin_wildcard_covers_any_permission if call(person(["admin"], {"mfa_age_seconds": 1}), "keys:rotate", {"ip": "10.0.0.9"}).allow

test_everyone_known_may_whoami if call(person(["auditor"], {"engagement_expires_at": "2099-01-01T00:00:00Z"}), "whoami", {}).allow

grc_tool(roles, attributes) := {"id": "tpc_grc", "type": "service", "roles": roles, "attributes": attributes}

test_service_account_with_auditor_role_reads_evidence if {
	call(grc_tool(["auditor"], {"engagement_expires_at": "2099-01-01T00:00:00Z"}), "evidence:read", {}).allow
}

test_service_account_auditor_still_time_boxed if not call(grc_tool(["auditor"], {}), "evidence:read", {}).allow

test_service_account_admin_still_needs_mfa if {
	d := call(grc_tool(["admin"], {}), "users:manage", {"ip": "10.0.0.9"})
	not d.allow
	d.reasons == ["admin actions need MFA within the last 900 seconds"]
}

# Every permission trustplane's routers require (grep 'require(' web/routers/), and the roles
# it must admit: both sides in one comparison (a role outside the set is denied).
route_callers := {
	"service": svc,
	"dpo": person(["dpo"], {"mfa_age_seconds": 60}),
	"auditor": person(["auditor"], {"engagement_expires_at": "2099-01-01T00:00:00Z"}),
	"security": person(["security"], {}),
	"admin": person(["admin"], {"mfa_age_seconds": 60}),
	"opa-agent": agent,
}

agent := {"id": "opa-1", "type": "service", "roles": ["opa-agent"], "attributes": {}}

admitted(permission) := {name |
	some name, caller in route_callers
	call(caller, permission, {"ip": "10.1.2.3"}).allow
}

test_route_whoami if admitted("whoami") == {"service", "opa-agent", "dpo", "auditor", "security", "admin"}

test_route_admin_manage if admitted("admin:manage") == {"admin"}

test_route_decide if admitted("decide") == {"service", "security", "admin"}

test_route_fields_encrypt if admitted("fields:encrypt") == {"service", "admin"}

# The DPO decrypts to answer access requests; rule 10 still needs an open DSR per field.
test_route_fields_decrypt if admitted("fields:decrypt") == {"service", "dpo", "admin"}

test_route_dsr_manage_is_dpo_and_admin if admitted("dsr:manage") == {"dpo", "admin"}

test_route_evidence_read if admitted("evidence:read") == {"auditor", "security", "admin"}

test_route_collections_run if admitted("collections:run") == {"security", "admin"}

test_route_audit_read if admitted("audit:read") == {"auditor", "security", "admin"}

test_route_audit_checkpoint if admitted("audit:checkpoint") == {"security", "admin"}

test_route_audit_hash if admitted("audit:hash") == {"dpo", "security", "admin"}

# Crypto-shredding is a human act: the DPO's exact permission, no admin wildcard.
test_route_subjects_shred if admitted("subjects:shred") == {"dpo"}

test_route_policy_read if admitted("policy:read") == {"security", "admin"}

test_route_policy_manage if admitted("policy:manage") == {"admin"}

test_route_bundles_read if admitted("bundles:read") == {"service", "opa-agent", "security", "admin"}

test_route_decision_logs_write if admitted("decision_logs:write") == {"opa-agent"}

test_route_agents_report if admitted("agents:report") == {"opa-agent"}

test_agent_account_cannot_decide_or_decrypt if {
	not call(agent, "decide", {}).allow
	not call(agent, "fields:decrypt", {}).allow
	not call(agent, "fields:encrypt", {}).allow
}

test_a_user_cannot_claim_the_agent_role if not call(person(["opa-agent"], {}), "decision_logs:write", {}).allow

test_agent_and_service_roles_together if {
	both := {"id": "svc:x", "type": "service", "roles": ["service", "opa-agent"], "attributes": {}}
	call(both, "decide", {}).allow
	call(both, "decision_logs:write", {}).allow
}

test_route_reports_read if admitted("reports:read") == {"auditor", "security", "admin"}

test_route_reports_generate if admitted("reports:generate") == {"auditor", "security", "admin"}

test_route_consent_read if admitted("consent:read") == {"dpo", "auditor", "security", "admin"}

test_route_breach_read if admitted("breach:read") == {"dpo", "auditor", "security", "admin"}

test_route_ropa_read if admitted("ropa:read") == {"dpo", "auditor", "security", "admin"}

test_route_consent_and_breach_are_dpo_and_admin if {
	admitted("consent:manage") == {"dpo", "admin"}
	admitted("breach:manage") == {"dpo", "admin"}
}

test_route_admin_outside_network_admitted_nowhere if {
	not call(route_callers.admin, "whoami", {"ip": "192.0.2.1"}).allow
	not call(route_callers.admin, "admin:manage", {}).allow
}

test_wildcards_match_only_their_part if {
	not call(person(["security"], {}), "read", {}).allow # "*:read" needs an area
	not call(person(["security"], {}), "readers:manage", {}).allow
	not call(person(["dpo"], {}), "dsr", {}).allow # "dsr:*" needs a verb
	not call(person(["dpo"], {}), "dsrx:manage", {}).allow
	call(person(["dpo"], {}), "breach:report", {}).allow
}

# Issue 15, item 1: a service account holds exactly its roles.
test_service_account_without_service_role_is_not_a_service if {
	auditor_only := grc_tool(["auditor"], {"engagement_expires_at": "2099-01-01T00:00:00Z"})
	not call(auditor_only, "decide", {}).allow
	not call(auditor_only, "fields:encrypt", {}).allow
	not call(auditor_only, "fields:decrypt", {}).allow
	not call(auditor_only, "decision_logs:write", {}).allow
	not call(grc_tool(["dpo"], {}), "fields:encrypt", {}).allow
	not call(grc_tool(["security"], {}), "decision_logs:write", {}).allow
	not call(grc_tool([], {}), "whoami", {}).allow
}

test_expired_auditor_service_account_gets_nothing if {
	expired := grc_tool(["auditor"], {"engagement_expires_at": "2020-01-01T00:00:00Z"})
	not call(expired, "decide", {}).allow
	not call(expired, "fields:decrypt", {}).allow
	not call(expired, "audit:read", {}).allow
}

# Issue 15, item 3: shredding is done by a DPO user with fresh MFA, nobody else.
test_shred_by_dpo_user_with_fresh_mfa if call(person(["dpo"], {"mfa_age_seconds": 30}), "subjects:shred", {}).allow

test_shred_refused_with_stale_or_missing_mfa if {
	d := call(person(["dpo"], {"mfa_age_seconds": 5000}), "subjects:shred", {})
	not d.allow
	d.reasons == ["\"subjects:shred\" needs MFA within the last 900 seconds"]
	not call(person(["dpo"], {}), "subjects:shred", {}).allow
}

test_shred_refused_to_a_dpo_service_account if {
	d := call(grc_tool(["dpo"], {"mfa_age_seconds": 1}), "subjects:shred", {})
	not d.allow
	d.reasons == ["\"subjects:shred\" is a human act: only a user may do it"]
}

test_shred_not_reached_by_wildcards if {
	d := call(person(["admin"], {"mfa_age_seconds": 1}), "subjects:shred", {"ip": "10.0.0.9"})
	not d.allow
	d.reasons == ["no role of the caller holds permission \"subjects:shred\""]
	not call(person(["security"], {}), "subjects:shred", {}).allow
}
