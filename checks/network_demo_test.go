package checks

import (
	"testing"

	"github.com/kockpit/kockpit/scenarios"
)

// The embedded demo carries a network breakage for each network check.
func TestNetworkChecksFindTheDemoBreakages(t *testing.T) {
	snap, err := scenarios.Demo(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{Snapshot: snap, Registry: All()}

	cni := runCheck(t, env, "network.cni")
	f := requireObjectFinding(t, cni, StatusFail, "DaemonSet", "kube-system", "cilium", "the Cilium DaemonSet cannot run on 3 of 4 nodes (cp1, worker-2, worker-3)")
	if !f.Cause || len(f.Explains) != 3 {
		t.Errorf("the pinned DaemonSet does not explain the three nodes: %+v", f)
	}
	requireObjectFinding(t, cni, StatusFail, "Node", "", "worker-3", "node worker-3 is NotReady because its pod network is not set up")

	policies := runCheck(t, env, "network.policies")
	requireObjectFinding(t, policies, StatusFail, "NetworkPolicy", "storefront", "allow-frontend", "denies all ingress of the pods it selects, though it says it allows")

	services := runCheck(t, env, "network.services")
	requireObjectFinding(t, services, StatusFail, "Service", "storefront", "frontend", "differs from the labels of frontend-7b9c6d5f4-2xq8p by a look-alike character")
}
