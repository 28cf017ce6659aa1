package triage_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/report"
)

// The triage proof on composed fixtures: the first cause in the report is the injected one and
// every symptom the fixture names is listed under it. The node, scheduling and controller
// findings are built as the workloads checks of the other branch will emit them (their shapes:
// a NotReady node and an untolerated taint are causes explaining the pods they strand; an
// unready workload is a symptom about the workload); network.cni's are shaped as it emits now.

func ref(apiVersion, kind, ns, name string) checks.ObjectRef {
	return checks.ObjectRef{APIVersion: apiVersion, Kind: kind, Namespace: ns, Name: name}
}

func ptr(o checks.ObjectRef) *checks.ObjectRef { return &o }

var proofChecks = []checks.Check{
	{ID: "api.control-plane", Category: checks.CategoryAPI},
	{ID: "network.cni", Category: checks.CategoryNetwork},
	{ID: "runtime.pods", Category: checks.CategoryRuntime},
	{ID: "workloads.nodes", Category: checks.CategoryWorkloads},
	{ID: "workloads.scheduling", Category: checks.CategoryWorkloads},
	{ID: "workloads.controllers", Category: checks.CategoryWorkloads},
	{ID: "versions.nodes", Category: checks.CategoryVersions},
}

// reportOf runs results through the report as a run does (IDs set as the runner sets them).
func reportOf(t *testing.T, results ...checks.Result) *report.Report {
	t.Helper()
	r := report.New("test", checks.Source{Kind: checks.SourceNone}, proofChecks, time.Unix(0, 0))
	for _, res := range results {
		for i := range res.Findings {
			f := &res.Findings[i]
			f.ID = checks.FindingID(res.CheckID, f, "")
		}
		r.Add(res)
	}
	r.Finish(0, nil)
	return r
}

// requireFirstCause fails unless the report's first cause is the finding of check whose ID
// starts with prefix, and each of symptoms (finding ID prefixes) is listed under it.
func requireFirstCause(t *testing.T, r *report.Report, check, prefix string, symptoms ...string) {
	t.Helper()
	if len(r.Causes) == 0 {
		t.Fatal("no cause in the report")
	}
	c := r.Causes[0]
	if c.Check != check || !strings.HasPrefix(c.Finding, prefix) {
		t.Fatalf("first cause %s (%s), want %s…; all: %+v", c.Finding, c.Check, prefix, r.Causes)
	}
	for _, s := range symptoms {
		if !slices.ContainsFunc(c.Explains, func(id string) bool { return strings.HasPrefix(id, s) }) {
			t.Errorf("symptom %s… is not listed under the first cause: %q", s, c.Explains)
		}
	}
}

// CNI pinned to one node: the Cilium DaemonSet runs on worker1 only; worker2 and worker3 are
// NotReady (no pod network) and Deployment shop/web's pods wait Pending for a Ready node.
func TestProofCNIPinnedToOneNode(t *testing.T) {
	w2, w3 := ref("v1", "Node", "", "worker2"), ref("v1", "Node", "", "worker3")
	web := ref("apps/v1", "Deployment", "shop", "web")
	r := reportOf(t,
		checks.Result{CheckID: "network.cni", Status: checks.StatusFail, Findings: []checks.Finding{{
			Severity: checks.StatusFail, Cause: true, Object: ptr(ref("apps/v1", "DaemonSet", "kube-system", "cilium")),
			Problem: "skips-nodes", Message: "the Cilium DaemonSet cannot run on 2 of 3 nodes (worker2, worker3)", Explains: []checks.ObjectRef{w2, w3}}}},
		checks.Result{CheckID: "workloads.nodes", Status: checks.StatusFail, Findings: []checks.Finding{
			{Severity: checks.StatusFail, Cause: true, Object: ptr(w2), Problem: "not-ready", Message: "node worker2 is NotReady: cni plugin not initialized; strands 2 pods", Explains: []checks.ObjectRef{web}},
			{Severity: checks.StatusFail, Cause: true, Object: ptr(w3), Problem: "not-ready", Message: "node worker3 is NotReady: cni plugin not initialized", Explains: []checks.ObjectRef{web}},
		}},
		checks.Result{CheckID: "workloads.scheduling", Status: checks.StatusFail, Findings: []checks.Finding{{
			Severity: checks.StatusFail, Object: ptr(web), Problem: "pending", Message: "3 pods of Deployment shop/web are Pending: 0/3 nodes are available: 2 node(s) had untolerated taint node.kubernetes.io/not-ready"}}},
		checks.Result{CheckID: "workloads.controllers", Status: checks.StatusFail, Findings: []checks.Finding{{
			Severity: checks.StatusFail, Object: ptr(web), Problem: "unavailable", Message: "Deployment shop/web has 0 of 3 replicas available"}}},
		// A distraction: a cause of its own elsewhere, explaining one pod.
		checks.Result{CheckID: "runtime.pods", Status: checks.StatusFail, Findings: []checks.Finding{{
			Severity: checks.StatusFail, Cause: true, Object: ptr(ref("apps/v1", "Deployment", "shop", "cart")), Problem: "image-pull",
			Message: "Deployment shop/cart cannot pull image cart:v9", Explains: []checks.ObjectRef{ref("apps/v1", "Deployment", "shop", "cart")}}}},
	)
	requireFirstCause(t, r, "network.cni", "network.cni/DaemonSet.apps/kube-system/cilium",
		"workloads.nodes/Node/worker2", "workloads.nodes/Node/worker3",
		"workloads.scheduling/Deployment.apps/shop/web", "workloads.controllers/Deployment.apps/shop/web")
	if len(r.Causes) != 2 {
		t.Errorf("want the CNI and the image, the nodes folded under the CNI: %+v", r.Causes)
	}
}

// An untolerated taint on every worker: two Deployments' pods Pending, both unavailable.
func TestProofUntoleratedTaint(t *testing.T) {
	shop, cart := ref("apps/v1", "Deployment", "shop", "web"), ref("apps/v1", "Deployment", "shop", "cart")
	r := reportOf(t,
		checks.Result{CheckID: "workloads.scheduling", Status: checks.StatusFail, Findings: []checks.Finding{
			{Severity: checks.StatusFail, Cause: true, Object: ptr(ref("v1", "Node", "", "worker1")), Problem: "untolerated-taint-dedicated-gpu",
				Message:  "taint dedicated=gpu:NoSchedule on worker1 and worker2 is tolerated by no pod outside kube-system: 5 pods Pending",
				Explains: []checks.ObjectRef{ref("v1", "Node", "", "worker2"), shop, cart}},
			{Severity: checks.StatusFail, Object: ptr(shop), Problem: "pending", Message: "3 pods of Deployment shop/web are Pending: untolerated taint dedicated=gpu on worker1, worker2; cp1 is a control plane"},
			{Severity: checks.StatusFail, Object: ptr(cart), Problem: "pending", Message: "2 pods of Deployment shop/cart are Pending: untolerated taint dedicated=gpu on worker1, worker2"},
		}},
		checks.Result{CheckID: "workloads.controllers", Status: checks.StatusFail, Findings: []checks.Finding{
			{Severity: checks.StatusFail, Object: ptr(shop), Problem: "unavailable", Message: "Deployment shop/web has 0 of 3 replicas available"},
			{Severity: checks.StatusFail, Object: ptr(cart), Problem: "unavailable", Message: "Deployment shop/cart has 0 of 2 replicas available"},
		}},
		// Distractions: the control plane's etcd flag (a cause that explains nothing) and a
		// kubelet too old on worker1, a cause about the same node of its own.
		checks.Result{CheckID: "api.control-plane", Status: checks.StatusFail, Findings: []checks.Finding{{
			Severity: checks.StatusFail, Cause: true, Object: ptr(ref("v1", "Pod", "kube-system", "etcd-cp1")), Message: "etcd-cp1: --quota-backend-bytes is tiny"}}},
		checks.Result{CheckID: "versions.nodes", Status: checks.StatusFail, Findings: []checks.Finding{{
			Severity: checks.StatusFail, Cause: true, Object: ptr(ref("v1", "Node", "", "worker1")), Message: "node worker1: kubelet v1.33 is 4 minors behind",
			Explains: []checks.ObjectRef{ref("v1", "Node", "", "worker1")}}}},
	)
	requireFirstCause(t, r, "workloads.scheduling", "workloads.scheduling/Node/worker1/untolerated-taint",
		"workloads.scheduling/Deployment.apps/shop/web", "workloads.scheduling/Deployment.apps/shop/cart",
		"workloads.controllers/Deployment.apps/shop/web", "workloads.controllers/Deployment.apps/shop/cart")
	if n := len(r.Causes); n != 3 || r.Causes[0].Objects != 3 {
		t.Errorf("want the taint (3 objects), then etcd and the kubelet as causes of their own: %+v", r.Causes)
	}
}
