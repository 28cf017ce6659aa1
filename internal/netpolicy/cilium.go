package netpolicy

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/kockpit/kockpit/checks"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
)

// CiliumPolicy reads a CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy: its spec and specs
// rules, each selecting endpoints by labels (a namespaced policy only in its namespace). A rule
// that has an ingress or egress section (or a deny one) puts the endpoints it selects in default
// deny for that direction, unless enableDefaultDeny turns that off. Host policies (nodeSelector)
// select nodes, not pods, and are left out.
func CiliumPolicy(u *unstructured.Unstructured, clusterwide bool) *Policy {
	p := &Policy{
		Flavour:     FlavourCilium,
		Ref:         checks.ObjectRef{APIVersion: "cilium.io/v2", Kind: "CiliumNetworkPolicy", Namespace: u.GetNamespace(), Name: u.GetName()},
		Namespace:   u.GetNamespace(),
		Name:        u.GetName(),
		Annotations: u.GetAnnotations(),
		order:       OrderLast,
		Command:     checks.Cmd("kubectl", "-n", u.GetNamespace(), "get", "ciliumnetworkpolicy", u.GetName(), "-o", "yaml"),
	}
	if clusterwide {
		p.Flavour, p.Namespace = FlavourCiliumClusterwide, ""
		p.Ref.Kind, p.Ref.Namespace = "CiliumClusterwideNetworkPolicy", ""
		p.Command = checks.Cmd("kubectl", "get", "ciliumclusterwidenetworkpolicy", u.GetName(), "-o", "yaml")
	}
	var rules []map[string]any
	var paths []string
	if spec, ok := u.Object["spec"].(map[string]any); ok {
		rules, paths = append(rules, spec), append(paths, "spec")
	}
	if specs, ok := u.Object["specs"].([]any); ok {
		for i, s := range specs {
			if m, ok := s.(map[string]any); ok {
				rules, paths = append(rules, m), append(paths, fmt.Sprintf("specs[%d]", i))
			}
		}
	}
	for i, rule := range rules {
		if d, ok := rule["description"].(string); ok && p.Description == "" {
			p.Description = d
		}
		part, err := ciliumPart(p, paths[i], rule)
		if err != nil {
			p.Unknown = fmt.Sprintf("%s: %v", paths[i], err)
			return p
		}
		if part != nil {
			p.Parts = append(p.Parts, part)
		}
	}
	return p
}

func ciliumPart(p *Policy, path string, rule map[string]any) (*Part, error) {
	raw, hasEndpoints := rule["endpointSelector"]
	if !hasEndpoints {
		if _, host := rule["nodeSelector"]; host {
			return nil, nil
		}
	}
	sel, err := ciliumSelector(raw)
	if err != nil {
		return nil, fmt.Errorf("endpointSelector: %w", err)
	}
	// A namespaced policy selects endpoints of its namespace only, whatever its selector says.
	selects := ciliumScope(sel, "")
	if p.Namespace != "" {
		selects = podSelection{namespace: p.Namespace, pods: sel}
	}
	part := &Part{Policy: p, path: path, Selects: selects}
	for _, d := range []struct {
		dir      *Direction
		key      string
		from, to string
	}{{&part.Ingress, "ingress", "from", "Ingress"}, {&part.Egress, "egress", "to", "Egress"}} {
		allow, hasAllow := rule[d.key]
		deny, hasDeny := rule[d.key+"Deny"]
		defaultDeny, set, _ := unstructured.NestedBool(rule, "enableDefaultDeny", strings.ToLower(d.to))
		d.dir.Isolates = (hasAllow && allow != nil || hasDeny && deny != nil) && (!set || defaultDeny)
		switch {
		case hasAllow && allow != nil:
			d.dir.Quote = fmt.Sprintf("%s.%s is set: whatever its rules do not allow is denied", path, d.key)
		case hasDeny && deny != nil:
			d.dir.Quote = fmt.Sprintf("%s.%sDeny is set: what no policy allows is denied", path, d.key)
		}
		if set && !defaultDeny {
			d.dir.Quote += fmt.Sprintf(" (enableDefaultDeny.%s: false)", strings.ToLower(d.to))
		}
		for i, r := range asList(allow) {
			d.dir.Allow = append(d.dir.Allow, ciliumRule(fmt.Sprintf("%s.%s[%d]", path, d.key, i), r, d.from, "Allow", p.Namespace))
		}
		for i, r := range asList(deny) {
			d.dir.Deny = append(d.dir.Deny, ciliumRule(fmt.Sprintf("%s.%sDeny[%d]", path, d.key, i), r, d.from, "Deny", p.Namespace))
		}
	}
	return part, nil
}

// ciliumScope is where a selector looks: a namespaced policy's own namespace, unless the selector
// names namespaces itself (only rule peers may); a cluster-wide policy's, every namespace.
func ciliumScope(sel labelMatcher, ns string) podSelection {
	s := podSelection{pods: sel}
	if names := namespacesRequired(sel); names != nil {
		s.names = names
	} else if ns != "" && !mentionsNamespace(sel) {
		s.namespace = ns
	}
	return s
}

func mentionsNamespace(m labelMatcher) bool {
	sel, ok := m.(labels.Selector)
	if !ok {
		return false
	}
	reqs, _ := sel.Requirements()
	for _, r := range reqs {
		if r.Key() == ciliumNamespaceLabel {
			return true
		}
	}
	return false
}

// ciliumRule reads one rule: its peers (to/from Endpoints, Entities, CIDR...), ports and ICMP.
// A rule with no peer field allows every peer; a rule with nothing at all allows nothing.
func ciliumRule(path string, raw any, side, action, ns string) Rule {
	r := Rule{Path: path, Text: compactJSON(raw), Action: action}
	m, _ := raw.(map[string]any)
	l3 := false
	for _, f := range []string{"Endpoints", "Entities", "CIDR", "CIDRSet", "Services", "FQDNs", "Groups", "Nodes"} {
		if v, ok := m[side+f]; ok && v != nil {
			l3 = true
		}
	}
	if list, ok := m[side+"Endpoints"].([]any); ok {
		for _, s := range list {
			sel, err := ciliumSelector(s)
			if err != nil {
				r.Unknown = side + "Endpoints: " + err.Error()
				continue
			}
			if reserved := reservedEntities(s); len(reserved) > 0 {
				r.Peers = append(r.Peers, npPeer{Entities: reserved})
				continue
			}
			scope := ciliumScope(sel, ns)
			r.Peers = append(r.Peers, npPeer{Pods: &scope})
		}
	}
	if list, ok := m[side+"Entities"].([]any); ok {
		var ents []string
		for _, e := range list {
			ents = append(ents, fmt.Sprint(e))
		}
		r.Peers = append(r.Peers, npPeer{Entities: ents})
	}
	for _, f := range []string{"CIDR", "CIDRSet"} {
		if v, ok := m[side+f]; ok && v != nil {
			r.Peers = append(r.Peers, npPeer{outside: true, Nets: ciliumCIDRs(v),
				note: side + f + " never selects pods Cilium manages, only addresses outside the cluster"})
		}
	}
	for _, f := range []string{"Services", "FQDNs", "Groups", "Nodes"} {
		if v, ok := m[side+f]; ok && v != nil {
			r.Peers = append(r.Peers, npPeer{note: side + f + " does not select the cluster's pods"})
		}
	}
	ports, hasPorts := m["toPorts"].([]any)
	_, hasICMP := m["icmps"]
	switch {
	case hasPorts:
		r.Ports = ciliumPorts(ports)
	case hasICMP:
		// ICMP only: no port is allowed.
	default:
		r.AnyPort = true
	}
	r.AnyPeer = !l3
	r.Nothing = !l3 && !hasPorts && !hasICMP
	if r.Nothing {
		r.AnyPeer, r.AnyPort = false, false
	}
	return r
}

func ciliumCIDRs(v any) []*net.IPNet {
	var out []*net.IPNet
	list, _ := v.([]any)
	for _, e := range list {
		s, ok := e.(string)
		if m, isMap := e.(map[string]any); isMap {
			s, ok = m["cidr"].(string)
		}
		if !ok {
			continue
		}
		if _, n, err := net.ParseCIDR(s); err == nil {
			out = append(out, n)
		}
	}
	return out
}

func ciliumPorts(list []any) []npPort {
	var out []npPort
	for _, pr := range list {
		m, _ := pr.(map[string]any)
		ports, _ := m["ports"].([]any)
		if len(ports) == 0 {
			out = append(out, npPort{proto: "ANY"})
		}
		for _, p := range ports {
			pm, _ := p.(map[string]any)
			port := npPort{proto: "ANY"}
			if proto, ok := pm["protocol"].(string); ok && proto != "" {
				port.proto = strings.ToUpper(proto)
			}
			s := fmt.Sprint(pm["port"])
			if n, err := strconv.Atoi(s); err == nil {
				port.port = int32(n)
			} else if s != "" && s != "<nil>" {
				port.name = s
			}
			if e, ok := pm["endPort"]; ok {
				if n, err := strconv.Atoi(fmt.Sprint(e)); err == nil {
					port.end = int32(n)
				}
			}
			out = append(out, port)
		}
	}
	return out
}

// ciliumSelector reads a Cilium endpoint selector. Keys may carry a source prefix ("k8s:app",
// "any:app"); reserved labels ("reserved:host") name entities and are matched as such elsewhere.
// A missing selector selects every endpoint.
func ciliumSelector(v any) (labelMatcher, error) {
	m, _ := v.(map[string]any)
	ls := &metav1.LabelSelector{MatchLabels: map[string]string{}}
	if ml, ok := m["matchLabels"].(map[string]any); ok {
		for k, val := range ml {
			if strings.HasPrefix(k, "reserved:") {
				continue
			}
			ls.MatchLabels[ciliumKey(k)] = fmt.Sprint(val)
		}
	}
	if exprs, ok := m["matchExpressions"].([]any); ok {
		for _, e := range exprs {
			em, _ := e.(map[string]any)
			req := metav1.LabelSelectorRequirement{Key: ciliumKey(fmt.Sprint(em["key"])), Operator: metav1.LabelSelectorOperator(fmt.Sprint(em["operator"]))}
			vals, _ := em["values"].([]any)
			for _, v := range vals {
				req.Values = append(req.Values, fmt.Sprint(v))
			}
			ls.MatchExpressions = append(ls.MatchExpressions, req)
		}
	}
	return selectorFrom(ls)
}

// reservedEntities returns the entities a selector names through reserved labels.
func reservedEntities(v any) []string {
	m, _ := v.(map[string]any)
	ml, _ := m["matchLabels"].(map[string]any)
	var out []string
	for k := range ml {
		if e, ok := strings.CutPrefix(k, "reserved:"); ok {
			out = append(out, e)
		}
	}
	return out
}

// ciliumKey strips the source prefix of a label key: "k8s:app" and "any:app" are "app".
func ciliumKey(k string) string {
	for _, prefix := range []string{"k8s:", "any:"} {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			return rest
		}
	}
	return k
}

func asList(v any) []any {
	list, _ := v.([]any)
	return list
}
