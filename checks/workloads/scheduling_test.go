package workloads

import (
	"slices"
	"strings"
	"testing"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
)

// fixture is a file or directory of the workloads fixtures.
func fixture(name string) string { return checktest.Fixture("workloads/" + name) }

// requireEvidence fails unless some evidence line of f contains each of want.
func requireEvidence(t *testing.T, f checks.Finding, want ...string) {
	t.Helper()
	all := strings.Join(f.Evidence, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("finding %q: no evidence says %q:\n%s", f.Message, w, all)
		}
	}
}

func TestSchedulingTaintExplainsTwoDeployments(t *testing.T) {
	c := checktest.Cluster(t)
	c.Replace(t, fixture("taint-nodes-replace"))
	c.Apply(t, fixture("taint-pending.yaml"))
	r := checktest.RunLive(t, "workloads.scheduling")
	if r.Status != checks.StatusFail {
		t.Fatalf("status = %v:\n%s", r.Status, checktest.DescribeObjectFindings(r))
	}
	shop := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "shop",
		"2 pods of Deployment team-a/shop fit no node: untolerated taint klustered=true:NoSchedule (2 nodes), untolerated taint node-role.kubernetes.io/control-plane:NoSchedule (1 node)")
	requireEvidence(t, shop, "pods: shop-7f9c6d5b8-k2m4p, shop-7f9c6d5b8-w7r9t", `scheduler: "0/3 nodes are available`,
		"why not here: NODE     REASONS",
		"why not here: cp1      untolerated taint node-role.kubernetes.io/control-plane:NoSchedule",
		"why not here: worker1  untolerated taint klustered=true:NoSchedule")
	checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "cart", "1 pod of Deployment team-a/cart fits no node")
	taint := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Node", "", "worker1",
		"taint klustered=true:NoSchedule is on every schedulable node and no pod outside kube-system tolerates it: it keeps 2 workloads Pending")
	if !taint.Cause || !slices.Equal(checktest.ExplainedNames(taint), []string{"cart", "shop"}) {
		t.Errorf("taint finding: cause %v, explains %v; want a cause of cart and shop", taint.Cause, checktest.ExplainedNames(taint))
	}
	if !slices.Contains(taint.ExplainsFindings, shop.ID) {
		t.Errorf("taint finding explains findings %v, want %s among them", taint.ExplainsFindings, shop.ID)
	}
	// The control plane's own taint is there by design: no cause finding names it.
	for _, f := range r.Findings {
		if f.Object.Kind == "Node" && f.ID != taint.ID {
			t.Errorf("another taint is named a cause: %s", f.Message)
		}
	}
	checktest.RequireLiteralCommands(t, r)
}

func TestSchedulingTaintEverywhereBeforeAnythingPends(t *testing.T) {
	checktest.Cluster(t).Replace(t, fixture("taint-nodes-replace"))
	r := checktest.RunLive(t, "workloads.scheduling")
	f := checktest.RequireObjectFinding(t, r, checks.StatusWarn, "Node", "", "worker1",
		"taint klustered=true:NoSchedule is on every schedulable node and no pod outside kube-system tolerates it")
	requireEvidence(t, f, "on nodes: worker1, worker2")
	if f.Cause {
		t.Errorf("nothing is Pending: the taint explains nothing yet")
	}
}

func TestSchedulingSelectorNearMiss(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("selector.yaml"))
	r := checktest.RunLive(t, "workloads.scheduling")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "reports",
		"1 pod of Deployment team-a/reports fits no node: nodeSelector (4 nodes), untolerated taint node-role.kubernetes.io/control-plane:NoSchedule (1 node)")
	requireEvidence(t, f, "why not here: worker6  nodeSelector disktype=ssd: node has disktype=sdd (near miss of ssd: one character)",
		"why not here: worker1  nodeSelector disktype=ssd: node has no label disktype")
	if !strings.Contains(f.Hint, "nodeSelector") {
		t.Errorf("hint %q does not say to fix the nodeSelector", f.Hint)
	}
}

func TestSchedulingInsufficientMemory(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("resources.yaml"))
	r := checktest.RunLive(t, "workloads.scheduling")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "warehouse",
		"1 pod of Deployment team-a/warehouse fits no node: insufficient resources (3 nodes)")
	requireEvidence(t, f, "why not here: worker2  insufficient memory: requests 12Gi, ")
}

func TestSchedulingNoSchedulerServesTheName(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("no-scheduler.yaml"))
	r := checktest.RunLive(t, "workloads.scheduling")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "StatefulSet", "team-a", "ledger",
		"pod of StatefulSet team-a/ledger asks for scheduler default-schedular, which no running scheduler serves")
	requireEvidence(t, f, "no PodScheduled condition", "near miss of default-scheduler: one character")
}

func TestSchedulingGated(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("gated.yaml"))
	r := checktest.RunLive(t, "workloads.scheduling")
	checktest.RequireObjectFinding(t, r, checks.StatusWarn, "Pod", "team-a", "batch-runner",
		"pod team-a/batch-runner waits behind scheduling gates: example.com/quota-check")
}
