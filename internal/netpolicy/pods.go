package netpolicy

import (
	"slices"
	"sort"

	"github.com/kockpit/kockpit/internal/podinfo"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// Labels that Cilium and Calico give every pod's endpoint besides the pod's own labels: policy
// selectors name namespaces and service accounts through them. The pod index adds them when
// built for policies, so one selector evaluation covers every flavour.
const (
	ciliumNamespaceLabel      = "io.kubernetes.pod.namespace"
	ciliumServiceAccountLabel = "io.cilium.k8s.policy.serviceaccount"
	ciliumNamespaceLabelsKey  = "io.cilium.k8s.namespace.labels."
	calicoNamespaceLabel      = "projectcalico.org/namespace"
	calicoOrchestratorLabel   = "projectcalico.org/orchestrator"
	calicoNamespaceNameLabel  = "projectcalico.org/name"
	namespaceNameLabel        = "kubernetes.io/metadata.name"
)

// labelMatcher is a selector over labels: a Kubernetes labels.Selector (which the pod index
// can narrow by) or a parsed Calico selector.
type labelMatcher interface {
	Matches(labels.Labels) bool
}

// PodGroup is the pods of one namespace that share their labels and how they reach the network.
// Replicas of one workload share their labels, so a cluster of 100k pods has far fewer groups,
// and a selector is evaluated once per group, never once per pod.
type PodGroup struct {
	Namespace string
	Labels    labels.Set
	Pods      []*corev1.Pod
	// HostNetwork pods share the node's network: pod network policies do not apply to them.
	HostNetwork bool
	// ClusterDNS pods resolve names through the cluster DNS Service (dnsPolicy ClusterFirst, or
	// ClusterFirstWithHostNet on the host network).
	ClusterDNS bool
}

// Namespace is one namespace's pod groups, indexed by label.
type Namespace struct {
	name   string
	labels labels.Set
	Groups []*PodGroup
	byPair map[labelPair][]int32 // key=value → group positions, ascending
	byKey  map[string][]int32    // key → group positions, ascending
}

type labelPair struct{ key, value string }

// PodIndex holds the running pods of a cluster by namespace and label group, with an
// inverted index from labels to groups: a selector is answered from its narrowest requirement
// rather than by walking every pod.
type PodIndex struct {
	Namespaces map[string]*Namespace
	Names      []string // namespace names, sorted
	groups     int
	pods       int
}

// NewPodIndex indexes the pods that still run (not Succeeded or Failed). Namespace labels
// come from namespaces; a namespace known only from its pods gets the label every namespace
// carries, kubernetes.io/metadata.name. With endpointLabels, each group also carries the labels
// Cilium and Calico derive for its endpoints.
func NewPodIndex(pods []*corev1.Pod, namespaces []*corev1.Namespace, endpointLabels bool) *PodIndex {
	idx := &PodIndex{Namespaces: map[string]*Namespace{}}
	for _, ns := range namespaces {
		idx.namespace(ns.Name, ns.Labels)
	}
	groups := map[string]*PodGroup{}
	var keys []string
	var key []byte
	for _, p := range pods {
		if podinfo.Finished(p) {
			continue
		}
		host := p.Spec.HostNetwork
		policy := p.Spec.DNSPolicy
		if policy == "" {
			policy = corev1.DNSClusterFirst
		}
		dns := policy == corev1.DNSClusterFirstWithHostNet || policy == corev1.DNSClusterFirst && !host
		key = groupKey(key[:0], p, flagByte(host, dns), endpointLabels, &keys)
		g := groups[string(key)] // no allocation for the lookup
		if g == nil {
			ns := idx.namespace(p.Namespace, nil)
			set := labels.Set(p.Labels)
			if endpointLabels {
				set = endpointLabelSet(p, ns.labels)
			}
			g = &PodGroup{Namespace: p.Namespace, Labels: set, HostNetwork: host, ClusterDNS: dns}
			groups[string(key)] = g
			ns.add(g)
			idx.groups++
		}
		g.Pods = append(g.Pods, p)
		idx.pods++
	}
	idx.Names = make([]string, 0, len(idx.Namespaces))
	for name := range idx.Namespaces {
		idx.Names = append(idx.Names, name)
	}
	sort.Strings(idx.Names)
	return idx
}

func flagByte(host, dns bool) byte {
	b := byte('0')
	if host {
		b++
	}
	if dns {
		b += 2
	}
	return b
}

// groupKey appends to b what makes a pod's group: namespace, flags, the service account when
// endpoint labels count, and the labels in key order. keys is scratch space for the sort.
func groupKey(b []byte, p *corev1.Pod, flags byte, endpointLabels bool, keys *[]string) []byte {
	b = append(b, p.Namespace...)
	b = append(b, 0, flags)
	if endpointLabels {
		b = append(b, p.Spec.ServiceAccountName...)
		b = append(b, 0)
	}
	*keys = (*keys)[:0]
	for k := range p.Labels {
		*keys = append(*keys, k)
	}
	slices.Sort(*keys)
	for _, k := range *keys {
		b = append(b, k...)
		b = append(b, 0)
		b = append(b, p.Labels[k]...)
		b = append(b, 0)
	}
	return b
}

// endpointLabelSet is a pod's labels plus those Cilium and Calico derive for its endpoint.
func endpointLabelSet(p *corev1.Pod, nsLabels labels.Set) labels.Set {
	set := make(labels.Set, len(p.Labels)+len(nsLabels)+4)
	for k, v := range p.Labels {
		set[k] = v
	}
	for k, v := range nsLabels {
		set[ciliumNamespaceLabelsKey+k] = v
	}
	sa := p.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	set[ciliumNamespaceLabel] = p.Namespace
	set[ciliumServiceAccountLabel] = sa
	set[calicoNamespaceLabel] = p.Namespace
	set[calicoOrchestratorLabel] = "k8s"
	return set
}

// namespace returns the namespace's entry, making it on first sight.
func (idx *PodIndex) namespace(name string, nsLabels map[string]string) *Namespace {
	ns := idx.Namespaces[name]
	if ns != nil {
		return ns
	}
	set := labels.Set{}
	for k, v := range nsLabels {
		set[k] = v
	}
	set[namespaceNameLabel] = name
	set[calicoNamespaceNameLabel] = name
	ns = &Namespace{name: name, labels: set, byPair: map[labelPair][]int32{}, byKey: map[string][]int32{}}
	idx.Namespaces[name] = ns
	return ns
}

func (ns *Namespace) add(g *PodGroup) {
	pos := int32(len(ns.Groups))
	ns.Groups = append(ns.Groups, g)
	for k, v := range g.Labels {
		ns.byPair[labelPair{k, v}] = append(ns.byPair[labelPair{k, v}], pos)
		ns.byKey[k] = append(ns.byKey[k], pos)
	}
}

// Each calls fn for every group of the namespace the selector matches, until fn returns false.
// It reads the candidates from the narrowest requirement that needs a label (=, in, exists)
// and checks the whole selector only on those.
func (ns *Namespace) Each(m labelMatcher, fn func(*PodGroup) bool) {
	sel, ok := m.(labels.Selector)
	if !ok {
		for _, g := range ns.Groups {
			if m.Matches(g.Labels) && !fn(g) {
				return
			}
		}
		return
	}
	if sel.Empty() {
		for _, g := range ns.Groups {
			if !fn(g) {
				return
			}
		}
		return
	}
	reqs, selectable := sel.Requirements()
	if !selectable {
		return
	}
	var cands []int32
	narrowed := false
	for _, r := range reqs {
		var c []int32
		switch r.Operator() {
		case selection.Equals, selection.DoubleEquals, selection.In:
			for v := range r.Values() {
				c = append(c, ns.byPair[labelPair{r.Key(), v}]...)
			}
			if r.Values().Len() > 1 {
				slices.Sort(c)
				c = slices.Compact(c)
			}
		case selection.Exists:
			c = ns.byKey[r.Key()]
		default:
			continue
		}
		if !narrowed || len(c) < len(cands) {
			cands, narrowed = c, true
		}
	}
	if !narrowed {
		for _, g := range ns.Groups {
			if sel.Matches(g.Labels) && !fn(g) {
				return
			}
		}
		return
	}
	for _, i := range cands {
		g := ns.Groups[i]
		if sel.Matches(g.Labels) && !fn(g) {
			return
		}
	}
}

// PodCount is the number of pods in the groups.
func PodCount(groups []*PodGroup) int {
	n := 0
	for _, g := range groups {
		n += len(g.Pods)
	}
	return n
}
