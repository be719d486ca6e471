package system.log_test

import rego.v1

import data.system.log

event := {"input": {
	"subject": {"attributes": {"email": "x", "clearance": 3}},
	"resource": {"attributes": {"pan": "p", "tier": "gold"}},
	"context": {"ip": "10.0.0.1", "justification": "j", "purpose": "support"},
}}

test_mask_names_sensitive_fields if {
	log.mask == {
		"/input/context/ip", "/input/context/justification",
		"/input/subject/attributes/email", "/input/resource/attributes/pan",
	} with input as event
}

test_mask_leaves_other_fields if {
	masked := log.mask with input as event
	not "/input/context/purpose" in masked
	not "/input/subject/attributes/clearance" in masked
}
