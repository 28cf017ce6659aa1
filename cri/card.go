package cri

// Card is a node's runtime at a glance, for the cockpit: what it is, whether it is ready,
// what it starts pods with, and what it runs that Kubernetes does not know. Every string is
// the runtime's or the node's: views draw it as untrusted text.
type Card struct {
	// Socket is the runtime's socket on the node, From what named it.
	Socket, From              string
	Name, Version, APIVersion string
	Conditions                []Condition
	SandboxImage              string
	Handlers                  []string
	// CNIStatus is containerd's lastCNILoadStatus, "" when the runtime reports none.
	CNIStatus string
	// Sandboxes and Containers count what the runtime lists; ListErr says why they are not
	// known (a list past the cap, a runtime that stopped answering).
	Sandboxes, Containers int
	ListErr               string
	// NotKubernetes names the sandboxes and containers the kubelet did not create.
	NotKubernetes []string
}

// Condition is one of the runtime's status conditions.
type Condition struct {
	Type            string
	Status          bool
	Reason, Message string
}
