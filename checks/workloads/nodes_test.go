package workloads

import (
	"slices"
	"strings"
	"testing"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
)

func TestNodesNotReadyPressureCordoned(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("nodes.yaml"))
	r := checktest.RunLive(t, "workloads.nodes")
	if r.Status != checks.StatusFail {
		t.Fatalf("status = %v:\n%s", r.Status, checktest.DescribeObjectFindings(r))
	}
	down := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Node", "", "worker3",
		"node worker3 is NotReady: its kubelet stopped posting status, stranding 2 pods")
	requireEvidence(t, down, `condition Ready=Unknown (NodeStatusUnknown, since 2026-11-20 09:00:00Z): "Kubelet stopped posting node status."`,
		"pods there: api-6c8d9f7b5-k2m4p, api-6c8d9f7b5-w7r9t")
	if !down.Cause || !slices.Equal(checktest.ExplainedNames(down), []string{"api"}) {
		t.Errorf("worker3: cause %v, explains %v; want the cause of Deployment api", down.Cause, checktest.ExplainedNames(down))
	}
	disk := checktest.RequireObjectFinding(t, r, checks.StatusWarn, "Node", "", "worker4", "node worker4 has DiskPressure")
	requireEvidence(t, disk, `condition DiskPressure=True (KubeletHasDiskPressure`)
	cordoned := checktest.RequireObjectFinding(t, r, checks.StatusWarn, "Node", "", "worker5", "node worker5 is cordoned")
	requireEvidence(t, cordoned, "0 pods run there; none new will")
	if n := len(checktest.FindingsWith(r, "node worker")); n != 3 {
		t.Errorf("%d node findings, want 3 (healthy workers say nothing):\n%s", n, checktest.DescribeObjectFindings(r))
	}
	checktest.RequireLiteralCommands(t, r)
}

// A NotReady node that strands no pod still explains the Pending pods that it alone refuses
// (for its not-ready taint) when no node takes them; a node their nodeSelector rules out does not.
func TestNodesNotReadyExplainsThePendingPodsItKeepsOff(t *testing.T) {
	checktest.Cluster(t).Apply(t, checktest.Fixture("triage-cni-pinned/add"))
	r := checktest.RunLive(t, "workloads.nodes")
	for _, name := range []string{"worker3", "worker4"} {
		f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Node", "", name,
			"node "+name+" is NotReady, keeping 3 pods Pending that would fit there")
		// kube-proxy runs there on the host network, ready: not stranded.
		requireEvidence(t, f, "keeps Pending: 3 pods of Deployment shop/web, refused here only for: untolerated taint node.kubernetes.io/not-ready:NoSchedule",
			"ready there still, as its kubelet reports: kube-proxy-")
		if !f.Cause || !slices.Equal(checktest.ExplainedNames(f), []string{"web"}) {
			t.Errorf("%s: cause %v, explains %v; want the cause of Deployment web", name, f.Cause, checktest.ExplainedNames(f))
		}
		if !slices.ContainsFunc(f.Commands, func(c checks.Command) bool { return strings.Contains(c.String(), "PodScheduled") }) {
			t.Errorf("%s: no command shows the pods' scheduling message: %v", name, f.Commands)
		}
	}
	checktest.RequireLiteralCommands(t, r)
}
