# FinSolve's access model (ACCESS-MODEL.md): RBAC + ABAC over one request shape.
#
# Grants come from the rules below; violations override every grant; a deny always
# carries at least one reason. Missing attributes are read restrictively: an unlabelled
# resource counts as Restricted (level 4), missing MFA/IP/expiry/ticket data fails.
package finsolve.authz

import rego.v1

import data.finsolve.lib

# Bodies read `input.resource.x`, `input.context.x`, `input.subject.id` and
# `data.finsolve.config.x` directly, not through helper rules: on regorus every rule
# reference is a lookup of its own (ADR 0206). A direct reference is undefined exactly when
# the one through `resource`/`ctx`/`subject` below is; `object.get` with a default keeps
# going through them.
subject := object.get(input, "subject", {})

resource := object.get(input, "resource", {})

ctx := object.get(input, "context", {})

attrs := object.get(subject, "attributes", {})

action := object.get(object.get(input, "action", {}), "name", "")

rtype := object.get(resource, "type", "")

subject_type := object.get(subject, "type", "")

# Rule 4 / seed §5.1.2: an unlabelled resource is treated as Restricted.
level := l if {
	l := input.resource.classification
	is_number(l)
} else := 4

# Human roles count only for users, service roles only for services.
roles contains role if {
	subject_type == "user"
	some role in object.get(subject, "roles", [])
	role in data.finsolve.config.human_roles
}

roles contains role if {
	subject_type == "service"
	some role in object.get(subject, "roles", [])
	role in data.finsolve.config.service_roles
}

consents := c if {
	c := input.context.consents
	is_array(c)
} else := []

owns_resource if {
	owner := input.resource.owner_id
	owner == input.subject.id
}

# --- Rule 2: own data -------------------------------------------------------------------
grants contains {"rule": "own_data", "obligations": []} if {
	"customer" in roles
	action in {"read", "update"}
	level <= 3
	owns_resource
}

hints contains "customers may only read or update their own data" if {
	"customer" in roles
	not owns_resource
}

# --- Rule 3: support --------------------------------------------------------------------
# A field is requested when listed, or when the request lists no fields at all (the whole
# configured list, without a per-field function call).
support_masked := data.finsolve.config.support.masked_fields if {
	not is_array(input.resource.fields)
} else := [f | some f in data.finsolve.config.support.masked_fields; f in input.resource.fields]

support_obligations := [{"type": "mask", "fields": support_masked, "format": "last4"}] if {
	count(support_masked) > 0
} else := []

ticket_matches if {
	owner := input.resource.owner_id
	input.context.ticket_customer_id == owner
}

grants contains {"rule": "support_ticket", "obligations": support_obligations} if {
	"support_agent" in roles
	action == "read"
	level <= 3
	ticket_matches
}

hints contains "support agents need an open ticket for the resource owner" if {
	"support_agent" in roles
	not ticket_matches
}

hints contains "support agents may only read customer data" if {
	"support_agent" in roles
	action != "read"
}

# --- Rule 4: restricted data ------------------------------------------------------------
grants contains {"rule": "restricted_service_access", "obligations": [{"type": "audit", "severity": "high"}]} if {
	input.resource.classification == 4 # explicitly labelled: an unlabelled resource grants nothing
	action == "read"
	some role in roles
	grant := data.finsolve.config.restricted_access[role]
	rtype in grant.resource_types
	input.context.purpose == grant.purpose
}

violations contains "level 4 (restricted) data is never reachable by human roles" if {
	level == 4
	subject_type != "service"
}

hints contains "level 4 (restricted) data is reachable only by svc:payments and svc:auth for their purpose" if {
	level == 4
	subject_type == "service"
}

# --- Rule 5: analytics ------------------------------------------------------------------
pseudonymized := data.finsolve.config.direct_identifiers if {
	not is_array(input.resource.fields)
} else := [f | some f in data.finsolve.config.direct_identifiers; f in input.resource.fields]

analytics_obligations := [{"type": "pseudonymize", "fields": pseudonymized}] if {
	count(pseudonymized) > 0
} else := []

grants contains {"rule": "analytics_with_consent", "obligations": analytics_obligations} if {
	"svc:analytics" in roles
	action == "read"
	level <= 3
	"analytics" in consents
}

hints contains "analytics needs the data principal's consent to \"analytics\" (DPDP Act s.6, GDPR Art. 6-7)" if {
	"svc:analytics" in roles
	not "analytics" in consents
}

# --- Rule 6: notification ---------------------------------------------------------------
only_contact_fields if {
	is_array(input.resource.fields)
	count(input.resource.fields) > 0
	every f in input.resource.fields {
		f in data.finsolve.config.contact_fields
	}
}

grants contains {"rule": "notification_contact", "obligations": []} if {
	"svc:notification" in roles
	action == "read"
	level == 3
	input.context.purpose == "notification"
	only_contact_fields
}

hints contains "notification may read only contact fields (name, email, phone) for purpose notification" if {
	"svc:notification" in roles
	not only_contact_fields
}

# --- Rule 7: wealth and payments --------------------------------------------------------
grants contains {"rule": "service_resource_types", "obligations": []} if {
	some role in roles
	some prefix in data.finsolve.config.service_resource_prefixes[role]
	action in {"read", "update"}
	level <= 3
	startswith(rtype, prefix)
}

# --- Rule 8: engineers ------------------------------------------------------------------
grants contains {"rule": "engineer_internal", "obligations": []} if {
	"engineer" in roles
	action == "read"
	level <= 2
}

hints contains "engineers may read levels 1-2 only; production PII (level >= 3) is denied" if {
	"engineer" in roles
	level >= 3
}

# --- Rule 9: administration -------------------------------------------------------------
admin_action if startswith(action, "admin:")

admin_failures contains "admin actions need role admin" if {
	admin_action
	not "admin" in roles
}

admin_failures contains sprintf("admin actions need MFA within the last %d seconds", [data.finsolve.config.admin.mfa_max_age_seconds]) if {
	admin_action
	not lib.mfa_fresh(attrs, data.finsolve.config.admin.mfa_max_age_seconds)
}

admin_failures contains "admin actions must come from the admin network allowlist" if {
	admin_action
	not lib.ip_allowed(object.get(ctx, "ip", null), data.finsolve.config.admin.cidrs)
}

grants contains {"rule": "administration", "obligations": []} if {
	admin_action
	count(admin_failures) == 0
}

hints contains reason if some reason in admin_failures

# --- Rule 10: DPO -----------------------------------------------------------------------
dsr_open if lib.non_empty_string(object.get(ctx, "dsr_id", null))

grants contains {"rule": "dpo_dsr", "obligations": [{"type": "audit", "severity": "high"}]} if {
	"dpo" in roles
	action in {"read", "export", "erase"}
	level <= 3
	dsr_open
}

hints contains "DPO access to personal data needs an open data subject request (context.dsr_id)" if {
	"dpo" in roles
	not dsr_open
}

# --- Rule 11: auditor -------------------------------------------------------------------
grants contains {"rule": "auditor_engagement", "obligations": []} if {
	"auditor" in roles
	action == "read"
	rtype in data.finsolve.config.auditor_resource_types
	lib.engagement_active(attrs)
}

hints contains "auditor engagement has expired or is not set" if {
	"auditor" in roles
	not lib.engagement_active(attrs)
}

hints contains "auditors may read evidence, reports, audit logs and controls only" if {
	"auditor" in roles
	not rtype in data.finsolve.config.auditor_resource_types
}

# --- Rule 12: break-glass ---------------------------------------------------------------
break_glass if {
	lib.non_empty_string(object.get(ctx, "justification", null))
	lib.non_empty_string(object.get(ctx, "incident_id", null))
}

grants contains {"rule": "analyst_internal", "obligations": []} if {
	"security_analyst" in roles
	action == "read"
	level <= 2
}

grants contains {"rule": "break_glass", "obligations": [{"type": "notify", "channel": "security_team"}, {"type": "audit", "severity": "high"}]} if {
	"security_analyst" in roles
	action == "read"
	level == 3
	break_glass
}

hints contains "break-glass access to level 3 needs context.justification and context.incident_id" if {
	"security_analyst" in roles
	level == 3
	not break_glass
}

# --- Rule 13: data localisation (DPDP Act s.16) -----------------------------------------
region_allowed if {
	region := input.resource.region
	region in data.finsolve.config.localisation.allowed_regions
	not data.finsolve.config.localisation.region_countries[region] in data.finsolve.config.localisation.restricted_countries
}

violations contains sprintf("data localisation (DPDP Act s.16): region \"%s\" may not process residency \"%s\" data", [object.get(resource, "region", ""), input.resource.residency]) if {
	input.resource.residency in data.finsolve.config.localisation.residencies
	not region_allowed
}

# --- Rule 14: consent withdrawal --------------------------------------------------------
violations contains sprintf("consent withdrawn or missing for purpose \"%s\" (DPDP Act s.6-7)", [purpose]) if {
	is_array(input.context.consents)
	purpose := input.context.purpose
	purpose in data.finsolve.config.consent_purposes
	not purpose in data.finsolve.config.legitimate_uses
	not purpose in input.context.consents
}

# --- Decision ---------------------------------------------------------------------------
default allow := false

allow if {
	count(grants) > 0
	count(violations) == 0
}

found_reasons := violations | hints

deny_reasons := found_reasons if {
	count(found_reasons) > 0
} else := {sprintf("default deny: no rule allows \"%s\" on \"%s\" for this subject", [action, rtype])}

# One definition per outcome: an allow never evaluates the deny reasons, a deny never
# collects obligations (ADR 0206).
decision := {
	"allow": true,
	"reasons": sort([concat("", ["allowed by rule ", g.rule]) | some g in grants]),
	"obligations": [o | some o in obligation_set],
} if allow else := {
	"allow": false,
	"reasons": sort([r | some r in deny_reasons]),
	"obligations": [],
}

obligation_set := {o | some g in grants; some o in g.obligations}

# The parts on their own (Data API: /v1/data/finsolve/authz/reasons, .../obligations).
reasons := decision.reasons

obligations := decision.obligations
