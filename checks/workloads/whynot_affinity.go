package workloads

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"

	"github.com/kockpit/kockpit/safetext"
)

// podTerm is a required pod (anti-)affinity term compiled as the scheduler's InterPodAffinity
// plugin compiles it: its label selector (with matchLabelKeys and mismatchLabelKeys taken from
// the pod that owns the term), the namespaces it looks in and its topology key.
type podTerm struct {
	key        string
	selector   labels.Selector
	namespaces map[string]bool
	nsSelector labels.Selector // nil without a namespaceSelector
	text       string          // terminal-safe: "app=cache in namespace shop, topologyKey zone"
}

// compileTerm compiles a term of owner. ok is false when its selector is not valid: the API
// server refuses such a pod, so a term that does not compile judges nothing.
func compileTerm(owner *corev1.Pod, t corev1.PodAffinityTerm) (podTerm, bool) {
	sel, err := metav1.LabelSelectorAsSelector(t.LabelSelector)
	if err != nil {
		return podTerm{}, false
	}
	extra := func(keys []string, op selection.Operator) bool {
		for _, k := range keys {
			v, has := owner.Labels[k]
			if !has {
				continue
			}
			req, err := labels.NewRequirement(k, op, []string{v})
			if err != nil {
				return false
			}
			sel = sel.Add(*req)
		}
		return true
	}
	if t.LabelSelector != nil && (!extra(t.MatchLabelKeys, selection.In) || !extra(t.MismatchLabelKeys, selection.NotIn)) {
		return podTerm{}, false
	}
	pt := podTerm{key: t.TopologyKey, selector: sel, namespaces: map[string]bool{}}
	for _, ns := range t.Namespaces {
		pt.namespaces[ns] = true
	}
	where := ""
	switch {
	case t.NamespaceSelector != nil:
		if pt.nsSelector, err = metav1.LabelSelectorAsSelector(t.NamespaceSelector); err != nil {
			return podTerm{}, false
		}
		where = " in namespaces matching " + labelSelectorText(t.NamespaceSelector)
		if len(t.Namespaces) > 0 {
			where += " or named " + strings.Join(t.Namespaces, ", ")
		}
	case len(t.Namespaces) == 0:
		pt.namespaces[owner.Namespace] = true
		where = " in namespace " + owner.Namespace
	default:
		where = " in namespaces " + strings.Join(t.Namespaces, ", ")
	}
	what := "no selector (matches no pod)"
	switch {
	case t.LabelSelector == nil:
	case sel.Empty():
		what = "every pod"
	default:
		what = sel.String() // with matchLabelKeys and mismatchLabelKeys in it
	}
	pt.text = safetext.Visible(what + where + ", topologyKey " + t.TopologyKey)
	return pt, true
}

func labelSelectorText(s *metav1.LabelSelector) string {
	if t := metav1.FormatLabelSelector(s); t != "" && t != "<none>" {
		return t
	}
	return "every namespace"
}

// judged says whether the term can be judged: a namespaceSelector needs the namespaces' labels.
func (t podTerm) judged(nsLabels map[string]labels.Set) bool {
	return t.nsSelector == nil || nsLabels != nil
}

// matches says whether the term selects the pod. nsLabels are the namespaces' labels, read
// (judged says so); a namespace not among them has the one label the API server gives each.
func (t podTerm) matches(p *corev1.Pod, nsLabels map[string]labels.Set) bool {
	inNamespace := t.namespaces[p.Namespace]
	if !inNamespace && t.nsSelector != nil {
		l, ok := nsLabels[p.Namespace]
		if !ok {
			l = labels.Set{corev1.LabelMetadataName: p.Namespace}
		}
		inNamespace = t.nsSelector.Matches(l)
	}
	return inNamespace && t.selector.Matches(labels.Set(p.Labels))
}

// domain is one topology domain: a topology key and a node's value for it.
type domain struct{ key, value string }

func (d domain) String() string { return safetext.Visible(d.key + "=" + d.value) }

// antiHold is a pod running in a domain that an anti-affinity term keeps the pod out of.
type antiHold struct {
	pod  string // namespace/name, terminal-safe
	term string
}

// podAffinityFit is what the InterPodAffinity filter needs of a group's pod, computed once
// from the pods running on the nodes.
type podAffinityFit struct {
	affinity []podTerm
	// counts are the running pods that match every affinity term, per domain of each term.
	counts map[domain]int
	// selfMatch: no running pod matches and the pod matches its own terms, the first of a
	// group that wants to run together: the scheduler lets it anywhere the keys exist.
	selfMatch bool
	anti      []podTerm
	antiHeld  []map[string]antiHold // per anti-affinity term: by domain value, a matching pod there
	// existing are the running pods' own anti-affinity terms that select the pod: it may not
	// join them in their domain.
	existing      map[domain]antiHold
	existingOrder []domain // existing's domains, sorted: the table names them in this order
	// unjudged names the terms not judged (a namespaceSelector, and namespaces not read).
	unjudged []string
}

// podAffinityOf evaluates the pod's required pod affinity and anti-affinity, and the running
// pods' required anti-affinity towards it; nil when none applies.
func podAffinityOf(p *corev1.Pod, in schedulingInputs) *podAffinityFit {
	var affTerms, antiTerms []corev1.PodAffinityTerm
	if a := p.Spec.Affinity; a != nil && a.PodAffinity != nil {
		affTerms = a.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution
	}
	if a := p.Spec.Affinity; a != nil && a.PodAntiAffinity != nil {
		antiTerms = a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution
	}
	idx := in.affinity
	if idx == nil {
		idx = newAffinityIndex(in)
	}
	if len(affTerms) == 0 && len(antiTerms) == 0 && len(idx.anti) == 0 && len(idx.unjudged) == 0 {
		return nil // the common case, kept cheap: thousands of pods, none with terms
	}
	fit := &podAffinityFit{counts: map[domain]int{}, existing: map[domain]antiHold{}}
	for i, t := range affTerms {
		if pt, ok := compileTerm(p, t); ok {
			pt.text = termName("pod affinity", i, len(affTerms)) + " (" + pt.text + ")"
			fit.affinity = append(fit.affinity, pt)
		}
	}
	for _, t := range fit.affinity {
		if !t.judged(in.namespaces) { // the terms hold together: one unknown, none judged
			for _, t := range fit.affinity {
				fit.unjudged = append(fit.unjudged, t.text)
			}
			fit.affinity = nil
			break
		}
	}
	for i, t := range antiTerms {
		pt, ok := compileTerm(p, t)
		if !ok {
			continue
		}
		pt.text = termName("pod anti-affinity", i, len(antiTerms)) + " (" + pt.text + ")"
		if !pt.judged(in.namespaces) {
			fit.unjudged = append(fit.unjudged, pt.text)
			continue
		}
		fit.anti = append(fit.anti, pt)
		fit.antiHeld = append(fit.antiHeld, map[string]antiHold{})
	}
	fit.countAffinity(idx.running, idx.nodes, in.namespaces)
	fit.selfMatch = len(fit.affinity) > 0 && len(fit.counts) == 0
	for _, t := range fit.affinity {
		fit.selfMatch = fit.selfMatch && t.matches(p, in.namespaces)
	}
	fit.holdAnti(idx.running, idx.nodes, in.namespaces)
	fit.existingAnti(p, idx, in.namespaces)
	if len(fit.affinity) == 0 && len(fit.anti) == 0 && len(fit.existing) == 0 && len(fit.unjudged) == 0 {
		return nil
	}
	for d := range fit.existing {
		fit.existingOrder = append(fit.existingOrder, d)
	}
	sort.Slice(fit.existingOrder, func(i, j int) bool {
		a, b := fit.existingOrder[i], fit.existingOrder[j]
		return a.key < b.key || a.key == b.key && a.value < b.value
	})
	return fit
}

// affinityIndex is what every group's pod (anti-)affinity is judged against, built once a run:
// the pods running on known nodes and their own required anti-affinity terms, compiled.
type affinityIndex struct {
	nodes    map[string]*corev1.Node
	running  []*corev1.Pod
	anti     []runningAnti
	unjudged []string // running pods' terms with a namespaceSelector, namespaces not read
}

// runningAnti is one required anti-affinity term of a running pod, with its domain there.
type runningAnti struct {
	pod   *corev1.Pod
	term  podTerm
	name  string // "anti-affinity term 2 (app=api in namespace shop, topologyKey zone)"
	value string // the pod's node's value for the term's topology key
}

func newAffinityIndex(in schedulingInputs) *affinityIndex {
	idx := &affinityIndex{nodes: make(map[string]*corev1.Node, len(in.nodes)), running: make([]*corev1.Pod, 0, len(in.pods))}
	for _, n := range in.nodes {
		idx.nodes[n.Name] = n
	}
	for _, q := range in.pods {
		if !active(q) || idx.nodes[q.Spec.NodeName] == nil { // a Pending pod is not bound
			continue
		}
		idx.running = append(idx.running, q)
		a := q.Spec.Affinity
		if a == nil || a.PodAntiAffinity == nil {
			continue
		}
		terms := a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution
		for i, t := range terms {
			pt, ok := compileTerm(q, t)
			if !ok {
				continue
			}
			if !pt.judged(in.namespaces) {
				idx.unjudged = append(idx.unjudged, fmt.Sprintf("pod %s's anti-affinity (%s)", safetext.Visible(q.Namespace+"/"+q.Name), pt.text))
				continue
			}
			if v, has := idx.nodes[q.Spec.NodeName].Labels[pt.key]; has {
				idx.anti = append(idx.anti, runningAnti{pod: q, term: pt, name: termName("anti-affinity", i, len(terms)) + " (" + pt.text + ")", value: v})
			}
		}
	}
	return idx
}

// hold records the pod as the one in the way in the domain, unless one that sorts first is
// recorded already: the same input names the same pod, whatever the order pods were listed in.
func hold(m map[string]antiHold, value string, q *corev1.Pod, term string) {
	name := safetext.Visible(q.Namespace + "/" + q.Name)
	if h, seen := m[value]; !seen || name < h.pod {
		m[value] = antiHold{pod: name, term: term}
	}
}

func termName(what string, i, n int) string {
	if n == 1 {
		return what
	}
	return fmt.Sprintf("%s term %d", what, i+1)
}

// countAffinity counts, per domain of each affinity term, the running pods that match every
// term, as the scheduler does: a pod matching only some of them counts for none.
func (fit *podAffinityFit) countAffinity(running []*corev1.Pod, nodes map[string]*corev1.Node, ns map[string]labels.Set) {
	if len(fit.affinity) == 0 {
		return
	}
	for _, q := range running {
		all := true
		for _, t := range fit.affinity {
			all = all && t.matches(q, ns)
		}
		if !all {
			continue
		}
		for _, t := range fit.affinity {
			if v, ok := nodes[q.Spec.NodeName].Labels[t.key]; ok {
				fit.counts[domain{t.key, v}]++
			}
		}
	}
}

// holdAnti records, per anti-affinity term, the domains where a matching pod runs.
func (fit *podAffinityFit) holdAnti(running []*corev1.Pod, nodes map[string]*corev1.Node, ns map[string]labels.Set) {
	for i, t := range fit.anti {
		for _, q := range running {
			v, has := nodes[q.Spec.NodeName].Labels[t.key]
			if !has || !t.matches(q, ns) {
				continue
			}
			hold(fit.antiHeld[i], v, q, t.text)
		}
	}
}

// existingAnti records the domains of running pods whose required anti-affinity selects p.
func (fit *podAffinityFit) existingAnti(p *corev1.Pod, idx *affinityIndex, ns map[string]labels.Set) {
	fit.unjudged = append(fit.unjudged, idx.unjudged...)
	byKey := map[string]map[string]antiHold{} // topology key → value → the pod in the way
	for _, a := range idx.anti {
		if !a.term.matches(p, ns) {
			continue
		}
		if byKey[a.term.key] == nil {
			byKey[a.term.key] = map[string]antiHold{}
		}
		hold(byKey[a.term.key], a.value, a.pod, a.name)
	}
	for key, values := range byKey {
		for v, h := range values {
			fit.existing[domain{key, v}] = h
		}
	}
}

// reasons says why the InterPodAffinity filter rejects the pod on the node, naming the term.
func (fit *podAffinityFit) reasons(n *corev1.Node) []reason {
	if fit == nil {
		return nil
	}
	var out []reason
	missingKey := false
	for _, t := range fit.affinity {
		if _, ok := n.Labels[t.key]; !ok {
			missingKey = true
			out = append(out, reason{kind: reasonPodAffinity, text: t.text + ": node has no label " + safetext.Visible(t.key)})
		}
	}
	if !missingKey && !fit.selfMatch {
		for _, t := range fit.affinity {
			d := domain{t.key, n.Labels[t.key]}
			if fit.counts[d] == 0 {
				out = append(out, reason{kind: reasonPodAffinity, text: fmt.Sprintf("%s: no matching pod runs in %s", t.text, d)})
			}
		}
	}
	for i, t := range fit.anti {
		v, ok := n.Labels[t.key]
		if !ok {
			continue
		}
		if h, held := fit.antiHeld[i][v]; held {
			out = append(out, reason{kind: reasonPodAntiAffinity, text: fmt.Sprintf("%s: pod %s runs in %s", t.text, h.pod, domain{t.key, v})})
		}
	}
	for _, d := range fit.existingOrder {
		if v, has := n.Labels[d.key]; has && v == d.value {
			h := fit.existing[d]
			out = append(out, reason{kind: reasonPodAntiAffinity, text: fmt.Sprintf("pod %s's %s refuses it in %s", h.pod, h.term, d)})
		}
	}
	return out
}
