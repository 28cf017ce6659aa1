package report

import (
	"slices"
	"testing"
	"time"

	"github.com/kockpit/kockpit/checks"
)

// TestLinkAcrossChecks: a policy drop names the policy that denied it (ExplainedBy), so
// network.policies's cause about that policy lists the drop: the cause above its witness, never
// the other way round. A finding of the drop's own check, a cause about another object, and a
// remark that is no cause list nothing; a second Finish adds nothing twice.
func TestLinkAcrossChecks(t *testing.T) {
	policy := checks.ObjectRef{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy", Namespace: "shop", Name: "orders-egress"}
	other := checks.ObjectRef{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy", Namespace: "shop", Name: "other"}
	list := []checks.Check{{ID: "network.policies"}, {ID: "hubble.drops"}}
	r := New("v0", checks.Source{}, list, time.Unix(0, 0))
	r.Add(checks.Result{CheckID: "network.policies", Status: checks.StatusFail, Findings: []checks.Finding{
		{ID: "network.policies/NetworkPolicy.networking.k8s.io/shop/orders-egress/blocks-dns", Severity: checks.StatusFail, Object: &policy, Cause: true},
		{ID: "network.policies/NetworkPolicy.networking.k8s.io/shop/other/x", Severity: checks.StatusFail, Object: &other, Cause: true},
		{ID: "network.policies/NetworkPolicy.networking.k8s.io/shop/orders-egress/style", Object: &policy},
	}})
	r.Add(checks.Result{CheckID: "hubble.drops", Status: checks.StatusWarn, Findings: []checks.Finding{
		{ID: "hubble.drops/dropped-policy-denied", Severity: checks.StatusWarn, Cause: true, ExplainedBy: []checks.ObjectRef{{Kind: "NetworkPolicy", Namespace: "shop", Name: "orders-egress"}}},
		{ID: "hubble.drops/NetworkPolicy.networking.k8s.io/shop/orders-egress/own", Object: &policy},
	}})
	r.Finish(time.Second, nil)
	r.Finish(time.Second, nil)
	policies, drops := r.Checks[0].Findings, r.Checks[1].Findings
	if got, want := policies[0].ExplainsFindings, []string{"hubble.drops/dropped-policy-denied"}; !slices.Equal(got, want) {
		t.Errorf("the policy's cause explains %q, want %q", got, want)
	}
	if len(policies[1].ExplainsFindings)+len(policies[2].ExplainsFindings) != 0 {
		t.Errorf("another policy's cause or a remark explains a drop: %q %q", policies[1].ExplainsFindings, policies[2].ExplainsFindings)
	}
	if len(drops[0].ExplainsFindings) != 0 {
		t.Errorf("the drop explains the policy that caused it: %q", drops[0].ExplainsFindings)
	}
	if len(r.Causes) != 2 || r.Causes[0].Finding != policies[0].ID || !slices.Contains(r.Causes[0].Explains, drops[0].ID) {
		t.Errorf("want the policy first, the drop under it: %+v", r.Causes)
	}
}

// TestLinkSkipsWritten: a cause about a node explains another check's cause on that node, but
// not a Written one (the runtime installed there is not the CNI's doing).
func TestLinkSkipsWritten(t *testing.T) {
	node := checks.ObjectRef{APIVersion: "v1", Kind: "Node", Name: "worker-3"}
	ds := checks.ObjectRef{APIVersion: "apps/v1", Kind: "DaemonSet", Namespace: "kube-system", Name: "cilium"}
	list := []checks.Check{{ID: "network.cni"}, {ID: "workloads.nodes"}, {ID: "runtime.nodes"}}
	r := New("v0", checks.Source{}, list, time.Unix(0, 0))
	r.Add(checks.Result{CheckID: "network.cni", Findings: []checks.Finding{{ID: "cni", Severity: checks.StatusFail, Object: &ds, Cause: true, Explains: []checks.ObjectRef{node}}}})
	r.Add(checks.Result{CheckID: "workloads.nodes", Findings: []checks.Finding{{ID: "not-ready", Severity: checks.StatusFail, Object: &node, Cause: true}}})
	r.Add(checks.Result{CheckID: "runtime.nodes", Findings: []checks.Finding{{ID: "skew", Severity: checks.StatusFail, Object: &node, Cause: true, Written: true}}})
	r.Finish(time.Second, nil)
	if got := r.Checks[0].Findings[0].ExplainsFindings; !slices.Equal(got, []string{"not-ready"}) {
		t.Errorf("the CNI's cause explains %q, want the node's NotReady only", got)
	}
}
