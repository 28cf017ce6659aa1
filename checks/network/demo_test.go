package network

import (
	"testing"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/scenarios"
)

// The embedded demo carries a network breakage for each network check.
func TestNetworkChecksFindTheDemoBreakages(t *testing.T) {
	snap, err := scenarios.Demo(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	env := &checks.Env{Snapshot: snap, Selected: Checks()}

	cni := checktest.RunCheck(t, env, "network.cni")
	f := checktest.RequireObjectFinding(t, cni, checks.StatusFail, "DaemonSet", "kube-system", "cilium", "the Cilium DaemonSet cannot run on 3 of 4 nodes (cp1, worker-2, worker-3)")
	if !f.Cause || len(f.Explains) != 3 {
		t.Errorf("the pinned DaemonSet does not explain the three nodes: %+v", f)
	}
	checktest.RequireObjectFinding(t, cni, checks.StatusFail, "Node", "", "worker-3", "node worker-3 is NotReady because its pod network is not set up")

	policies := checktest.RunCheck(t, env, "network.policies")
	checktest.RequireObjectFinding(t, policies, checks.StatusFail, "NetworkPolicy", "storefront", "allow-frontend", "denies all ingress of the pods it selects, though it says it allows")

	services := checktest.RunCheck(t, env, "network.services")
	checktest.RequireObjectFinding(t, services, checks.StatusFail, "Service", "storefront", "frontend", "differs from the labels of frontend-7b9c6d5f4-2xq8p by one character")
}
