package storage

import "strings"

// provisioningFailure is what a ProvisioningFailed message says, in a kind a reader can act on.
type provisioningFailure struct{ summary, fix string }

// failureKinds are tried in order; each matches words drivers and the external-provisioner
// write (lower case).
var failureKinds = []struct {
	words []string
	kind  provisioningFailure
}{
	{[]string{"secret", "not found"}, provisioningFailure{"a Secret the class names does not exist",
		"Create the Secret the class's csi.storage.k8s.io/*-secret-name parameters name, in their namespace, or fix the parameters."}},
	{[]string{"forbidden"}, provisioningFailure{"the provisioner is not allowed to",
		"Give the provisioner's service account (or its cloud identity) the permission the message names."}},
	{[]string{"unauthorized"}, provisioningFailure{"the provisioner is not allowed to",
		"Check the provisioner's credentials (cloud identity, Secret) and their permissions."}},
	{[]string{"accessdenied"}, provisioningFailure{"the provisioner is not allowed to",
		"Give the provisioner's cloud identity the permission the message names."}},
	{[]string{"quota"}, provisioningFailure{"a quota or capacity is exhausted",
		"Raise the quota or free capacity in the backend, or ask for less."}},
	{[]string{"insufficient"}, provisioningFailure{"a quota or capacity is exhausted",
		"Free capacity in the backend, or ask for less."}},
	{[]string{"no space"}, provisioningFailure{"a quota or capacity is exhausted",
		"Free capacity in the backend, or ask for less."}},
	{[]string{"invalid"}, provisioningFailure{"the backend refuses the class's parameters or the claim's size",
		"Compare the class's parameters with the driver's documentation (names, values, units); a class is immutable, so create a fixed one."}},
	{[]string{"unknown parameter"}, provisioningFailure{"the backend refuses the class's parameters",
		"Remove or rename the parameter the driver does not know; a class is immutable, so create a fixed one."}},
	{[]string{"deadlineexceeded"}, provisioningFailure{"the driver did not answer in time",
		"The driver's controller is slow or hung: read its logs and those of its csi-provisioner sidecar."}},
	{[]string{"timed out"}, provisioningFailure{"the driver did not answer in time",
		"The driver's controller is slow or hung: read its logs and those of its csi-provisioner sidecar."}},
	{[]string{"connection refused"}, provisioningFailure{"the driver cannot be reached",
		"The driver's controller container is down or its socket is elsewhere: read the provisioner sidecar's logs."}},
	{[]string{"unavailable"}, provisioningFailure{"the driver cannot be reached",
		"The driver's controller or its backend is down: read the provisioner sidecar's logs."}},
	{[]string{"topology"}, provisioningFailure{"no topology (zone) fits both the class and the nodes",
		"Compare the class's allowedTopologies and the nodes' topology labels with the zones the backend serves."}},
}

// classifyProvisioningFailure sorts a ProvisioningFailed message by what a reader must do.
func classifyProvisioningFailure(msg string) provisioningFailure {
	lower := strings.ToLower(msg)
	for _, k := range failureKinds {
		all := true
		for _, w := range k.words {
			if !strings.Contains(lower, w) {
				all = false
				break
			}
		}
		if all {
			return k.kind
		}
	}
	return provisioningFailure{"the provisioner refused it",
		"Read the event's message and the provisioner's logs; the class's parameters are the usual suspect."}
}
