package report

import (
	"slices"
	"testing"
	"time"

	"github.com/kockpit/kockpit/checks"
)

// TestLinkAcrossChecks: a policy drop that explains a policy lists the other check's cause
// about that policy; a finding of its own check, one about another object, or one that is no
// cause (a remark on the policy's style) is not listed; a second Finish adds nothing twice.
func TestLinkAcrossChecks(t *testing.T) {
	policy := checks.ObjectRef{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy", Namespace: "shop", Name: "orders-egress"}
	other := checks.ObjectRef{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy", Namespace: "shop", Name: "other"}
	list := []checks.Check{{ID: "network.policies"}, {ID: "hubble.drops"}}
	r := New("v0", checks.Source{}, list, time.Unix(0, 0))
	r.Add(checks.Result{CheckID: "network.policies", Status: checks.StatusFail, Findings: []checks.Finding{
		{ID: "network.policies/NetworkPolicy.networking.k8s.io/shop/orders-egress/blocks-dns", Object: &policy, Cause: true},
		{ID: "network.policies/NetworkPolicy.networking.k8s.io/shop/other/x", Object: &other, Cause: true},
		{ID: "network.policies/NetworkPolicy.networking.k8s.io/shop/orders-egress/style", Object: &policy},
	}})
	r.Add(checks.Result{CheckID: "hubble.drops", Status: checks.StatusWarn, Findings: []checks.Finding{
		{ID: "hubble.drops/dropped-policy-denied", Cause: true, Explains: []checks.ObjectRef{{Kind: "NetworkPolicy", Namespace: "shop", Name: "orders-egress"}}},
		{ID: "hubble.drops/NetworkPolicy.networking.k8s.io/shop/orders-egress/own", Object: &policy},
	}})
	r.Finish(time.Second, nil)
	r.Finish(time.Second, nil)
	got := r.Checks[1].Findings[0].ExplainsFindings
	want := []string{"network.policies/NetworkPolicy.networking.k8s.io/shop/orders-egress/blocks-dns"}
	if !slices.Equal(got, want) {
		t.Errorf("explainsFindings = %q, want %q", got, want)
	}
	if len(r.Checks[0].Findings[0].ExplainsFindings) != 0 {
		t.Errorf("network.policies's finding explains nothing it did not say: %q", r.Checks[0].Findings[0].ExplainsFindings)
	}
}
