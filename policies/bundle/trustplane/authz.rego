# Who may call trustplane's own API (docs/access-model.md, "trustplane's own API").
#
# input.action.name is the permission a route needs, "<area>:<verb>" (e.g. "policy:manage"),
# input.resource.type what it acts on; data.trustplane.config.permissions maps roles to patterns.
package trustplane.authz

import rego.v1

import data.finsolve.lib

cfg := data.trustplane.config

subject := object.get(input, "subject", {})

attrs := object.get(subject, "attributes", {})

ctx := object.get(input, "context", {})

permission := object.get(object.get(input, "action", {}), "name", "")

# A caller holds exactly the roles it was given (issue 15, item 1): a service account is a
# "service" only when it holds that role; one that holds only "auditor" is an auditor.
# A user never holds "service", whatever its role list says.
caller_roles contains "service" if {
	subject.type == "service"
	"service" in object.get(subject, "roles", [])
}

# Agent roles (opa-agent) are held by service accounts only; an agent-only account holds no
# "service" (above), so an OPA sidecar's credentials cannot decide, encrypt or decrypt.
caller_roles contains role if {
	subject.type == "service"
	some role in object.get(subject, "roles", [])
	role in cfg.agent_roles
}

# A service account may hold trustplane's human roles too (GRC tooling of auditors and the
# security team); the role's conditions (engagement, MFA, admin network) still apply.
caller_roles contains role if {
	some role in object.get(subject, "roles", [])
	role in cfg.human_roles
}

# The patterns that would grant this permission: exact, "*", "<area>:*" (every verb of one
# area, e.g. "dsr:*") and "*:<verb>" (e.g. "*:read", every area's read)
# (set lookups per role instead of a function call per pattern: this runs on every request).
area := split(permission, ":")[0]

verb := substring(permission, count(area) + 1, -1) if contains(permission, ":")

# A human act (data: human_acts, e.g. crypto-shredding) is granted by its exact name only,
# never by a wildcard: an admin's "*" or a DPO's "dsr:*" does not reach it.
human_act if permission in object.get(cfg, "human_acts", [])

granting_patterns contains permission

granting_patterns contains "*" if not human_act

granting_patterns contains concat("", [area, ":*"]) if {
	contains(permission, ":")
	not human_act
}

granting_patterns contains concat("", ["*:", verb]) if {
	contains(permission, ":")
	not human_act
}

# Ingesting decision logs and agent status is for agent roles alone, admins included: what
# is recorded "as reported by an agent" must come from an agent's credentials.
agent_only_permission if permission in cfg.agent_only_permissions

granting_roles contains role if {
	some role in caller_roles
	not agent_only_permission
	some pattern in cfg.permissions[role]
	pattern in granting_patterns
}

granting_roles contains role if {
	agent_only_permission
	some role in caller_roles
	role in cfg.agent_roles
	some pattern in cfg.permissions[role]
	pattern in granting_patterns
}

# Rule 11: the auditor's access is time-boxed by the engagement.
failures contains {"role": "auditor", "reason": "auditor engagement has expired or is not set"} if {
	"auditor" in granting_roles
	not lib.engagement_active(attrs)
}

# Rule 9 applies to every admin permission.
failures contains {"role": "admin", "reason": sprintf("admin actions need MFA within the last %d seconds", [data.finsolve.config.admin.mfa_max_age_seconds])} if {
	"admin" in granting_roles
	not lib.mfa_fresh(attrs, data.finsolve.config.admin.mfa_max_age_seconds)
}

failures contains {"role": "admin", "reason": "admin actions must come from the admin network allowlist"} if {
	"admin" in granting_roles
	not lib.ip_allowed(object.get(ctx, "ip", null), data.finsolve.config.admin.cidrs)
}

# A human act is done by a person who has just proved it is them (access model: "crypto-
# shredding only as a user with fresh MFA"): not a service account holding a secret, and
# with MFA no older than the admin rule's limit (rule 9).
failures contains {"role": role, "reason": sprintf("\"%s\" is a human act: only a user may do it", [permission])} if {
	human_act
	some role in granting_roles
	subject.type != "user"
}

failures contains {"role": role, "reason": sprintf("\"%s\" needs MFA within the last %d seconds", [permission, data.finsolve.config.admin.mfa_max_age_seconds])} if {
	human_act
	some role in granting_roles
	not lib.mfa_fresh(attrs, data.finsolve.config.admin.mfa_max_age_seconds)
}

failed_roles := {f.role | some f in failures}

passing_roles := granting_roles - failed_roles

default allow := false

allow if count(passing_roles) > 0

# One body per outcome, tried in order (ADR 0206): only the answer's reasons are built.
decision := {
	"allow": true,
	"reasons": sort([sprintf("permission \"%s\" granted to role %s", [permission, r]) | some r in passing_roles]),
	"obligations": [],
} if {
	allow
} else := {
	"allow": false,
	"reasons": sort([f.reason | some f in failures]),
	"obligations": [],
} if {
	count(failures) > 0
} else := {
	"allow": false,
	"reasons": [sprintf("no role of the caller holds permission \"%s\"", [permission])],
	"obligations": [],
}

reasons := decision.reasons
