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

// The triage proof on the missing-ServiceAccount fixture: workloads.references runs for real on
// the test apiserver; the StatefulSet's unreadiness is built as workloads.controllers (the other
// branch) will emit it, with a distraction of another check's. The first cause in the report is
// the missing ServiceAccount and the unready StatefulSet is listed under it.
func TestTriageProofMissingServiceAccount(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("missing-serviceaccount"))
	refs := checktest.RunLive(t, "workloads.references")
	db := checks.ObjectRef{APIVersion: "apps/v1", Kind: "StatefulSet", Namespace: "shop", Name: "db"}
	controllers := checks.Result{CheckID: "workloads.controllers", Status: checks.StatusFail, Findings: []checks.Finding{{
		Severity: checks.StatusFail, Object: &db, Problem: "unready",
		Message: "StatefulSet shop/db has 0 of 3 replicas ready: FailedCreate: error looking up service account shop/db-sa"}}}
	controllers.Findings[0].ID = checks.FindingID(controllers.CheckID, &controllers.Findings[0], "")
	other := checks.Result{CheckID: "api.control-plane", Status: checks.StatusWarn, Findings: []checks.Finding{{
		ID: "api.control-plane/Pod/kube-system/etcd-cp1/quota", Severity: checks.StatusWarn, Cause: true,
		Object: &checks.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: "kube-system", Name: "etcd-cp1"}, Message: "etcd-cp1: --quota-backend-bytes is small"}}}

	list := append(Checks(), checks.Check{ID: "workloads.controllers", Category: checks.CategoryWorkloads}, checks.Check{ID: "api.control-plane", Category: checks.CategoryAPI})
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
	if !slices.Contains(first.Explains, controllers.Findings[0].ID) {
		t.Errorf("the unready StatefulSet is not listed under the missing ServiceAccount: %q", first.Explains)
	}
}
