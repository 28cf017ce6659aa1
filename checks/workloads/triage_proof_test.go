package workloads

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/report"
)

// The triage proof on the missing-ServiceAccount fixture: workloads.references and
// workloads.controllers run for real on the test apiserver, with a distraction of another
// check's. The first cause in the report is the missing ServiceAccount and the StatefulSet's
// unreadiness, as workloads.controllers reports it, is listed under it.
func TestTriageProofMissingServiceAccount(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("missing-serviceaccount"))
	refs := checktest.RunLive(t, "workloads.references")
	controllers := checktest.RunLive(t, "workloads.controllers")
	var unready string
	for _, f := range controllers.Findings {
		if f.Object != nil && f.Object.Kind == "StatefulSet" && f.Object.Namespace == "shop" && f.Object.Name == "db" {
			unready = f.ID
		}
	}
	if unready == "" {
		t.Fatalf("workloads.controllers reports nothing about StatefulSet shop/db: %+v", controllers.Findings)
	}
	other := checks.Result{CheckID: "api.control-plane", Status: checks.StatusWarn, Findings: []checks.Finding{{
		ID: "api.control-plane/Pod/kube-system/etcd-cp1/quota", Severity: checks.StatusWarn, Cause: true,
		Object: &checks.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: "kube-system", Name: "etcd-cp1"}, Message: "etcd-cp1: --quota-backend-bytes is small"}}}

	list := append(Checks(), checks.Check{ID: "api.control-plane", Category: checks.CategoryAPI})
	r := report.New("test", checks.Source{Kind: checks.SourceLive}, list, time.Unix(0, 0))
	for _, res := range []checks.Result{other, refs, controllers} {
		r.Add(res)
	}
	r.Finish(0, nil)
	if len(r.Causes) == 0 {
		t.Fatal("no cause in the report")
	}
	first := r.Causes[0]
	if first.Check != "workloads.references" || !strings.Contains(first.Message, "names ServiceAccount db-sa") {
		t.Fatalf("first cause %s: %s; all %+v", first.Finding, first.Message, r.Causes)
	}
	if !slices.Contains(first.Explains, unready) {
		t.Errorf("the unready StatefulSet is not listed under the missing ServiceAccount: %q", first.Explains)
	}
}
