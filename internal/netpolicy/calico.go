package netpolicy

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/kockpit/kockpit/checks"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// CalicoPolicy reads a Calico NetworkPolicy or GlobalNetworkPolicy (crd.projectcalico.org/v1,
// the same spec as projectcalico.org/v3): a selector in Calico's language, types (defaulting to
// Ingress, plus Egress when it has egress rules), an order, and rules that each carry an action
// and apply in order. Policies for host endpoints only (preDNAT, doNotTrack) are left out.
// kockpit ignores tiers: it reads policies as if they shared one.
func CalicoPolicy(u *unstructured.Unstructured, global bool) *Policy {
	p := &Policy{
		Flavour:     FlavourCalico,
		Ref:         checks.ObjectRef{APIVersion: "crd.projectcalico.org/v1", Kind: "NetworkPolicy", Namespace: u.GetNamespace(), Name: u.GetName()},
		Namespace:   u.GetNamespace(),
		Name:        u.GetName(),
		Annotations: u.GetAnnotations(),
		order:       OrderLast,
		Command:     checks.Cmd("kubectl", "-n", u.GetNamespace(), "get", "networkpolicies.crd.projectcalico.org", u.GetName(), "-o", "yaml"),
	}
	if global {
		p.Flavour, p.Namespace = FlavourCalicoGlobal, ""
		p.Ref.Kind, p.Ref.Namespace = "GlobalNetworkPolicy", ""
		p.Command = checks.Cmd("kubectl", "get", "globalnetworkpolicies.crd.projectcalico.org", u.GetName(), "-o", "yaml")
	}
	spec, _ := u.Object["spec"].(map[string]any)
	if o, ok := spec["order"]; ok {
		if f, err := strconv.ParseFloat(fmt.Sprint(o), 64); err == nil {
			p.order = f
		}
	}
	for _, f := range []string{"preDNAT", "doNotTrack"} {
		if b, _, _ := unstructured.NestedBool(spec, f); b {
			return p
		}
	}
	if s, _, _ := unstructured.NestedString(spec, "serviceAccountSelector"); s != "" {
		p.Unknown = "spec.serviceAccountSelector is not evaluated"
		return p
	}
	selects, err := calicoScope(spec, "selector", "namespaceSelector", p.Namespace)
	if err != nil {
		p.Unknown = err.Error()
		return p
	}
	part := &Part{Policy: p, path: "spec", Selects: selects}
	ingress, _ := spec["ingress"].([]any)
	egress, _ := spec["egress"].([]any)
	types, _, _ := unstructured.NestedStringSlice(spec, "types")
	quote := "types: [" + strings.Join(types, ", ") + "]"
	if len(types) == 0 {
		if len(ingress) > 0 || len(egress) == 0 {
			types = append(types, "Ingress")
		}
		if len(egress) > 0 {
			types = append(types, "Egress")
		}
		quote = "types unset, so [" + strings.Join(types, ", ") + "]"
	}
	for _, t := range types {
		dir, rules, key, peer := &part.Ingress, ingress, "ingress", "source"
		if t == "Egress" {
			dir, rules, key, peer = &part.Egress, egress, "egress", "destination"
		}
		dir.Isolates, dir.Quote = true, quote
		for i, r := range rules {
			dir.Allow = append(dir.Allow, calicoRule(fmt.Sprintf("spec.%s[%d]", key, i), r, peer, p.Namespace))
		}
	}
	p.Parts = []*Part{part}
	return p
}

// calicoScope reads a selector and namespace selector pair: of the policy, or of a rule's side.
// Without a namespace selector, a namespaced policy looks in its own namespace and a global one
// everywhere.
func calicoScope(m map[string]any, selKey, nsKey, ns string) (podSelection, error) {
	s := podSelection{namespace: ns}
	src, _ := m[selKey].(string)
	sel, err := parseCalicoSelector(src)
	if err != nil {
		return s, fmt.Errorf("%s: %w", selKey, err)
	}
	s.pods = sel
	if nsSrc, ok := m[nsKey].(string); ok && nsSrc != "" {
		nsSel, err := parseCalicoSelector(nsSrc)
		if err != nil {
			return s, fmt.Errorf("%s: %w", nsKey, err)
		}
		s.namespace, s.nsSel = "", nsSel
	}
	return s, nil
}

// calicoRule reads one rule. side is "destination" for egress and "source" for ingress; the
// other side only narrows which of the selected pods the rule applies to, which kockpit does
// not evaluate.
func calicoRule(path string, raw any, side, ns string) Rule {
	m, _ := raw.(map[string]any)
	r := Rule{Path: path, Text: compactJSON(raw), Action: "Allow"}
	if a, ok := m["action"].(string); ok {
		r.Action = a
	}
	other := "source"
	if side == "source" {
		other = "destination"
	}
	if o, _ := m[other].(map[string]any); len(o) > 0 {
		r.Unknown = other + " narrows the rule"
	}
	proto := "ANY"
	if p, ok := m["protocol"]; ok {
		proto = calicoProtocol(p)
	}
	if p, ok := m["notProtocol"]; ok {
		r.notPorts = append(r.notPorts, npPort{proto: calicoProtocol(p)})
	}
	e, _ := m[side].(map[string]any)
	r.Ports, r.AnyPort = calicoPorts(e["ports"], proto), e["ports"] == nil
	if r.AnyPort && proto != "ANY" {
		r.Ports, r.AnyPort = []npPort{{proto: proto}}, false
	}
	r.notPorts = append(r.notPorts, calicoPorts(e["notPorts"], proto)...)
	r.notNets = calicoNets(e["notNets"])
	if src, _ := e["notSelector"].(string); src != "" {
		if sel, err := parseCalicoSelector(src); err == nil {
			r.notPods = &podSelection{namespace: ns, pods: sel}
			if ns == "" {
				r.notPods.namespace = ""
			}
		} else {
			r.Unknown = side + ".notSelector: " + err.Error()
		}
	}
	if e["serviceAccounts"] != nil {
		r.Unknown = side + ".serviceAccounts is not evaluated"
	}
	_, hasSel := e["selector"]
	_, hasNS := e["namespaceSelector"]
	nets := calicoNets(e["nets"])
	svc, _ := e["services"].(map[string]any)
	switch {
	case svc != nil:
		svcNS, _ := svc["namespace"].(string)
		if svcNS == "" {
			svcNS = ns
		}
		r.Peers = append(r.Peers, npPeer{service: fmt.Sprintf("%s/%v", svcNS, svc["name"])})
	case (hasSel || hasNS) && len(nets) > 0:
		r.Unknown = side + " has both a selector and nets"
	case hasSel || hasNS:
		scope, err := calicoScope(e, "selector", "namespaceSelector", ns)
		if err != nil {
			r.Unknown = side + "." + err.Error()
			break
		}
		r.Peers = append(r.Peers, npPeer{Pods: &scope})
	case len(nets) > 0:
		r.Peers = append(r.Peers, npPeer{Nets: nets})
	default:
		r.AnyPeer = true
	}
	return r
}

// calicoProtocol names a protocol as npPort does: TCP, UDP, SCTP (numbers 6, 17, 132), or what
// it is called otherwise.
func calicoProtocol(v any) string {
	s := strings.ToUpper(fmt.Sprint(v))
	switch s {
	case "6":
		return "TCP"
	case "17":
		return "UDP"
	case "132":
		return "SCTP"
	}
	return s
}

// calicoPorts reads Calico ports: numbers, "first:last" ranges and named ports.
func calicoPorts(v any, proto string) []npPort {
	list, _ := v.([]any)
	var out []npPort
	for _, e := range list {
		s := fmt.Sprint(e)
		p := npPort{proto: proto}
		first, last, isRange := strings.Cut(s, ":")
		if n, err := strconv.Atoi(first); err == nil {
			p.port = int32(n)
			if isRange {
				if m, err := strconv.Atoi(last); err == nil {
					p.end = int32(m)
				}
			}
		} else {
			p.name = s
		}
		out = append(out, p)
	}
	return out
}

func calicoNets(v any) []*net.IPNet {
	list, _ := v.([]any)
	var out []*net.IPNet
	for _, e := range list {
		s := fmt.Sprint(e)
		if !strings.Contains(s, "/") {
			if ip := net.ParseIP(s); ip != nil && ip.To4() != nil {
				s += "/32"
			} else {
				s += "/128"
			}
		}
		if _, n, err := net.ParseCIDR(s); err == nil {
			out = append(out, n)
		}
	}
	return out
}
