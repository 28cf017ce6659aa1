package triage

import (
	"slices"
	"testing"

	"github.com/kockpit/kockpit/checks"
)

func obj(kind, ns, name string) *checks.ObjectRef {
	return &checks.ObjectRef{Kind: kind, Namespace: ns, Name: name}
}

func finding(id string, sev checks.Severity, o *checks.ObjectRef) checks.Finding {
	return checks.Finding{ID: id, Severity: sev, Object: o, Message: id}
}

func cause(id string, sev checks.Severity, o *checks.ObjectRef, explains ...*checks.ObjectRef) checks.Finding {
	f := finding(id, sev, o)
	f.Cause = true
	for _, e := range explains {
		f.Explains = append(f.Explains, *e)
	}
	return f
}

func result(check string, fs ...checks.Finding) checks.Result {
	return checks.Result{CheckID: check, Findings: fs}
}

var categories = map[string]checks.Category{
	"api.control-plane": checks.CategoryAPI, "dns.service": checks.CategoryDNS, "network.cni": checks.CategoryNetwork,
	"runtime.pods": checks.CategoryRuntime, "workloads.nodes": checks.CategoryWorkloads,
	"workloads.scheduling": checks.CategoryWorkloads, "workloads.references": checks.CategoryWorkloads,
	"workloads.controllers": checks.CategoryWorkloads,
}

func ids(refs []Ref) []string {
	var out []string
	for _, r := range refs {
		out = append(out, r.Finding.ID)
	}
	return out
}

// A cause explains findings of other checks about the objects it names, and the causes it
// explains become its symptoms with theirs: one root.
func TestCauseChainAcrossChecks(t *testing.T) {
	node := obj("Node", "", "worker2")
	pod := obj("Pod", "shop", "web-1")
	res := []checks.Result{
		result("workloads.nodes", cause("nodes/worker2", checks.StatusFail, node, pod)),
		result("network.cni", cause("cni/cilium", checks.StatusFail, obj("DaemonSet", "kube-system", "cilium"), node)),
		result("workloads.scheduling", finding("sched/web-1", checks.StatusWarn, pod), finding("sched/ok", checks.StatusOK, pod)),
		// A cause about the node alone (its kubelet's version) is a problem of its own.
		result("versions.nodes", cause("versions/worker2", checks.StatusFail, node, node)),
	}
	tr := Rank(res, categories)
	if len(tr.Causes) != 2 || tr.Causes[1].Findings[0].Finding.ID != "versions/worker2" {
		t.Fatalf("got %d causes, want the CNI, then the kubelet's version: %+v", len(tr.Causes), tr.Causes)
	}
	c := tr.Causes[0]
	if c.Findings[0].Finding.ID != "cni/cilium" || c.Category != checks.CategoryNetwork {
		t.Errorf("root = %s (%s)", c.Findings[0].Finding.ID, c.Category)
	}
	if got, want := ids(c.Symptoms), []string{"nodes/worker2", "sched/web-1"}; !slices.Equal(got, want) {
		t.Errorf("symptoms %v, want %v (never an OK finding)", got, want)
	}
	if c.Objects != 2 {
		t.Errorf("objects = %d, want the node and the pod", c.Objects)
	}
	if i, ok := tr.FoldedUnder("sched/web-1"); !ok || i != 0 {
		t.Errorf("sched/web-1 folded under %d, %v", i, ok)
	}
	if _, ok := tr.FoldedUnder("cni/cilium"); ok {
		t.Error("a root cause is folded")
	}
}

// Two checks' causes about one object are one cause; causes that explain each other too.
func TestCausesMerge(t *testing.T) {
	ds := obj("DaemonSet", "kube-system", "cilium")
	a, b := obj("Node", "", "a"), obj("Node", "", "b")
	res := []checks.Result{
		result("network.cni", cause("cni/cilium", checks.StatusFail, ds, a)),
		result("workloads.controllers", cause("ctl/cilium", checks.StatusWarn, ds, b)),
		result("workloads.nodes", cause("nodes/a", checks.StatusFail, a, b), cause("nodes/b", checks.StatusFail, b, a)),
	}
	tr := Rank(res, categories)
	if len(tr.Causes) != 1 {
		t.Fatalf("got %d causes: %+v", len(tr.Causes), tr.Causes)
	}
	c := tr.Causes[0]
	if got := ids(c.Findings); !slices.Equal(got, []string{"cni/cilium", "ctl/cilium"}) {
		t.Errorf("cause findings %v: the Fail of the lower category first, then the other check's", got)
	}
	if got := ids(c.Symptoms); !slices.Equal(got, []string{"nodes/a", "nodes/b"}) {
		t.Errorf("symptoms %v", got)
	}

	cycle := Rank([]checks.Result{result("workloads.nodes", cause("nodes/a", checks.StatusFail, a, b), cause("nodes/b", checks.StatusFail, b, a))}, categories)
	if len(cycle.Causes) != 1 || len(cycle.Causes[0].Findings) != 2 || len(cycle.Causes[0].Symptoms) != 0 {
		t.Errorf("two causes explaining each other: %+v", cycle.Causes)
	}
}

// Ranking: objects affected, then severity, then the control plane and DNS before workloads.
func TestRanking(t *testing.T) {
	p := func(n string) *checks.ObjectRef { return obj("Pod", "shop", n) }
	res := []checks.Result{
		result("workloads.references", cause("refs/big", checks.StatusWarn, obj("Deployment", "shop", "big"), p("1"), p("2"), p("3"))),
		result("workloads.controllers", cause("ctl/small", checks.StatusFail, obj("Deployment", "shop", "small"), p("4"))),
		result("dns.service", cause("dns/coredns", checks.StatusFail, obj("Service", "kube-system", "kube-dns"), p("5"))),
		result("api.control-plane", cause("api/cm", checks.StatusFail, obj("Pod", "kube-system", "kcm"), p("6"))),
		result("runtime.pods", cause("pods/warn", checks.StatusWarn, obj("Pod", "shop", "w"), p("7"))),
		result("network.cni", cause("cni/alone", checks.StatusFail, obj("DaemonSet", "kube-system", "cilium"))),
		result("workloads.nodes", cause("nodes/ok", checks.StatusOK, obj("Node", "", "x"), p("1"))),
	}
	tr := Rank(res, categories)
	var got []string
	for _, c := range tr.Causes {
		got = append(got, c.Findings[0].Finding.ID)
	}
	want := []string{"refs/big", "api/cm", "dns/coredns", "ctl/small", "pods/warn", "cni/alone"}
	if !slices.Equal(got, want) {
		t.Errorf("order %v\nwant  %v", got, want)
	}
}

// A cause named by ID (ExplainsFindings), in another check, is linked without an object.
func TestExplainsFindingsByID(t *testing.T) {
	c := cause("host/kubelet-config", checks.StatusFail, nil)
	c.File = &checks.FileRef{Path: "/var/lib/kubelet/config.yaml"}
	c.ExplainsFindings = []string{"runtime.nodes/Node/cp1/not-ready", "nowhere/unknown"}
	tr := Rank([]checks.Result{
		result("host.kubelet", c),
		result("runtime.nodes", finding("runtime.nodes/Node/cp1/not-ready", checks.StatusFail, obj("Node", "", "cp1"))),
	}, categories)
	if len(tr.Causes) != 1 || !slices.Equal(ids(tr.Causes[0].Symptoms), []string{"runtime.nodes/Node/cp1/not-ready"}) {
		t.Errorf("causes %+v", tr.Causes)
	}
	if empty := Rank(nil, nil); len(empty.Causes) != 0 {
		t.Errorf("no results, causes %+v", empty.Causes)
	}
	var none *Triage
	if _, ok := none.FoldedUnder("x"); ok {
		t.Error("a nil triage folds")
	}
}

// A drop names the policy that denied it (ExplainedBy): every cause about the policy is above
// the drops (two problems found in one policy stay two causes, the one explaining more first),
// and with no finding about the policy the drop stands as its own cause.
func TestExplainedByPutsTheCauseAbove(t *testing.T) {
	policy := obj("CiliumClusterwideNetworkPolicy", "", "lockdown")
	drop := func(id string) checks.Finding {
		f := cause(id, checks.StatusWarn, nil)
		f.ExplainedBy = []checks.ObjectRef{*policy}
		return f
	}
	dnsCause := cause("pol/dns", checks.StatusFail, policy, obj("Pod", "team-a", "web"))
	worldOnly := cause("pol/world", checks.StatusFail, policy) // standalone: explains nothing named
	categories := map[string]checks.Category{"network.policies": checks.CategoryNetwork, "hubble.drops": checks.CategoryHubble}
	tr := Rank([]checks.Result{
		result("hubble.drops", drop("drops/1"), drop("drops/2")),
		result("network.policies", worldOnly, dnsCause),
	}, categories)
	var roots []string
	for _, c := range tr.Causes {
		roots = append(roots, c.Findings[0].Finding.ID)
		if got := ids(c.Symptoms); !slices.Equal(got, []string{"drops/1", "drops/2"}) {
			t.Errorf("%s: symptoms %v, want the drops", c.Findings[0].Finding.ID, got)
		}
	}
	if !slices.Equal(roots, []string{"pol/dns", "pol/world"}) {
		t.Errorf("causes %v, want the policy's two findings, the one explaining a pod first, and no drop", roots)
	}
	if i, ok := tr.FoldedUnder("drops/1"); !ok || i != 0 {
		t.Errorf("drops/1 folded under %d, %v", i, ok)
	}

	alone := Rank([]checks.Result{result("hubble.drops", drop("drops/1"))}, categories)
	if len(alone.Causes) != 1 || alone.Causes[0].Findings[0].Finding.ID != "drops/1" {
		t.Errorf("with no finding about the policy, the drop is not its own cause: %+v", alone.Causes)
	}
}

// A cause explains what its objects show, not what was written in them: a look-alike in a
// Deployment's image explains the pull failure on it, and the pull failure, which names the
// Deployment too, does not explain the look-alike back.
func TestWrittenIsNotExplainedByObjects(t *testing.T) {
	deploy, pod := obj("Deployment", "shop", "cache"), obj("Pod", "shop", "cache-1")
	look := cause("api/lookalike", checks.StatusFail, deploy, deploy, pod)
	look.Written = true
	pull := cause("pods/pull", checks.StatusFail, deploy, deploy, pod)
	tr := Rank([]checks.Result{
		result("api.control-plane", look),
		result("runtime.pods", pull),
		result("workloads.controllers", finding("ctl/cache", checks.StatusFail, deploy)),
	}, categories)
	if len(tr.Causes) != 1 || tr.Causes[0].Findings[0].Finding.ID != "api/lookalike" || len(tr.Causes[0].Findings) != 1 {
		t.Fatalf("want the look-alike alone at the top: %+v", tr.Causes)
	}
	if got := ids(tr.Causes[0].Symptoms); !slices.Equal(got, []string{"pods/pull", "ctl/cache"}) {
		t.Errorf("symptoms %v", got)
	}
}
