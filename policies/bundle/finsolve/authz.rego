# FinSolve's access model (docs/access-model.md): RBAC + ABAC over one request shape.
#
# Grants come from the rules below; violations override every grant; a deny always
# carries at least one reason. Missing attributes are read restrictively: an unlabelled
# resource counts as Restricted (level 4), missing MFA/IP/expiry/ticket data fails.
#
# Layout (ADR 0207): regorus has no rule indexing and its per-evaluation costs are the
# first evaluation of a rule, a partial-rule definition, a function call, `object.get` and
# a `data.` reference (each several µs), while expressions on `input` and on local
# variables are cheap. So `grants`, `violations` and `hints` are each ONE complete rule: a
# union of one comprehension per access-model rule, each starting with its cheapest
# failing check (the role), over the request facts bound once to local variables. A helper
# rule (ticket_matches, break_glass, ...) is evaluated only on the branch of the role that
# needs it; `hints` only for a deny.
package finsolve.authz

import rego.v1

import data.finsolve.lib

# Helpers for the rarer branches that read a part with a default.
subject := object.get(input, "subject", {})

resource := object.get(input, "resource", {})

ctx := object.get(input, "context", {})

attrs := object.get(subject, "attributes", {})

# --- Request facts ----------------------------------------------------------------------
# An absent (or non-object) part reads as missing: the action name and resource type "",
# the classification Restricted (rule 4 / seed §5.1.2), no roles.
action := a if {
	a := input.action.name
} else := ""

rtype := t if {
	t := input.resource.type
} else := ""

level := l if {
	l := input.resource.classification
	is_number(l)
} else := 4

# Human roles count only for users, service roles only for services.
roles := {role | some role in input.subject.roles; role in data.finsolve.config.human_roles} if {
	input.subject.type == "user"
} else := {role | some role in input.subject.roles; role in data.finsolve.config.service_roles} if {
	input.subject.type == "service"
} else := set()

# --- Grants -----------------------------------------------------------------------------
grants := own_data | support | restricted | analytics | notification | service_types | engineer | administration | dpo | auditor | analyst if {
	held := roles
	act := action
	lv := level
	cfg := data.finsolve.config

	# Rule 2: own data.
	own_data := {{"rule": "own_data", "obligations": []} |
		"customer" in held
		act in {"read", "update"}
		lv <= 3
		owns_resource
	}

	# Rule 3: support, with PAN/account number/phone masked.
	support := {{"rule": "support_ticket", "obligations": support_obligations} |
		"support_agent" in held
		act == "read"
		lv <= 3
		ticket_matches
	}

	# Rule 4: restricted data, only explicitly labelled level 4 (unlabelled grants nothing).
	restricted := {{"rule": "restricted_service_access", "obligations": [{"type": "audit", "severity": "high"}]} |
		input.resource.classification == 4
		act == "read"
		some role in held
		grant := cfg.restricted_access[role]
		rtype in grant.resource_types
		input.context.purpose == grant.purpose
	}

	# Rule 5: analytics with consent, direct identifiers pseudonymized.
	analytics := {{"rule": "analytics_with_consent", "obligations": analytics_obligations} |
		"svc:analytics" in held
		act == "read"
		lv <= 3
		analytics_consent
	}

	# Rule 6: notification reads contact fields of level 3 for purpose notification.
	notification := {{"rule": "notification_contact", "obligations": []} |
		"svc:notification" in held
		act == "read"
		lv == 3
		input.context.purpose == "notification"
		only_contact_fields
	}

	# Rule 7: wealth and payments services, their own resource types.
	service_types := {{"rule": "service_resource_types", "obligations": []} |
		some role in held
		some prefix in cfg.service_resource_prefixes[role]
		act in {"read", "update"}
		lv <= 3
		startswith(rtype, prefix)
	}

	# Rule 8: engineers, levels 1-2.
	engineer := {{"rule": "engineer_internal", "obligations": []} |
		"engineer" in held
		act == "read"
		lv <= 2
	}

	# Rule 9: administration, when no admin condition fails.
	administration := {{"rule": "administration", "obligations": []} |
		"admin" in held
		startswith(act, "admin:")
		count(admin_failures) == 0
	}

	# Rule 10: DPO with an open data subject request.
	dpo := {{"rule": "dpo_dsr", "obligations": [{"type": "audit", "severity": "high"}]} |
		"dpo" in held
		act in {"read", "export", "erase"}
		lv <= 3
		dsr_open
	}

	# Rule 11: auditor during the engagement.
	auditor := {{"rule": "auditor_engagement", "obligations": []} |
		"auditor" in held
		act == "read"
		rtype in cfg.auditor_resource_types
		lib.engagement_active(attrs)
	}

	# Rule 12: security analyst, level 3 only with break-glass.
	analyst := {grant |
		"security_analyst" in held
		act == "read"
		some grant in analyst_grant(lv)
	}
}

analyst_grant(lv) := {{"rule": "analyst_internal", "obligations": []}} if {
	lv <= 2
} else := {{"rule": "break_glass", "obligations": [{"type": "notify", "channel": "security_team"}, {"type": "audit", "severity": "high"}]}} if {
	lv == 3
	break_glass
}

# --- Violations: override every grant ---------------------------------------------------
violations := level4 | localisation | consent if {
	cfg := data.finsolve.config

	# Rule 4: no human role reaches level 4.
	level4 := {"level 4 (restricted) data is never reachable by human roles" |
		level == 4
		not input.subject.type == "service"
	}

	# Rule 13: data localisation (DPDP Act s.16).
	localisation := {sprintf("data localisation (DPDP Act s.16): region \"%s\" may not process residency \"%s\" data", [object.get(resource, "region", ""), input.resource.residency]) |
		input.resource.residency in cfg.localisation.residencies
		not region_allowed
	}

	# Rule 14: consent withdrawal.
	consent := {sprintf("consent withdrawn or missing for purpose \"%s\" (DPDP Act s.6-7)", [purpose]) |
		is_array(input.context.consents)
		purpose := input.context.purpose
		purpose in cfg.consent_purposes
		not purpose in cfg.legitimate_uses
		not purpose in input.context.consents
	}
}

# --- Hints: why a deny happened (evaluated only for a deny) -----------------------------
hints := customer | support_agent | restricted | analytics | notification | engineer | admin | dpo | auditor | analyst if {
	held := roles
	lv := level
	cfg := data.finsolve.config

	customer := {"customers may only read or update their own data" |
		"customer" in held
		not owns_resource
	}

	support_agent := {hint |
		"support_agent" in held
		some hint in support_hints
	}

	restricted := {"level 4 (restricted) data is reachable only by svc:payments and svc:auth for their purpose" |
		lv == 4
		input.subject.type == "service"
	}

	analytics := {"analytics needs the data principal's consent to \"analytics\" (DPDP Act s.6, GDPR Art. 6-7)" |
		"svc:analytics" in held
		not analytics_consent
	}

	notification := {"notification may read only contact fields (name, email, phone) for purpose notification" |
		"svc:notification" in held
		not only_contact_fields
	}

	engineer := {"engineers may read levels 1-2 only; production PII (level >= 3) is denied" |
		"engineer" in held
		lv >= 3
	}

	# Each failing admin condition is its own reason, whichever roles the caller holds.
	admin := {reason |
		startswith(action, "admin:")
		some reason in admin_failures
	}

	dpo := {"DPO access to personal data needs an open data subject request (context.dsr_id)" |
		"dpo" in held
		not dsr_open
	}

	auditor := {hint |
		"auditor" in held
		some hint in auditor_hints
	}

	analyst := {"break-glass access to level 3 needs context.justification and context.incident_id" |
		"security_analyst" in held
		lv == 3
		not break_glass
	}
}

# --- Per-rule conditions, evaluated only on the branches that need them -----------------
# Rule 2
owns_resource if {
	owner := input.resource.owner_id
	owner == input.subject.id
}

# Rule 3: a field is requested when listed, or when the request lists no fields at all
# (the whole configured list, without a per-field function call).
ticket_matches if {
	owner := input.resource.owner_id
	input.context.ticket_customer_id == owner
}

support_masked := data.finsolve.config.support.masked_fields if {
	not is_array(input.resource.fields)
} else := [f | some f in data.finsolve.config.support.masked_fields; f in input.resource.fields]

support_obligations := [{"type": "mask", "fields": support_masked, "format": "last4"}] if {
	count(support_masked) > 0
} else := []

support_hints contains "support agents need an open ticket for the resource owner" if not ticket_matches

support_hints contains "support agents may only read customer data" if action != "read"

# Rule 5 (consents that are not a list count as none)
analytics_consent if {
	is_array(input.context.consents)
	"analytics" in input.context.consents
}

pseudonymized := data.finsolve.config.direct_identifiers if {
	not is_array(input.resource.fields)
} else := [f | some f in data.finsolve.config.direct_identifiers; f in input.resource.fields]

analytics_obligations := [{"type": "pseudonymize", "fields": pseudonymized}] if {
	count(pseudonymized) > 0
} else := []

# Rule 6
only_contact_fields if {
	is_array(input.resource.fields)
	count(input.resource.fields) > 0
	every f in input.resource.fields {
		f in data.finsolve.config.contact_fields
	}
}

# Rule 9: every failing condition is its own reason.
admin_failures contains "admin actions need role admin" if {
	startswith(action, "admin:")
	not "admin" in roles
}

admin_failures contains sprintf("admin actions need MFA within the last %d seconds", [data.finsolve.config.admin.mfa_max_age_seconds]) if {
	startswith(action, "admin:")
	not lib.mfa_fresh(attrs, data.finsolve.config.admin.mfa_max_age_seconds)
}

admin_failures contains "admin actions must come from the admin network allowlist" if {
	startswith(action, "admin:")
	not lib.ip_allowed(object.get(ctx, "ip", null), data.finsolve.config.admin.cidrs)
}

# Rule 10
dsr_open if lib.non_empty_string(object.get(ctx, "dsr_id", null))

# Rule 11
auditor_hints contains "auditor engagement has expired or is not set" if not lib.engagement_active(attrs)

auditor_hints contains "auditors may read evidence, reports, audit logs and controls only" if {
	not rtype in data.finsolve.config.auditor_resource_types
}

# Rule 12
break_glass if {
	lib.non_empty_string(object.get(ctx, "justification", null))
	lib.non_empty_string(object.get(ctx, "incident_id", null))
}

# Rule 13: the region is allowed and its country is not restricted.
region_allowed if {
	region := input.resource.region
	region in data.finsolve.config.localisation.allowed_regions
	not data.finsolve.config.localisation.region_countries[region] in data.finsolve.config.localisation.restricted_countries
}

# --- Decision ---------------------------------------------------------------------------
# One definition per outcome: an allow never evaluates the deny reasons, a deny never
# collects obligations (ADR 0206).
decision := {
	"allow": true,
	"reasons": sort([concat("", ["allowed by rule ", g.rule]) | some g in grants]),
	"obligations": [o | some o in {ob | some g in grants; some ob in g.obligations}],
} if {
	count(grants) > 0
	count(violations) == 0
} else := {
	"allow": false,
	"reasons": deny_reasons,
	"obligations": [],
}

deny_reasons := found if {
	found := sort(violations | hints)
	count(found) > 0
} else := [sprintf("default deny: no rule allows \"%s\" on \"%s\" for this subject", [action, rtype])]

# The parts on their own (Data API: /v1/data/finsolve/authz/allow, .../reasons, .../obligations).
default allow := false

allow if {
	count(grants) > 0
	count(violations) == 0
}

reasons := decision.reasons

obligations := decision.obligations
