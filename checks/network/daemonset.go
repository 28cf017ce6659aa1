package network

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/podinfo"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"
)

// agentCoverage is how a node agent's DaemonSet (a CNI, kube-proxy) covers the nodes: an agent
// that is missing from a node leaves that node without what the agent provides.
type agentCoverage struct {
	ds *appsv1.DaemonSet
	// nodes is how many nodes the agent must run on (Linux nodes, or Windows ones for an agent
	// that selects Windows).
	nodes int
	// excluded are the nodes its pod template cannot run on, with the reason, by node name.
	excluded []excludedNode
	// broken are the nodes it may run on but where its pod is missing or not ready.
	broken []agentPod
	// ready is how many nodes have a ready agent pod.
	ready int
	// podsKnown says pods were read; without them only the DaemonSet's status counts are known.
	podsKnown bool
}

type excludedNode struct {
	node *corev1.Node
	why  string // `nodeSelector kubernetes.io/hostname=worker-1 (the node has "cp1")`
}

type agentPod struct {
	node *corev1.Node
	pod  *corev1.Pod // nil when the node has no pod of the agent
}

// daemonSetCoverage works out which nodes the DaemonSet's pod template excludes (nodeSelector,
// required node affinity, taints it does not tolerate) and which of the others lack a ready pod.
// pods may be nil when they could not be read.
func daemonSetCoverage(ds *appsv1.DaemonSet, nodes []*corev1.Node, pods []*corev1.Pod) agentCoverage {
	cov := agentCoverage{ds: ds, podsKnown: pods != nil}
	byNode := daemonSetPods(ds, pods)
	spec := ds.Spec.Template.Spec
	windows := spec.NodeSelector[corev1.LabelOSStable] == "windows"
	affinity := nodeaffinity.NewRequiredNodeAffinity(spec.NodeSelector, spec.Affinity)
	for _, n := range nodes {
		if (n.Labels[corev1.LabelOSStable] == "windows") != windows || n.Labels["type"] == "virtual-kubelet" {
			continue
		}
		cov.nodes++
		if why := excludedBy(spec, affinity, n); why != "" {
			cov.excluded = append(cov.excluded, excludedNode{node: n, why: why})
			continue
		}
		p := byNode[n.Name]
		switch {
		case p != nil && podinfo.Ready(p):
			cov.ready++
		case pods != nil:
			cov.broken = append(cov.broken, agentPod{node: n, pod: p})
		}
	}
	if pods == nil {
		cov.ready = int(ds.Status.NumberReady)
	}
	return cov
}

// daemonSetPods maps node names to the DaemonSet's pod there: the pods of its namespace that
// its selector matches and that no other owner claims.
func daemonSetPods(ds *appsv1.DaemonSet, pods []*corev1.Pod) map[string]*corev1.Pod {
	out := map[string]*corev1.Pod{}
	sel, err := metav1.LabelSelectorAsSelector(ds.Spec.Selector)
	if err != nil || sel.Empty() {
		return out
	}
	for _, p := range pods {
		if p.Namespace != ds.Namespace || p.Spec.NodeName == "" || podinfo.Finished(p) || !sel.Matches(labels.Set(p.Labels)) {
			continue
		}
		if owner := metav1.GetControllerOf(p); owner != nil && (owner.Kind != "DaemonSet" || owner.Name != ds.Name) {
			continue
		}
		// A node with a ready pod and a broken one (mid-rollout) counts as covered.
		if prev := out[p.Spec.NodeName]; prev == nil || !podinfo.Ready(prev) {
			out[p.Spec.NodeName] = p
		}
	}
	return out
}

// excludedBy says why the pod template cannot run on the node, or "" when it can. Taints the
// node lifecycle controller sets from conditions (node.kubernetes.io/...) are the symptoms of a
// missing agent, and DaemonSet pods tolerate most of them: they do not count.
func excludedBy(spec corev1.PodSpec, affinity nodeaffinity.RequiredNodeAffinity, n *corev1.Node) string {
	keys := make([]string, 0, len(spec.NodeSelector))
	for k := range spec.NodeSelector {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the same reason every run
	for _, k := range keys {
		v := spec.NodeSelector[k]
		if got, ok := n.Labels[k]; !ok || got != v {
			if !ok {
				return fmt.Sprintf("nodeSelector %s=%s (the node has no %s label)", k, v, k)
			}
			return fmt.Sprintf("nodeSelector %s=%s (the node has %q)", k, v, got)
		}
	}
	if ok, err := affinity.Match(n); err != nil || !ok {
		return "required node affinity: " + nodeAffinityText(spec.Affinity)
	}
	for i := range n.Spec.Taints {
		t := &n.Spec.Taints[i]
		if t.Effect == corev1.TaintEffectPreferNoSchedule || strings.HasPrefix(t.Key, "node.kubernetes.io/") {
			continue
		}
		tolerated := false
		for j := range spec.Tolerations {
			if spec.Tolerations[j].ToleratesTaint(klog.Background(), t, false) {
				tolerated = true
				break
			}
		}
		if !tolerated {
			return "taint " + t.ToString() + " is not tolerated"
		}
	}
	return ""
}

// nodeAffinityText writes the required node affinity terms in one line, as kubectl would read
// them: "kubernetes.io/hostname In [worker-1]; or ...".
func nodeAffinityText(a *corev1.Affinity) string {
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return "(none)"
	}
	var terms []string
	for _, t := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		var parts []string
		for _, e := range t.MatchExpressions {
			parts = append(parts, fmt.Sprintf("%s %s %v", e.Key, e.Operator, e.Values))
		}
		for _, e := range t.MatchFields {
			parts = append(parts, fmt.Sprintf("field %s %s %v", e.Key, e.Operator, e.Values))
		}
		terms = append(terms, strings.Join(parts, ", "))
	}
	return strings.Join(terms, "; or ")
}

// excludedNames returns the excluded nodes' names, sorted.
func (c agentCoverage) excludedNames() []string {
	var names []string
	for _, e := range c.excluded {
		names = append(names, e.node.Name)
	}
	sort.Strings(names)
	return names
}

// nodeRefs returns references to the nodes.
func nodeRefs(nodes []*corev1.Node) []checks.ObjectRef {
	out := make([]checks.ObjectRef, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, checks.ObjectRef{APIVersion: "v1", Kind: "Node", Name: n.Name})
	}
	return out
}
