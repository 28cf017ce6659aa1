// Package netpolicy evaluates network policies of every flavour (Kubernetes, Cilium, Calico) in one
// model: which pods a policy selects, which traffic it allows or denies, and whether pods can reach
// cluster DNS.
package netpolicy

import (
	"encoding/json"
	"fmt"
	"math"
	"net"
	"regexp"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/kube"
)

// Flavour is a kind of network policy: Kubernetes' own, or a CNI's.
type Flavour int

const (
	FlavourKubernetes Flavour = iota
	FlavourCilium
	FlavourCiliumClusterwide
	FlavourCalico
	FlavourCalicoGlobal
)

// Flavours are the flavours in report order, with the resource each is read from.
var Flavours = []struct {
	name string
	Res  kube.Resource
}{
	{"NetworkPolicy", kube.NetworkPolicies},
	{"CiliumNetworkPolicy", kube.CiliumNetworkPolicies},
	{"CiliumClusterwideNetworkPolicy", kube.CiliumClusterwideNetworkPolicies},
	{"Calico NetworkPolicy", kube.CalicoNetworkPolicies},
	{"Calico GlobalNetworkPolicy", kube.CalicoGlobalNetworkPolicies},
}

func (f Flavour) String() string { return Flavours[f].name }

// Orders decide between an allow and a deny of two policies: the lower order applies first.
// Calico gives Kubernetes NetworkPolicies order 1000 and policies without one order infinity;
// Cilium's deny rules win over every allow.
const orderKubernetes = 1000

var (
	orderDenyFirst = math.Inf(-1)
	OrderLast      = math.Inf(1)
)

// Policy is one policy of any flavour, in the terms kockpit evaluates.
type Policy struct {
	Flavour     Flavour
	Ref         checks.ObjectRef
	Namespace   string // "" for cluster-wide policies
	Name        string
	Annotations map[string]string
	Description string // Cilium's spec.description
	order       float64
	Parts       []*Part
	// Unknown says why kockpit cannot evaluate the policy (a selector it cannot parse).
	Unknown string
	Command checks.Command // the kubectl command that shows it
}

// Display is how findings name the policy: "NetworkPolicy team-a/deny-all".
func (p *Policy) Display() string {
	if p.Namespace == "" {
		return p.Flavour.String() + " " + p.Name
	}
	return p.Flavour.String() + " " + p.Namespace + "/" + p.Name
}

// Part is one rule set of a policy with its own pod selection: a Cilium policy with "specs"
// has several, the others one.
type Part struct {
	Policy  *Policy
	path    string // "spec", "specs[1]"
	Selects podSelection
	Ingress Direction
	Egress  Direction
}

// Direction is what a part says about one direction of traffic.
type Direction struct {
	// Isolates says the selected pods lose their default allow in this direction: only what some
	// policy allows gets through.
	Isolates bool
	// Allow are its rules in order (Calico rules carry their own action), deny its Cilium deny rules.
	Allow []Rule
	Deny  []Rule
	// Quote says how the isolation was declared: "policyTypes: [Egress]".
	Quote string
}

// Rule is one rule: traffic to (egress) or from (ingress) its peers on its ports.
type Rule struct {
	Path    string // "spec.egress[0]"
	Text    string // the rule as JSON, for evidence
	Action  string // Allow, Deny, Pass or Log
	AnyPeer bool
	Peers   []npPeer
	AnyPort bool
	Ports   []npPort
	// Calico's negations: the rule does not apply to these ports, pods or networks.
	notPorts []npPort
	notPods  *podSelection
	notNets  []*net.IPNet
	// Nothing marks Cilium's empty rule {}, which allows nothing.
	Nothing bool
	// Unknown says what kockpit cannot evaluate in the rule.
	Unknown string
}

// npPeer is one side a rule names.
type npPeer struct {
	Pods     *podSelection
	Entities []string // Cilium entities: world, cluster, host, all...
	Nets     []*net.IPNet
	except   []*net.IPNet
	// outside marks CIDR peers that never select pods (Cilium's toCIDR).
	outside bool
	service string // "namespace/name" of a Calico services peer
	// note says why the peer cannot select a pod ("toFQDNs selects names outside the cluster").
	note string
}

// npPort is a port a rule allows; port 0 with no name means every port of the protocol.
type npPort struct {
	proto string // TCP, UDP, SCTP or ANY
	port  int32
	end   int32 // the last port of a range, 0 for one port
	name  string
}

func (p npPort) Covers(proto string, number int32, names []string) bool {
	if p.proto != "ANY" && p.proto != proto {
		return false
	}
	switch {
	case p.name != "":
		for _, n := range names {
			if n == p.name {
				return true
			}
		}
		return false
	case p.port == 0:
		return true
	case p.end > 0:
		return p.port <= number && number <= p.end
	}
	return p.port == number
}

func (p npPort) String() string {
	switch {
	case p.name != "":
		return p.name + "/" + p.proto
	case p.port == 0:
		return "every " + p.proto + " port"
	case p.end > 0:
		return fmt.Sprintf("%d-%d/%s", p.port, p.end, p.proto)
	}
	return fmt.Sprintf("%d/%s", p.port, p.proto)
}

// podSelection is which pods a policy or a rule's peer selects: a namespace scope and a matcher
// over the pods' labels (with the endpoint labels Cilium and Calico derive).
type podSelection struct {
	namespace string       // the one namespace, when set
	names     []string     // otherwise the namespaces it may select from, when known
	nsSel     labelMatcher // otherwise namespaces by label; nil for every namespace
	pods      labelMatcher
}

func (s podSelection) namespaceMatches(ns *Namespace) bool {
	switch {
	case s.namespace != "":
		return ns.name == s.namespace
	case s.names != nil:
		for _, n := range s.names {
			if n == ns.name {
				return true
			}
		}
		return false
	case s.nsSel != nil:
		return s.nsSel.Matches(ns.labels)
	}
	return true
}

func (s podSelection) Matches(g *PodGroup, ns *Namespace) bool {
	return s.namespaceMatches(ns) && s.pods.Matches(g.Labels)
}

// Everywhere says the selection takes every pod of every namespace.
func (s podSelection) Everywhere() bool {
	if s.namespace != "" || s.names != nil {
		return false
	}
	if s.nsSel != nil && !isEverything(s.nsSel) {
		return false
	}
	return isEverything(s.pods)
}

func isEverything(m labelMatcher) bool {
	if sel, ok := m.(labels.Selector); ok {
		return sel.Empty()
	}
	_, all := m.(calicoAll)
	return all
}

// EachSelected calls fn for each group the selection takes, until fn returns false.
func (idx *PodIndex) EachSelected(s podSelection, fn func(*PodGroup) bool) {
	visit := func(ns *Namespace) bool {
		if ns == nil || !s.namespaceMatches(ns) {
			return true
		}
		more := true
		ns.Each(s.pods, func(g *PodGroup) bool { more = fn(g); return more })
		return more
	}
	switch {
	case s.namespace != "":
		visit(idx.Namespaces[s.namespace])
	case s.names != nil:
		for _, n := range s.names {
			if !visit(idx.Namespaces[n]) {
				return
			}
		}
	default:
		for _, n := range idx.Names {
			if !visit(idx.Namespaces[n]) {
				return
			}
		}
	}
}

// selectorFrom turns a Kubernetes label selector into a matcher. The API server validates the
// selectors of built-in kinds, but not those inside CRDs or snapshot files: a value with a
// look-alike character must still match (nothing), not stop the evaluation.
func selectorFrom(ls *metav1.LabelSelector) (labelMatcher, error) {
	if ls == nil {
		return labels.Nothing(), nil
	}
	if sel, err := metav1.LabelSelectorAsSelector(ls); err == nil {
		return sel, nil
	}
	m := lenientSelector{match: ls.MatchLabels}
	for _, e := range ls.MatchExpressions {
		switch e.Operator {
		case metav1.LabelSelectorOpIn, metav1.LabelSelectorOpNotIn, metav1.LabelSelectorOpExists, metav1.LabelSelectorOpDoesNotExist:
		default:
			return nil, fmt.Errorf("unknown selector operator %q", e.Operator)
		}
	}
	m.exprs = ls.MatchExpressions
	return m, nil
}

// lenientSelector matches like a label selector without validating keys and values.
type lenientSelector struct {
	match map[string]string
	exprs []metav1.LabelSelectorRequirement
}

func (s lenientSelector) Matches(l labels.Labels) bool {
	for k, v := range s.match {
		if !l.Has(k) || l.Get(k) != v {
			return false
		}
	}
	for _, e := range s.exprs {
		has := l.Has(e.Key)
		in := false
		for _, v := range e.Values {
			in = in || has && l.Get(e.Key) == v
		}
		switch e.Operator {
		case metav1.LabelSelectorOpIn:
			if !in {
				return false
			}
		case metav1.LabelSelectorOpNotIn:
			if in {
				return false
			}
		case metav1.LabelSelectorOpExists:
			if !has {
				return false
			}
		case metav1.LabelSelectorOpDoesNotExist:
			if has {
				return false
			}
		}
	}
	return true
}

// namespacesRequired returns the namespaces a selector pins through the namespace label
// (k8s:io.kubernetes.pod.namespace), or nil when it does not.
func namespacesRequired(m labelMatcher) []string {
	sel, ok := m.(labels.Selector)
	if !ok {
		return nil
	}
	reqs, _ := sel.Requirements()
	for _, r := range reqs {
		if r.Key() == ciliumNamespaceLabel && (r.Operator() == selection.Equals || r.Operator() == selection.DoubleEquals || r.Operator() == selection.In) {
			return r.Values().UnsortedList()
		}
	}
	return nil
}

// compactJSON renders a rule for evidence, cut to a readable length.
func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	s := string(b)
	if len(s) > 300 {
		s = s[:297] + "..."
	}
	return s
}

// allowWord finds "allow" or "permit" at the start of a word ("allow-frontend", "default.permit").
var allowWord = regexp.MustCompile(`(?i)(^|[^a-z])(allow|permit)`)

// SuggestsAllow says whether a name or text promises to let traffic through.
func SuggestsAllow(s string) bool { return allowWord.MatchString(s) }
