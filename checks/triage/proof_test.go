package triage_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/catalog"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/report"
)

// The triage proofs on composed fixtures (issue 15): each loads a breakage into the real test
// API server (with the healthy cluster), runs every check of every area through the engine as a
// live run does, and reads the report's Causes. The first cause must be the injected one, and
// every Warn or Fail finding about the objects the breakage affects, whichever check gave it,
// must be listed under it.

func TestMain(m *testing.M) { checktest.Main(m, catalog.All()) }

// proofRun is a run of every check on the test cluster, and its report.
type proofRun struct {
	results []checks.Result
	report  *report.Report
}

func runEveryCheck(t *testing.T) proofRun {
	t.Helper()
	env := checktest.LiveEnv(t, checktest.Cluster(t).AdminKubeconfig)
	list := catalog.All()
	r := report.New("test", checks.Source{Kind: checks.SourceLive}, list, time.Unix(0, 0))
	var run proofRun
	for res := range checks.Run(t.Context(), list, env, checks.RunOptions{Timeout: 20 * time.Second}) {
		run.results = append(run.results, res)
		r.Add(res)
	}
	r.Finish(0, nil)
	run.report = r
	return run
}

// object names an object the way the proofs pick findings: kind, namespace, name.
type object struct{ kind, namespace, name string }

func (o object) String() string { return fmt.Sprintf("%s %s/%s", o.kind, o.namespace, o.name) }

// findingsAbout returns the IDs of the run's Warn and Fail findings about the object, with
// their checks and messages for the failure messages.
func (run proofRun) findingsAbout(o object) map[string]string {
	out := map[string]string{}
	for _, r := range run.results {
		for _, f := range r.Findings {
			if f.Severity >= checks.StatusWarn && f.Object != nil && f.Object.Kind == o.kind && f.Object.Namespace == o.namespace && f.Object.Name == o.name {
				out[f.ID] = f.Message
			}
		}
	}
	return out
}

// describeCauses lists the report's causes with what each explains, for failure messages.
func (run proofRun) describeCauses() string {
	var b strings.Builder
	for i, c := range run.report.Causes {
		fmt.Fprintf(&b, "%d. %s (%s, %d objects): %s\n", i+1, c.Finding, c.Check, c.Objects, c.Message)
		for _, id := range c.Explains {
			fmt.Fprintf(&b, "     explains %s\n", id)
		}
	}
	return b.String()
}

// requireFirstCause fails unless the report's first cause is a finding of check about cause
// whose message contains msg, and every other Warn or Fail finding about each symptom object is
// listed under it; each symptom object must have at least one such finding.
func (run proofRun) requireFirstCause(t *testing.T, check string, cause object, msg string, symptoms ...object) report.CauseReport {
	t.Helper()
	causes := run.report.Causes
	if len(causes) == 0 {
		t.Fatal("no cause in the report")
	}
	first := causes[0]
	o := first.Object
	if first.Check != check || o == nil || (object{o.Kind, o.Namespace, o.Name}) != cause || !strings.Contains(first.Message, msg) {
		t.Fatalf("the first cause is not %s's finding about %s saying %q; causes:\n%s", check, cause, msg, run.describeCauses())
	}
	for _, s := range symptoms {
		found := run.findingsAbout(s)
		if len(found) == 0 {
			t.Errorf("no check reports anything about %s", s)
		}
		for id, message := range found {
			if id != first.Finding && !slices.Contains(first.Explains, id) && !slices.Contains(first.AlsoFindings, id) {
				t.Errorf("%s (%q) is not listed under the first cause", id, message)
			}
		}
	}
	t.Logf("causes:\n%s", run.describeCauses())
	return first
}

// causeOf returns the report's cause whose first finding is about the object, if any.
func (run proofRun) causeOf(o object) (report.CauseReport, bool) {
	for _, c := range run.report.Causes {
		if c.Object != nil && (object{c.Object.Kind, c.Object.Namespace, c.Object.Name}) == o {
			return c, true
		}
	}
	return report.CauseReport{}, false
}

// CNI pinned to one node: Flannel's DaemonSet pinned to worker1 by a leftover nodeSelector; the
// batch pool (worker3, worker4) joined since and stays NotReady without a pod network; Deployment
// shop/web, which asks for the batch pool, waits Pending. A Deployment that cannot pull its image
// is a cause of its own elsewhere.
func TestProofCNIPinnedToOneNode(t *testing.T) {
	c := checktest.Cluster(t)
	c.Replace(t, checktest.Fixture("triage-cni-pinned/replace"))
	c.Apply(t, checktest.Fixture("triage-cni-pinned/add"), checktest.Fixture("runtime-pods/image-pull.yaml"))
	run := runEveryCheck(t)
	run.requireFirstCause(t, "network.cni", object{"DaemonSet", "kube-system", "kube-flannel-ds"}, "cannot run on",
		object{"Node", "", "worker3"}, object{"Node", "", "worker4"}, object{"Deployment", "shop", "web"})
	if _, ok := run.causeOf(object{"Deployment", "team-a", "payments"}); !ok {
		t.Errorf("the image that cannot be pulled is no cause of its own:\n%s", run.describeCauses())
	}
}

// An untolerated taint on every worker: two Deployments' pods Pending behind it. A second control
// plane node's pods with known-bad flags (AlwaysDeny admission among them) and a crash-looping
// scheduler are causes of their own that explain no object here.
func TestProofUntoleratedTaint(t *testing.T) {
	c := checktest.Cluster(t)
	c.Replace(t, checktest.Fixture("workloads/taint-nodes-replace"))
	c.Apply(t, checktest.Fixture("workloads/taint-pending.yaml"), checktest.Fixture("api-control-plane-broken"))
	run := runEveryCheck(t)
	run.requireFirstCause(t, "workloads.scheduling", object{"Node", "", "worker1"}, "taint klustered=true:NoSchedule",
		object{"Deployment", "team-a", "shop"}, object{"Deployment", "team-a", "cart"})
}

// A StatefulSet naming a ServiceAccount that does not exist: admission refuses its pods, so it
// has none, only its FailedCreate events. The second control plane's bad flags are causes of
// their own.
func TestProofMissingServiceAccount(t *testing.T) {
	checktest.Cluster(t).Apply(t, checktest.Fixture("workloads/missing-serviceaccount"), checktest.Fixture("api-control-plane-broken"))
	run := runEveryCheck(t)
	run.requireFirstCause(t, "workloads.references", object{"StatefulSet", "shop", "db"}, "names ServiceAccount db-sa",
		object{"StatefulSet", "shop", "db"})
}

// The controller-manager with the deployment and replicaset controllers switched off: a
// Deployment that never got a ReplicaSet and a ReplicaSet that never got a pod, both found by
// workloads.controllers, are listed under api.control-plane's finding about the flag. A missing
// ServiceAccount elsewhere is a cause of its own.
func TestProofControllersOff(t *testing.T) {
	c := checktest.Cluster(t)
	c.Replace(t, checktest.Fixture("api-controllers-off"))
	c.Apply(t, checktest.Fixture("workloads/controller-off-deployment.yaml"), checktest.Fixture("workloads/controller-off-replicaset.yaml"),
		checktest.Fixture("workloads/missing-serviceaccount"))
	run := runEveryCheck(t)
	first := run.requireFirstCause(t, "api.control-plane", object{"Pod", "kube-system", "kube-controller-manager-cp1"}, "controller is switched off",
		object{"Deployment", "team-a", "orders"}, object{"Deployment", "team-a", "billing"}, object{"ReplicaSet", "team-a", "billing-5c7d9e8f6"})
	if len(first.AlsoFindings) != 1 {
		t.Errorf("both flags' findings name one cause; the other is %v", first.AlsoFindings)
	}
	if _, ok := run.causeOf(object{"StatefulSet", "shop", "db"}); !ok {
		t.Errorf("the missing ServiceAccount is no cause of its own:\n%s", run.describeCauses())
	}
}
