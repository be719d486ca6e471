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
	is_ip(ip)
	some cidr in cidrs
	net.cidr_contains(cidr, ip)
}

# An IPv4 or IPv6 address (a malformed one is "not allowed", never an evaluation error).
is_ip(ip) if {
	is_string(ip)
	indexof(ip, "/") == -1
	net.cidr_is_valid(concat("/", [ip, "32"])) # "/32" is a valid prefix for both families
}

# An auditor's engagement has not expired yet (rule 11), judged on the PDP's clock.
engagement_active(attrs) if {
	expires := attrs.engagement_expires_at
	is_rfc3339(expires)
	time.parse_rfc3339_ns(expires) > time.now_ns()
}

# A well-formed RFC 3339 timestamp the engine can parse (1970-2199, real calendar dates), so
# a malformed value is "not active", never an evaluation error.
is_rfc3339(value) if {
	is_string(value)
	regex.match(`^(19[7-9][0-9]|2[01][0-9][0-9])-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$`, value)
	substring(value, 8, 2) <= days_in_month(to_number(substring(value, 0, 4)), substring(value, 5, 2))
}

# Two-digit strings compare like the numbers they spell ("09" < "31").
days_in_month(_, month) := "31" if month in {"01", "03", "05", "07", "08", "10", "12"}

days_in_month(_, month) := "30" if month in {"04", "06", "09", "11"}

days_in_month(year, "02") := "29" if leap_year(year)

days_in_month(year, "02") := "28" if not leap_year(year)

leap_year(year) if {
	year % 4 == 0
	year % 100 != 0
}

leap_year(year) if year % 400 == 0

# A non-empty string after trimming.
non_empty_string(value) if {
	is_string(value)
	trim_space(value) != ""
}
