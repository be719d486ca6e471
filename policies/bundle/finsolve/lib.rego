# Checks shared by finsolve.authz and trustplane.authz.
package finsolve.lib

import rego.v1

# MFA no older than the configured age (rule 9); a missing or odd value fails.
mfa_fresh(attrs, max_age) if {
	age := attrs.mfa_age_seconds
	is_number(age)
	age >= 0
	age <= max_age
}

# The request comes from an address inside one of the allowlisted CIDRs (rule 9).
ip_allowed(ip, cidrs) if {
	is_string(ip)
	some cidr in cidrs
	net.cidr_contains(cidr, ip)
}

# An auditor's engagement has not expired yet (rule 11), judged on the PDP's clock.
engagement_active(attrs) if {
	expires := attrs.engagement_expires_at
	is_string(expires)
	time.parse_rfc3339_ns(expires) > time.now_ns()
}

# A non-empty string after trimming.
non_empty_string(value) if {
	is_string(value)
	trim_space(value) != ""
}
