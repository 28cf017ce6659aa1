package checks

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

func TestFindingIDShape(t *testing.T) {
	svc := &ObjectRef{APIVersion: "v1", Kind: "Service", Namespace: "shop", Name: "web"}
	for _, c := range []struct {
		check string
		f     Finding
		root  string
		want  string
	}{
		{"network.services", Finding{Object: svc, Problem: "no-ready-endpoints", Message: "whatever it says"}, "",
			"network.services/Service/shop/web/no-ready-endpoints"},
		// Without a Problem: the message's words, the subject's own and the numbers left out.
		{"network.services", Finding{Object: svc, Message: "Service shop/web has no ready endpoints (0 of 3 pods ready)"}, "",
			"network.services/Service/shop/web/has-no-ready-endpoints-pods-ready"},
		{"versions.nodes", Finding{Object: &ObjectRef{APIVersion: "v1", Kind: "Node", Name: "cp1"}, Problem: "Kubelet too old!"}, "",
			"versions.nodes/Node/cp1/kubelet-too-old"},
		{"network.policies", Finding{Object: &ObjectRef{APIVersion: "projectcalico.org/v3", Kind: "NetworkPolicy", Namespace: "shop", Name: "deny"},
			Problem: "denies-dns"}, "", "network.policies/NetworkPolicy.projectcalico.org/shop/deny/denies-dns"},
		// A node's file is named as on the node, whatever directory the node was read under.
		{"host.kubelet", Finding{File: &FileRef{Path: "/tmp/node-1/etc/kubernetes/kubelet.conf", Line: 3},
			Message: "/tmp/node-1/etc/kubernetes/kubelet.conf names a server that does not answer"}, "/tmp/node-1",
			"host.kubelet/etc/kubernetes/kubelet.conf/names-server-does-not-answer"},
		{"api.kubeconfig", Finding{File: &FileRef{Path: "/home/me/.kube/config"}, Problem: "expired-certificate"}, "/tmp/node-1",
			"api.kubeconfig/home/me/.kube/config/expired-certificate"},
		{"api.reachable", Finding{Message: "the API server answers in 12ms"}, "", "api.reachable/api-server-answers-ms"},
		{"api.reachable", Finding{Message: "127.0.0.1:6443"}, "", "api.reachable/finding"},
	} {
		if got := FindingID(c.check, &c.f, c.root); got != c.want {
			t.Errorf("FindingID(%s, %+v) = %q, want %q", c.check, c.f, got, c.want)
		}
	}
}

// idShape is the documented shape: the check's ID, then parts separated by "/", the last a
// lower-case slug, maybe with a "-N" that keeps it unique.
var idShape = regexp.MustCompile(`^[a-z]+\.[a-z0-9-]+(/[^/]+)*/[a-z0-9.]+(-[a-z0-9.]+)*$`)

// TestFindingIDsStableAndUnique runs the same input twice, the node's files under two
// directories as the demo unpacks them, with measurements that differ: every finding gets the
// same ID both times, unique in its result, and a cause names the findings it explains.
func TestFindingIDsStableAndUnique(t *testing.T) {
	run := func(root string, latency int) Result {
		cm := ObjectRef{APIVersion: "v1", Kind: "ConfigMap", Namespace: "kube-system", Name: "coredns"}
		pod := func(name string) *ObjectRef {
			return &ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: "kube-system", Name: name}
		}
		check := Check{ID: "dns.sample", Run: func(context.Context, *Env) Result {
			return Result{Status: StatusFail, Findings: []Finding{
				{Severity: StatusFail, Object: pod("coredns-1"), Message: "coredns-1 is crash-looping", Cause: true,
					Explains: []ObjectRef{{Kind: "Pod", Namespace: "kube-system", Name: "coredns-2"}, cm}},
				{Severity: StatusWarn, Object: pod("coredns-2"), Message: fmt.Sprintf("coredns-2 answers in %dms", latency)},
				{Severity: StatusWarn, Object: pod("coredns-2"), Message: fmt.Sprintf("coredns-2 answers in %dms", latency*2)},
				{Severity: StatusWarn, Object: &cm, Message: "the Corefile has no loop plugin"},
				{Severity: StatusWarn, File: &FileRef{Path: filepath.Join(root, "etc/resolv.conf"), Line: 2},
					Message: "nameserver 127.0.0.53 loops back to this node"},
				{Severity: StatusOK, Message: fmt.Sprintf("asked 3 servers in %dms", latency)},
			}}
		}}
		var got []Result
		for r := range Run(context.Background(), []Check{check}, &Env{Host: &Host{Root: root}}, RunOptions{}) {
			got = append(got, r)
		}
		return got[0]
	}
	first, second := run(t.TempDir(), 12), run(t.TempDir(), 40)
	var ids []string
	for i, f := range first.Findings {
		if f.ID != second.Findings[i].ID {
			t.Errorf("finding %d: ID %q, then %q on the same input", i, f.ID, second.Findings[i].ID)
		}
		if !idShape.MatchString(f.ID) {
			t.Errorf("finding %d: ID %q is not shaped as documented", i, f.ID)
		}
		if slices.Contains(ids, f.ID) {
			t.Errorf("finding %d: ID %q is not unique", i, f.ID)
		}
		ids = append(ids, f.ID)
	}
	want := []string{
		"dns.sample/Pod/kube-system/coredns-1/crash-looping",
		"dns.sample/Pod/kube-system/coredns-2/answers-ms",
		"dns.sample/Pod/kube-system/coredns-2/answers-ms-2",
		"dns.sample/ConfigMap/kube-system/coredns/corefile-has-no-loop-plugin",
		"dns.sample/etc/resolv.conf/nameserver-loops-back-this-node",
		"dns.sample/asked-servers-ms",
	}
	if !slices.Equal(ids, want) {
		t.Errorf("IDs\n%q\nwant\n%q", ids, want)
	}
	if got := first.Findings[0].ExplainsFindings; !slices.Equal(got, want[1:4]) {
		t.Errorf("the cause explains %q, want the findings about what it explains: %q", got, want[1:4])
	}
}

// TestIdentifyLinksWrittenAndExplainedBy: within a result, a cause's Explains does not reach a
// Written finding about the object, and a finding that names what explains it (ExplainedBy) is
// listed by the causes about that object, never the other way round.
func TestIdentifyLinksWrittenAndExplainedBy(t *testing.T) {
	policy := ObjectRef{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy", Namespace: "shop", Name: "lockdown"}
	node := ObjectRef{APIVersion: "v1", Kind: "Node", Name: "worker-3"}
	findings := []Finding{
		{Severity: StatusFail, Object: &policy, Message: "lockdown isolates egress", Cause: true},
		{Severity: StatusWarn, Message: "3 flows dropped", Cause: true, ExplainedBy: []ObjectRef{policy}},
		{Severity: StatusFail, Object: &node, Message: "cni missing", Cause: true, Explains: []ObjectRef{node}},
		{Severity: StatusFail, Object: &node, Message: "cri-o 1.33 under kubelet 1.37", Written: true},
		{Severity: StatusFail, Object: &node, Message: "worker-3 is not ready"},
	}
	identify("network.sample", findings, "")
	if got, want := findings[0].ExplainsFindings, []string{findings[1].ID}; !slices.Equal(got, want) {
		t.Errorf("the policy explains %q, want the drop %q", got, want)
	}
	if len(findings[1].ExplainsFindings) != 0 {
		t.Errorf("the drop explains %q", findings[1].ExplainsFindings)
	}
	if got, want := findings[2].ExplainsFindings, []string{findings[4].ID}; !slices.Equal(got, want) {
		t.Errorf("the node's cause explains %q, want its NotReady only %q", got, want)
	}
}
