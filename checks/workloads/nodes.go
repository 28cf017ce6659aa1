package workloads

import (
	"context"
	"fmt"
	"sort"
	"strings"

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
	Reads: []kube.Resource{kube.Nodes, kube.Pods, kube.Deployments, kube.DaemonSets, kube.StatefulSets,
		kube.PVCs, kube.PersistentVolumes, kube.Namespaces},
	Run: runNodes,
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
	in := schedulingInputs{pods: pods, nodes: nodes, owners: ix}
	if p.Read(kube.Pods) && anyNodeState(nodes) {
		// Only then, the Pending pods a node's own state keeps off it are worked out as
		// workloads.scheduling does, with the volumes that pin pods and the namespaces pod
		// affinity looks in (a kind not read is then named).
		in.claims, in.volumes = volumeIndex(ctx, env, &p)
		in.namespaces = namespaceLabels(ctx, env, &p)
	}
	if err := ctx.Err(); err != nil {
		return checks.Errored(fmt.Sprintf("listing for workloads.nodes: %v", err))
	}
	return p.Note(judgeNodes(in, p.Read(kube.Pods)))
}

func anyNodeState(nodes []*corev1.Node) bool {
	for _, n := range nodes {
		if len(nodeStates(n)) > 0 {
			return true
		}
	}
	return false
}

// nodeState is one thing wrong with a node, as its conditions or spec say.
type nodeState struct {
	problem  string
	severity checks.Status
	what     string // "is NotReady", "has DiskPressure"
	cond     *corev1.NodeCondition
	hint     string
}

func judgeNodes(in schedulingInputs, podsRead bool) checks.Result {
	in.nodes = append([]*corev1.Node(nil), in.nodes...)
	sort.Slice(in.nodes, func(i, j int) bool { return in.nodes[i].Name < in.nodes[j].Name })
	onNode := map[string][]*corev1.Pod{}
	for _, p := range in.pods {
		if active(p) {
			onNode[p.Spec.NodeName] = append(onNode[p.Spec.NodeName], p)
		}
	}
	var held map[string][]heldGroup
	if podsRead {
		held = heldOff(in)
	}
	var findings []checks.Finding
	for _, n := range in.nodes {
		for _, s := range nodeStates(n) {
			f := nodeFinding(n, s, onNode[n.Name], podsRead, in.owners)
			explainHeldOff(&f, held[n.Name])
			findings = append(findings, f)
		}
	}
	return summarize(findings, fmt.Sprintf("%s Ready, without pressure, schedulable", phrase.Count(len(in.nodes), "node is", "nodes are")))
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
	// The pods bound there: not running while it is NotReady, evicted under pressure. A pod its
	// kubelet still reports ready on a node whose kubelet posts NotReady runs (a host-network
	// agent on a node without pod network): it is not stranded. When the kubelet stopped
	// posting, no pod's status is current.
	posting := s.cond != nil && s.cond.Type == corev1.NodeReady && s.cond.Status == corev1.ConditionFalse
	var stranded, running []*corev1.Pod
	for _, p := range pods {
		if (s.problem == "cordoned" || posting) && podinfo.Ready(p) {
			running = append(running, p)
		} else {
			stranded = append(stranded, p)
		}
	}
	if s.problem == "cordoned" {
		f.Evidence = append(f.Evidence, fmt.Sprintf("%s run there; none new will", phrase.Count(len(pods), "pod", "pods")))
	} else if len(stranded) > 0 {
		f.Message += fmt.Sprintf(", stranding %s", phrase.Count(len(stranded), "pod", "pods"))
		f.Evidence = append(f.Evidence, "pods there: "+safetext.Visible(podinfo.Names(stranded, 5)))
	}
	if s.problem != "cordoned" && len(running) > 0 {
		f.Evidence = append(f.Evidence, "ready there still, as its kubelet reports: "+safetext.Visible(podinfo.Names(running, 5)))
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

// heldGroup is a Pending group that a node's own state alone keeps off it.
type heldGroup struct {
	owner checks.ObjectRef
	first *corev1.Pod
	pods  int
	why   string // the node's reasons, terminal-safe
}

// heldOff maps each node to the Pending groups its own state alone keeps off it: no node
// takes them, and this node refuses them only for its cordon or a taint its conditions put
// there (node.kubernetes.io/...). The node's finding explains them: made Ready (or uncordoned),
// it takes them, as workloads.scheduling's table shows.
func heldOff(in schedulingInputs) map[string][]heldGroup {
	var stated []*corev1.Node
	for _, n := range in.nodes {
		if len(nodeStates(n)) > 0 {
			stated = append(stated, n)
		}
	}
	if len(stated) == 0 {
		return nil
	}
	var load map[string]nodeLoad
	out := map[string][]heldGroup{}
	for _, g := range pendingGroups(in) {
		if g.state != "unschedulable" {
			continue
		}
		if load == nil {
			load, in.affinity = loads(in.pods), newAffinityIndex(in)
		}
		fit := fitOf(g.pods[0], in)
		var held []*corev1.Node
		var why []string
		for _, n := range stated {
			if rs := whyNotHere(fit, n, load[n.Name]); len(rs) > 0 && ownStateOnly(rs) {
				held = append(held, n)
				why = append(why, reasonTexts(rs))
			}
		}
		if len(held) == 0 || fitsAnyNode(fit, in.nodes, load) {
			continue
		}
		for i, n := range held {
			out[n.Name] = append(out[n.Name], heldGroup{owner: g.owner, first: g.pods[0], pods: len(g.pods), why: why[i]})
		}
	}
	return out
}

// ownStateOnly says whether every reason is the node's own state: its cordon, or a taint the
// node lifecycle controller sets from a condition.
func ownStateOnly(rs []reason) bool {
	for _, r := range rs {
		if r.kind != reasonCordoned && (r.kind != reasonTaint || !strings.HasPrefix(r.taint.Key, "node.kubernetes.io/")) {
			return false
		}
	}
	return true
}

func fitsAnyNode(fit *podFit, nodes []*corev1.Node, load map[string]nodeLoad) bool {
	for _, n := range nodes {
		if len(whyNotHere(fit, n, load[n.Name])) == 0 {
			return true
		}
	}
	return false
}

func reasonTexts(rs []reason) string {
	texts := make([]string, len(rs))
	for i, r := range rs {
		texts[i] = r.text
	}
	return strings.Join(texts, "; ")
}

// explainHeldOff makes a node's finding the cause of the Pending groups its state keeps off it.
func explainHeldOff(f *checks.Finding, groups []heldGroup) {
	if len(groups) == 0 {
		return
	}
	pods := 0
	for i, g := range groups {
		pods += g.pods
		if !containsRef(f.Explains, g.owner) {
			f.Explains = append(f.Explains, g.owner)
		}
		if i < maxHeldLines {
			f.Evidence = append(f.Evidence, fmt.Sprintf("keeps Pending: %s, refused here only for: %s", subjectOf(g), g.why))
		}
	}
	if len(groups) > maxHeldLines {
		f.Evidence = append(f.Evidence, fmt.Sprintf("keeps Pending: %d more workloads", len(groups)-maxHeldLines))
	}
	f.Cause = true
	f.Message += fmt.Sprintf(", keeping %s Pending that would fit there", phrase.Count(pods, "pod", "pods"))
	f.Commands = append(f.Commands, describeCmd(groups[0].first))
}

// maxHeldLines caps the evidence lines naming the Pending groups a node keeps off it.
const maxHeldLines = 5

func subjectOf(g heldGroup) string {
	if g.owner.Kind == "Pod" {
		return "pod " + safetext.Visible(g.owner.Namespace+"/"+g.owner.Name)
	}
	return fmt.Sprintf("%s of %s", phrase.Count(g.pods, "pod", "pods"), safetext.Visible(g.owner.String()))
}
