package workloads

import (
	"context"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/internal/podinfo"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/safetext"
)

// nodesCheck is the workloads.nodes check.
var nodesCheck = checks.Check{
	ID:       "workloads.nodes",
	Title:    "Nodes take and keep pods: Ready, no pressure, network up, not cordoned",
	Category: checks.CategoryWorkloads,
	Learn:    learn("workloads.nodes"),
	Needs:    checks.NeedsObjects,
	Reads:    []kube.Resource{kube.Nodes, kube.Pods, kube.Deployments, kube.DaemonSets, kube.StatefulSets},
	Run:      runNodes,
}

func runNodes(ctx context.Context, env *checks.Env) checks.Result {
	var p checks.Partial
	nodes, _ := checks.ListPartial[*corev1.Node](ctx, env.Snapshot, &p, kube.Nodes)
	if err := ctx.Err(); err != nil {
		return checks.Errored(fmt.Sprintf("listing for workloads.nodes: %v", err))
	}
	if !p.Read(kube.Nodes) {
		return p.Skip()
	}
	// Without pods the nodes are still judged; what they strand is then unknown, and said so.
	pods, _ := checks.ListPartial[*corev1.Pod](ctx, env.Snapshot, &p, kube.Pods)
	ix := owners(ctx, env, &p)
	if err := ctx.Err(); err != nil {
		return checks.Errored(fmt.Sprintf("listing for workloads.nodes: %v", err))
	}
	return p.Note(judgeNodes(nodes, pods, p.Read(kube.Pods), ix))
}

// nodeState is one thing wrong with a node, as its conditions or spec say.
type nodeState struct {
	problem  string
	severity checks.Status
	what     string // "is NotReady", "has DiskPressure"
	cond     *corev1.NodeCondition
	hint     string
}

func judgeNodes(nodes []*corev1.Node, pods []*corev1.Pod, podsRead bool, ix *podinfo.WorkloadIndex) checks.Result {
	sorted := append([]*corev1.Node(nil), nodes...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	onNode := map[string][]*corev1.Pod{}
	for _, p := range pods {
		if active(p) {
			onNode[p.Spec.NodeName] = append(onNode[p.Spec.NodeName], p)
		}
	}
	var findings []checks.Finding
	for _, n := range sorted {
		for _, s := range nodeStates(n) {
			findings = append(findings, nodeFinding(n, s, onNode[n.Name], podsRead, ix))
		}
	}
	return summarize(findings, fmt.Sprintf("%s Ready, without pressure, schedulable", phrase.Count(len(nodes), "node is", "nodes are")))
}

func nodeStates(n *corev1.Node) []nodeState {
	var out []nodeState
	ready := false
	for i := range n.Status.Conditions {
		c := &n.Status.Conditions[i]
		switch {
		case c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue:
			ready = true
		case c.Type == corev1.NodeReady:
			what := "is NotReady"
			if c.Status == corev1.ConditionUnknown {
				what = "is NotReady: its kubelet stopped posting status"
			}
			out = append(out, nodeState{problem: "not-ready", severity: checks.StatusFail, what: what, cond: c,
				hint: "The kubelet's message says why (runtime, network, PLEG). On the node: `systemctl status kubelet` and `journalctl -u kubelet`. Pods there are not running; they will be evicted after the toleration period."})
		case c.Type == corev1.NodeMemoryPressure && c.Status == corev1.ConditionTrue,
			c.Type == corev1.NodeDiskPressure && c.Status == corev1.ConditionTrue,
			c.Type == corev1.NodePIDPressure && c.Status == corev1.ConditionTrue:
			out = append(out, nodeState{problem: "pressure", severity: checks.StatusWarn, what: "has " + string(c.Type), cond: c,
				hint: "The kubelet evicts pods and the node takes no new ones until the pressure ends: free memory, disk (images, logs) or PIDs on the node, or check the kubelet's eviction thresholds."})
		case c.Type == corev1.NodeNetworkUnavailable && c.Status == corev1.ConditionTrue:
			out = append(out, nodeState{problem: "network-unavailable", severity: checks.StatusFail, what: "has NetworkUnavailable", cond: c,
				hint: "The node's network (routes, the CNI agent) is not set up: check the CNI's pod on that node (see network.cni)."})
		}
	}
	if !ready && len(out) == 0 {
		out = append(out, nodeState{problem: "not-ready", severity: checks.StatusFail, what: "has no Ready condition: its kubelet never reported",
			hint: "A node object without status: the kubelet never registered or never posted status. On the node: `journalctl -u kubelet`."})
	}
	if n.Spec.Unschedulable {
		out = append(out, nodeState{problem: "cordoned", severity: checks.StatusWarn, what: "is cordoned",
			hint: "No new pod lands there. If the maintenance is over: `kubectl uncordon` the node."})
	}
	return out
}

func nodeFinding(n *corev1.Node, s nodeState, pods []*corev1.Pod, podsRead bool, ix *podinfo.WorkloadIndex) checks.Finding {
	f := checks.Finding{
		Severity: s.severity, Problem: s.problem, Hint: s.hint,
		Object:  &checks.ObjectRef{APIVersion: "v1", Kind: "Node", Name: n.Name},
		Message: fmt.Sprintf("node %s %s", safetext.Visible(n.Name), s.what),
	}
	if s.cond != nil {
		since := ""
		if !s.cond.LastTransitionTime.IsZero() {
			since = ", since " + phrase.Stamp(s.cond.LastTransitionTime.Time)
		}
		f.Evidence = append(f.Evidence, fmt.Sprintf("condition %s=%s (%s%s): %s", s.cond.Type, s.cond.Status,
			safetext.Visible(s.cond.Reason), since, quote(s.cond.Message)))
		f.Commands = append(f.Commands, checks.Cmd("kubectl", "get", "node", n.Name, "-o",
			fmt.Sprintf(`jsonpath={.status.conditions[?(@.type=="%s")]}`, s.cond.Type)))
	} else {
		f.Commands = append(f.Commands, checks.Cmd("kubectl", "get", "node", n.Name, "-o", "wide"))
	}
	if !podsRead {
		f.Evidence = append(f.Evidence, "pods not read: how many it strands is unknown")
		return f
	}
	// The pods bound there: not running while it is NotReady, evicted under pressure.
	var stranded []*corev1.Pod
	for _, p := range pods {
		if s.problem != "cordoned" || !podinfo.Ready(p) {
			stranded = append(stranded, p)
		}
	}
	if s.problem == "cordoned" {
		f.Evidence = append(f.Evidence, fmt.Sprintf("%s run there; none new will", phrase.Count(len(pods), "pod", "pods")))
	} else if len(stranded) > 0 {
		f.Message += fmt.Sprintf(", stranding %s", phrase.Count(len(stranded), "pod", "pods"))
		f.Evidence = append(f.Evidence, "pods there: "+safetext.Visible(podinfo.Names(stranded, 5)))
	}
	if s.severity == checks.StatusFail && len(stranded) > 0 {
		f.Cause = true
		for _, p := range stranded {
			if o := ix.OwnerOf(p); !containsRef(f.Explains, o) && !isMirror(p) && o.Kind != "DaemonSet" {
				f.Explains = append(f.Explains, o)
			}
		}
		f.Cause = len(f.Explains) > 0
	}
	f.Commands = append(f.Commands, checks.Cmd("kubectl", "get", "pods", "-A", "--field-selector", "spec.nodeName="+n.Name, "-o", "wide"))
	return f
}
