# Decision-log masking, in OPA's system.log.mask format: input is the decision-log event,
# input.input the request that was decided. Each entry is a JSON pointer to remove.
package system.log

import rego.v1

mask contains sprintf("/input/context/%s", [key]) if {
	some key, _ in input.input.context
	key in data.finsolve.config.log_mask.context_keys
}

mask contains sprintf("/input/subject/attributes/%s", [key]) if {
	some key, _ in input.input.subject.attributes
	key in data.finsolve.config.log_mask.subject_attribute_keys
}

mask contains sprintf("/input/resource/attributes/%s", [key]) if {
	some key, _ in input.input.resource.attributes
	key in data.finsolve.config.log_mask.resource_attribute_keys
}
