package workloads

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"

	"github.com/kockpit/kockpit/internal/nearmiss"
	"github.com/kockpit/kockpit/safetext"
)

// reasonKind is which of the scheduler's filters keeps a pod off a node.
type reasonKind int

const (
	reasonCordoned reasonKind = iota
	reasonTaint
	reasonNodeSelector
	reasonAffinity
	reasonResources
	reasonVolume
	reasonSpread
	reasonPodAffinity
	reasonPodAntiAffinity
)

var reasonNames = [...]string{"cordoned", "untolerated taint", "nodeSelector", "node affinity", "insufficient resources", "volume node affinity", "topology spread", "pod affinity", "pod anti-affinity"}

func (k reasonKind) String() string { return reasonNames[k] }

// reason is one thing that keeps a pod off one node. Text is terminal-safe.
type reason struct {
	kind  reasonKind
	text  string
	taint *corev1.Taint // the taint, for reasonTaint
	claim string        // the claim's name, for reasonVolume
}

// nodeLoad is what a node runs already: the summed requests of its unfinished pods and their
// count, as the scheduler's NodeResourcesFit filter counts them.
type nodeLoad struct {
	requests corev1.ResourceList
	pods     int
}

// volumePin is a bound claim of the pod whose volume may only be used on some nodes.
type volumePin struct {
	claim, volume string
	selector      *nodeaffinity.NodeSelector
	terms         *corev1.NodeSelector
}

// spreadRule is a DoNotSchedule topology spread constraint with the pods it counts per domain,
// computed once for a group.
type spreadRule struct {
	key     string
	maxSkew int32
	counts  map[string]int // domain value -> matching pods there
	min     int            // the fewest matching pods in any eligible domain
	self    int            // 1 when the pod matches its own selector
}

// podFit is what the per-node verdict needs of a pod, computed once per group.
type podFit struct {
	pod          *corev1.Pod
	selectorKeys []string          // the nodeSelector's keys, sorted
	misses       map[string]string // a nodeSelector miss's words by key and the node's value: nodes repeat them
	requests     corev1.ResourceList
	volumes      []volumePin
	spread       []spreadRule
	pods         *podAffinityFit // nil when no pod (anti-)affinity applies
}

// whyNotHere recomputes, from the objects, why the scheduler's filters reject the pod on the
// node: every reason, not only the first the scheduler stopped at. No reason: the pod fits.
func whyNotHere(fit *podFit, node *corev1.Node, load nodeLoad) []reason {
	var out []reason
	if node.Spec.Unschedulable && !toleratesUnschedulable(fit.pod) {
		out = append(out, reason{kind: reasonCordoned, text: "cordoned (spec.unschedulable)"})
	}
	for i := range node.Spec.Taints {
		t := &node.Spec.Taints[i]
		if t.Effect != corev1.TaintEffectNoSchedule && t.Effect != corev1.TaintEffectNoExecute {
			continue // PreferNoSchedule only scores
		}
		if tolerated(fit.pod.Spec.Tolerations, t) {
			continue
		}
		out = append(out, reason{kind: reasonTaint, taint: t, text: "untolerated taint " + taintString(t)})
	}
	out = append(out, selectorReasons(fit, node)...)
	out = append(out, resourceReasons(fit.requests, node, load)...)
	for _, v := range fit.volumes {
		if !v.selector.Match(node) {
			out = append(out, reason{kind: reasonVolume, claim: v.claim,
				text: fmt.Sprintf("claim %s's volume %s may only be used where %s", safetext.Visible(v.claim), safetext.Visible(v.volume), nodeSelectorString(v.terms))})
		}
	}
	for _, s := range fit.spread {
		domain, ok := node.Labels[s.key]
		if !ok {
			out = append(out, reason{kind: reasonSpread, text: fmt.Sprintf("no label %s, which topology spread needs", safetext.Visible(s.key))})
			continue
		}
		if skew := s.counts[domain] + s.self - s.min; skew > int(s.maxSkew) {
			out = append(out, reason{kind: reasonSpread, text: fmt.Sprintf("topology spread: %d matching pods in %s=%s, fewest %d elsewhere, maxSkew %d",
				s.counts[domain], safetext.Visible(s.key), safetext.Visible(domain), s.min, s.maxSkew)})
		}
	}
	return append(out, fit.pods.reasons(node)...)
}

func tolerated(tolerations []corev1.Toleration, t *corev1.Taint) bool {
	for i := range tolerations {
		if tolerations[i].ToleratesTaint(klog.Background(), t, false) {
			return true
		}
	}
	return false
}

// toleratesUnschedulable: the scheduler lets a pod that tolerates the unschedulable taint onto a
// cordoned node (DaemonSet pods do).
func toleratesUnschedulable(p *corev1.Pod) bool {
	return tolerated(p.Spec.Tolerations, &corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule})
}

func taintString(t *corev1.Taint) string {
	s := safetext.Visible(t.Key)
	if t.Value != "" {
		s += "=" + safetext.Visible(t.Value)
	}
	return s + ":" + string(t.Effect)
}

// selectorReasons names each nodeSelector label and each required node affinity expression the
// node does not satisfy, with the node's nearest value when it has one.
func selectorReasons(fit *podFit, node *corev1.Node) []reason {
	p, keys := fit.pod, fit.selectorKeys
	var out []reason
	for _, k := range keys {
		want := p.Spec.NodeSelector[k]
		if have, ok := node.Labels[k]; ok && have == want {
			continue
		}
		out = append(out, reason{kind: reasonNodeSelector, text: fit.selectorMiss(k, want, node.Labels)})
	}
	a := p.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return out
	}
	terms := a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
	if sel, err := nodeaffinity.NewNodeSelector(a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution); err == nil && sel.Match(node) {
		return out
	}
	// The terms are ORed: say why the first fails, and count the others.
	for i, term := range terms {
		if i > 0 {
			out[len(out)-1].text += fmt.Sprintf(" (and %d more terms fail)", len(terms)-1)
			break
		}
		for _, req := range term.MatchExpressions {
			if requirementMatches(req, node) {
				continue
			}
			out = append(out, reason{kind: reasonAffinity, text: "node affinity " + requirementString(req) + ": " + requirementMiss(req, node.Labels)})
			break
		}
		if len(out) == 0 || out[len(out)-1].kind != reasonAffinity {
			out = append(out, reason{kind: reasonAffinity, text: "required node affinity does not match (matchFields)"})
		}
	}
	return out
}

// selectorMiss words how a node's labels miss the nodeSelector's key=want, once per value the
// nodes have for the key: a thousand nodes mostly repeat a few.
func (fit *podFit) selectorMiss(key, want string, labels map[string]string) string {
	have, ok := labels[key]
	memo := key + "\x00" + have
	if s, done := fit.misses[memo]; done && ok {
		return s
	}
	s := fmt.Sprintf("nodeSelector %s=%s: %s", safetext.Visible(key), safetext.Visible(want), labelMiss(key, []string{want}, labels))
	if ok {
		if fit.misses == nil {
			fit.misses = map[string]string{}
		}
		fit.misses[memo] = s
	}
	return s
}

func requirementMatches(req corev1.NodeSelectorRequirement, node *corev1.Node) bool {
	sel, err := nodeaffinity.NewNodeSelector(&corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{req}}}})
	return err == nil && sel.Match(node)
}

func requirementString(req corev1.NodeSelectorRequirement) string {
	s := safetext.Visible(req.Key) + " " + string(req.Operator)
	if len(req.Values) > 0 {
		vals := make([]string, len(req.Values))
		for i, v := range req.Values {
			vals[i] = safetext.Visible(v)
		}
		s += " [" + strings.Join(vals, ", ") + "]"
	}
	return s
}

func requirementMiss(req corev1.NodeSelectorRequirement, labels map[string]string) string {
	have, ok := labels[req.Key]
	switch req.Operator {
	case corev1.NodeSelectorOpIn:
		return labelMiss(req.Key, req.Values, labels)
	case corev1.NodeSelectorOpExists:
		return labelMiss(req.Key, nil, labels)
	case corev1.NodeSelectorOpNotIn, corev1.NodeSelectorOpDoesNotExist:
		return fmt.Sprintf("node has %s=%s", safetext.Visible(req.Key), safetext.Visible(have))
	}
	if !ok {
		return "node has no label " + safetext.Visible(req.Key)
	}
	return fmt.Sprintf("node has %s=%s", safetext.Visible(req.Key), safetext.Visible(have))
}

// labelMiss says how the node's labels miss key with one of wants: its own value and how near
// it comes, or the nearest key it has instead.
func labelMiss(key string, wants []string, labels map[string]string) string {
	if have, ok := labels[key]; ok {
		near := ""
		for _, w := range wants {
			if n := nearness(w, have); n != "" {
				near = fmt.Sprintf(" (near miss of %s: %s)", safetext.Visible(w), n)
				break
			}
		}
		return fmt.Sprintf("node has %s=%s%s", safetext.Visible(key), safetext.Visible(have), near)
	}
	nearest := ""
	for k := range labels {
		if n := nearness(key, k); n != "" && (nearest == "" || k < nearest) {
			nearest = k
		}
	}
	if nearest != "" {
		return fmt.Sprintf("node has no label %s, but %s=%s (near miss: %s)", safetext.Visible(key), safetext.Visible(nearest),
			safetext.Visible(labels[nearest]), nearness(key, nearest))
	}
	return "node has no label " + safetext.Visible(key)
}

// resourceReasons compares the pod's requests with what is free on the node: allocatable minus
// the requests of the pods already there, as the scheduler's NodeResourcesFit filter does.
// A node whose status has no allocatable at all (a hand-written snapshot) is not judged: the
// scheduler would read zero, but nothing says the node has nothing.
func resourceReasons(requests corev1.ResourceList, node *corev1.Node, load nodeLoad) []reason {
	var out []reason
	if len(node.Status.Allocatable) == 0 {
		return nil
	}
	if allowed, ok := node.Status.Allocatable[corev1.ResourcePods]; ok && int64(load.pods)+1 > allowed.Value() {
		out = append(out, reason{kind: reasonResources, text: fmt.Sprintf("too many pods: %d of %d allowed run there", load.pods, allowed.Value())})
	}
	names := make([]string, 0, len(requests))
	for name := range requests {
		names = append(names, string(name))
	}
	sort.Strings(names)
	for _, n := range names {
		name := corev1.ResourceName(n)
		want := requests[name]
		if name == corev1.ResourcePods || want.Sign() <= 0 {
			continue
		}
		alloc := node.Status.Allocatable[name]
		free := alloc.DeepCopy()
		free.Sub(load.requests[name])
		if want.Cmp(free) <= 0 {
			continue
		}
		out = append(out, reason{kind: reasonResources, text: fmt.Sprintf("insufficient %s: requests %s, %s free of %s allocatable",
			safetext.Visible(n), quantity(want), quantity(nonNegative(free)), quantity(alloc))})
	}
	return out
}

func nonNegative(q resource.Quantity) resource.Quantity {
	if q.Sign() < 0 {
		return resource.Quantity{}
	}
	return q
}

func quantity(q resource.Quantity) string { return safetext.Visible(q.String()) }

// nodeSelectorString writes a volume's node affinity as its expressions, terms joined by "or".
func nodeSelectorString(ns *corev1.NodeSelector) string {
	var terms []string
	for _, t := range ns.NodeSelectorTerms {
		var reqs []string
		for _, r := range t.MatchExpressions {
			reqs = append(reqs, requirementString(r))
		}
		for _, r := range t.MatchFields {
			reqs = append(reqs, requirementString(r))
		}
		terms = append(terms, strings.Join(reqs, ", "))
	}
	return strings.Join(terms, " or ")
}

// nearness is how near have comes to want, "" when not near; one character apart says nothing
// of values as short as a zone letter.
func nearness(want, have string) string {
	n := nearmiss.Nearness(want, have, "")
	if n == "one character" && len(want) < 3 {
		return ""
	}
	return n
}
