# Unit tests of finsolve.authz: each access-model rule, allow and deny sides.
package finsolve.authz_test

import rego.v1

import data.finsolve.authz

import data.finsolve.lib

user(id, roles, attributes) := {"id": id, "type": "user", "roles": roles, "attributes": attributes}

service(role) := {"id": role, "type": "service", "roles": [role], "attributes": {}}

profile(owner, level) := {"type": "customer_profile", "id": owner, "owner_id": owner, "classification": level}

req(subject, action, resource, context) := {"subject": subject, "action": {"name": action}, "resource": resource, "context": context}

decide(request) := d if {
	d := authz.decision with input as request
}

allowed(request) if decide(request).allow

denied_with(request, reason) if {
	d := decide(request)
	not d.allow
	reason in d.reasons
}

customer := user("c-9", ["customer"], {})

# Rule 1: default deny --------------------------------------------------------------------
test_default_deny_unknown_role if {
	d := decide(req(user("u-1", ["visitor"], {}), "read", profile("c-9", 1), {}))
	not d.allow
	d.reasons == ["default deny: no rule allows \"read\" on \"customer_profile\" for this subject"]
}

test_default_deny_empty_input if {
	d := decide({})
	not d.allow
	count(d.reasons) == 1
}

test_service_role_held_by_user_does_not_count if {
	not allowed(req(user("u-1", ["svc:wealth"], {}), "read", {"type": "portfolio", "classification": 3}, {}))
}

test_unlabelled_resource_is_restricted if {
	denied_with(
		req(customer, "read", {"type": "customer_profile", "owner_id": "c-9"}, {}),
		"level 4 (restricted) data is never reachable by human roles",
	)
}

# Rule 2: own data -------------------------------------------------------------------------
test_customer_reads_own_data if allowed(req(customer, "read", profile("c-9", 3), {}))

test_customer_updates_own_data if allowed(req(customer, "update", profile("c-9", 3), {}))

test_customer_denied_other_customer if {
	denied_with(req(customer, "read", profile("c-10", 3), {}), "customers may only read or update their own data")
}

test_customer_denied_delete if not allowed(req(customer, "delete", profile("c-9", 3), {}))

test_customer_denied_level4_own if not allowed(req(customer, "read", profile("c-9", 4), {}))

# Rule 3: support --------------------------------------------------------------------------
agent := user("u-7", ["support_agent"], {})

test_support_reads_with_ticket_and_masks if {
	resource := object.union(profile("c-9", 3), {"fields": ["name", "email", "pan", "account_number"]})
	d := decide(req(agent, "read", resource, {"ticket_customer_id": "c-9"}))
	d.allow
	d.obligations == [{"type": "mask", "fields": ["pan", "account_number"], "format": "last4"}]
}

test_support_masks_all_when_fields_unlisted if {
	d := decide(req(agent, "read", profile("c-9", 3), {"ticket_customer_id": "c-9"}))
	d.obligations == [{"type": "mask", "fields": ["pan", "account_number", "phone"], "format": "last4"}]
}

test_support_no_mask_without_masked_fields if {
	resource := object.union(profile("c-9", 3), {"fields": ["name"]})
	d := decide(req(agent, "read", resource, {"ticket_customer_id": "c-9"}))
	d.allow
	d.obligations == []
}

test_support_denied_without_ticket if {
	denied_with(req(agent, "read", profile("c-9", 3), {}), "support agents need an open ticket for the resource owner")
}

test_support_denied_other_ticket if not allowed(req(agent, "read", profile("c-9", 3), {"ticket_customer_id": "c-1"}))

test_support_denied_update if {
	denied_with(req(agent, "update", profile("c-9", 3), {"ticket_customer_id": "c-9"}), "support agents may only read customer data")
}

test_support_denied_level4 if not allowed(req(agent, "read", profile("c-9", 4), {"ticket_customer_id": "c-9"}))

# Rule 4: restricted data ------------------------------------------------------------------
card := {"type": "payment_credential", "id": "pc-1", "classification": 4}

token := {"type": "auth_token", "id": "t-1", "classification": 4}

test_payments_reads_card_for_payment_processing if {
	d := decide(req(service("svc:payments"), "read", card, {"purpose": "payment_processing"}))
	d.allow
	d.obligations == [{"type": "audit", "severity": "high"}]
}

test_payments_denied_card_other_purpose if not allowed(req(service("svc:payments"), "read", card, {"purpose": "analytics"}))

test_auth_reads_token_for_authentication if allowed(req(service("svc:auth"), "read", token, {"purpose": "authentication"}))

test_auth_denied_card if {
	denied_with(
		req(service("svc:auth"), "read", card, {"purpose": "authentication"}),
		"level 4 (restricted) data is reachable only by svc:payments and svc:auth for their purpose",
	)
}

test_restricted_grant_needs_explicit_label if {
	not allowed(req(service("svc:auth"), "read", {"type": "auth_token"}, {"purpose": "authentication"}))
}

test_admin_denied_level4 if {
	admin := user("a-1", ["admin"], {"mfa_age_seconds": 10})
	denied_with(req(admin, "admin:read", card, {"ip": "10.0.0.1"}), "level 4 (restricted) data is never reachable by human roles")
}

# Rule 5: analytics ------------------------------------------------------------------------
test_analytics_with_consent_pseudonymizes if {
	resource := object.union(profile("c-9", 3), {"fields": ["email", "balance"]})
	d := decide(req(service("svc:analytics"), "read", resource, {"purpose": "analytics", "consents": ["analytics"]}))
	d.allow
	d.obligations == [{"type": "pseudonymize", "fields": ["email"]}]
}

test_analytics_without_identifiers_has_no_obligation if {
	resource := object.union(profile("c-9", 2), {"fields": ["balance"]})
	d := decide(req(service("svc:analytics"), "read", resource, {"consents": ["analytics"]}))
	d.allow
	d.obligations == []
}

test_analytics_denied_without_consent if {
	d := decide(req(service("svc:analytics"), "read", profile("c-9", 3), {"purpose": "analytics", "consents": []}))
	not d.allow
	some r in d.reasons
	contains(r, "consent")
}

test_analytics_denied_without_consent_list if not allowed(req(service("svc:analytics"), "read", profile("c-9", 3), {}))

# Rule 6: notification ---------------------------------------------------------------------
contact := object.union(profile("c-9", 3), {"fields": ["email", "phone"]})

test_notification_reads_contact_fields if allowed(req(service("svc:notification"), "read", contact, {"purpose": "notification"}))

test_notification_denied_other_fields if {
	resource := object.union(profile("c-9", 3), {"fields": ["email", "pan"]})
	denied_with(
		req(service("svc:notification"), "read", resource, {"purpose": "notification"}),
		"notification may read only contact fields (name, email, phone) for purpose notification",
	)
}

test_notification_denied_other_purpose if not allowed(req(service("svc:notification"), "read", contact, {"purpose": "marketing"}))

# Rule 7: wealth and payments --------------------------------------------------------------
test_wealth_updates_portfolio if allowed(req(service("svc:wealth"), "update", {"type": "portfolio_holding", "classification": 3}, {}))

test_wealth_denied_payment if not allowed(req(service("svc:wealth"), "read", {"type": "payment", "classification": 3}, {}))

test_payments_reads_transactions if allowed(req(service("svc:payments"), "read", {"type": "transaction", "classification": 3}, {}))

test_payments_denied_delete if not allowed(req(service("svc:payments"), "delete", {"type": "transaction", "classification": 3}, {}))

# Rule 8: engineers ------------------------------------------------------------------------
engineer := user("e-1", ["engineer"], {})

test_engineer_reads_internal if allowed(req(engineer, "read", {"type": "runbook", "classification": 2}, {}))

test_engineer_denied_pii if {
	denied_with(req(engineer, "read", profile("c-9", 3), {}), "engineers may read levels 1-2 only; production PII (level >= 3) is denied")
}

# Rule 9: administration -------------------------------------------------------------------
admin_ok := user("a-1", ["admin"], {"mfa_age_seconds": 120})

test_admin_action_allowed if allowed(req(admin_ok, "admin:rotate_keys", {"type": "key", "classification": 2}, {"ip": "10.0.4.7"}))

test_admin_action_needs_role if {
	denied_with(req(engineer, "admin:rotate_keys", {"type": "key", "classification": 2}, {"ip": "10.0.4.7"}), "admin actions need role admin")
}

test_admin_action_needs_fresh_mfa if {
	stale := user("a-1", ["admin"], {"mfa_age_seconds": 901})
	denied_with(req(stale, "admin:rotate_keys", {"type": "key", "classification": 2}, {"ip": "10.0.4.7"}), "admin actions need MFA within the last 900 seconds")
}

test_admin_action_needs_allowlisted_ip if {
	denied_with(req(admin_ok, "admin:rotate_keys", {"type": "key", "classification": 2}, {"ip": "192.168.1.1"}), "admin actions must come from the admin network allowlist")
}

test_admin_each_failure_is_a_reason if {
	d := decide(req(user("a-1", ["admin"], {}), "admin:rotate_keys", {"type": "key", "classification": 2}, {}))
	not d.allow
	count(d.reasons) == 2
}

# Rule 10: DPO -----------------------------------------------------------------------------
dpo := user("d-1", ["dpo"], {})

test_dpo_exports_with_dsr if {
	d := decide(req(dpo, "export", profile("c-9", 3), {"dsr_id": "dsr-1"}))
	d.allow
	d.obligations == [{"type": "audit", "severity": "high"}]
}

test_dpo_erases_with_dsr if allowed(req(dpo, "erase", profile("c-9", 3), {"dsr_id": "dsr-1"}))

test_dpo_denied_without_dsr if {
	denied_with(req(dpo, "read", profile("c-9", 3), {"dsr_id": null}), "DPO access to personal data needs an open data subject request (context.dsr_id)")
}

# Rule 11: auditor -------------------------------------------------------------------------
auditor := user("au-1", ["auditor"], {"engagement_expires_at": "2099-01-31T00:00:00Z"})

test_auditor_reads_evidence if allowed(req(auditor, "read", {"type": "evidence", "classification": 2}, {}))

test_auditor_denied_customer_data if {
	denied_with(req(auditor, "read", profile("c-9", 3), {}), "auditors may read evidence, reports, audit logs and controls only")
}

test_auditor_denied_after_engagement if {
	expired := user("au-1", ["auditor"], {"engagement_expires_at": "2020-01-31T00:00:00Z"})
	denied_with(req(expired, "read", {"type": "report", "classification": 2}, {}), "auditor engagement has expired or is not set")
}

# Rule 12: break-glass ---------------------------------------------------------------------
analyst := user("s-1", ["security_analyst"], {})

test_analyst_reads_internal if allowed(req(analyst, "read", {"type": "ops_metric", "classification": 2}, {}))

test_break_glass_allows_with_obligations if {
	d := decide(req(analyst, "read", profile("c-9", 3), {"justification": "fraud spike", "incident_id": "inc-7"}))
	d.allow
	{"type": "notify", "channel": "security_team"} in d.obligations
	{"type": "audit", "severity": "high"} in d.obligations
}

test_break_glass_denied_without_justification if {
	denied_with(
		req(analyst, "read", profile("c-9", 3), {"justification": "  ", "incident_id": "inc-7"}),
		"break-glass access to level 3 needs context.justification and context.incident_id",
	)
}

# Rule 13: data localisation ---------------------------------------------------------------
in_resident(region) := object.union(profile("c-9", 3), {"residency": "IN", "region": region})

test_localisation_allowed_region if allowed(req(customer, "read", in_resident("ap-south-2"), {}))

test_localisation_denied_foreign_region if {
	d := decide(req(customer, "read", in_resident("eu-west-1"), {}))
	not d.allow
	some r in d.reasons
	contains(r, "s.16")
}

test_localisation_denied_missing_region if {
	resource := object.union(profile("c-9", 3), {"residency": "IN"})
	not allowed(req(customer, "read", resource, {}))
}

test_localisation_restricted_country_wins if {
	not allowed(req(customer, "read", in_resident("ap-south-1"), {})) with data.finsolve.config.localisation.restricted_countries as ["IN"]
}

test_localisation_ignores_other_residency if {
	resource := object.union(profile("c-9", 3), {"residency": "SG", "region": "eu-west-1"})
	allowed(req(customer, "read", resource, {}))
}

# Rule 14: consent withdrawal --------------------------------------------------------------
test_consent_withdrawn_denies if {
	d := decide(req(customer, "read", profile("c-9", 3), {"purpose": "marketing", "consents": ["analytics"]}))
	not d.allow
	d.reasons == ["consent withdrawn or missing for purpose \"marketing\" (DPDP Act s.6-7)"]
}

test_consent_given_allows if allowed(req(customer, "read", profile("c-9", 3), {"purpose": "marketing", "consents": ["marketing"]}))

test_legitimate_use_needs_no_consent if {
	allowed(req(service("svc:payments"), "read", {"type": "payment", "classification": 3}, {"purpose": "payment_processing", "consents": []}))
}

# Malformed attributes are "condition not met", never an evaluation error (fail closed with
# a reason, not "policy evaluation failed").
test_lib_malformed_ip_is_not_allowed if {
	not lib.ip_allowed("bad", ["10.0.0.0/8"])
	not lib.ip_allowed("10.0.0.0/8", ["10.0.0.0/8"])
	not lib.ip_allowed(7, ["10.0.0.0/8"])
	lib.ip_allowed("10.1.2.3", ["10.0.0.0/8"])
	lib.ip_allowed("::1", ["::1/128"])
}

test_lib_malformed_times_are_not_active if {
	not lib.engagement_active({"engagement_expires_at": "not a time"})
	not lib.engagement_active({"engagement_expires_at": "2099-02-30T00:00:00Z"})
	not lib.engagement_active({"engagement_expires_at": "2099-13-01T00:00:00Z"})
	not lib.engagement_active({"engagement_expires_at": "9999-01-01T00:00:00Z"})
	not lib.engagement_active({"engagement_expires_at": "2099-01-01"})
	lib.engagement_active({"engagement_expires_at": "2099-01-01T00:00:00Z"})
	lib.engagement_active({"engagement_expires_at": "2096-02-29T12:00:00.5+05:30"})
	not lib.engagement_active({"engagement_expires_at": "2100-02-29T00:00:00Z"})
}

test_admin_with_malformed_ip_is_denied_with_reason if {
	denied_with(req(admin_ok, "admin:rotate_keys", {"type": "key", "classification": 2}, {"ip": "bad"}), "admin actions must come from the admin network allowlist")
}
