package checks

import (
	"fmt"
	"net"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// dnsTarget is where pods send their DNS queries once the kube-dns Service's address is
// translated: the cluster DNS pods, on the port the Service targets. Network policies see that
// pod and port, never the ClusterIP.
type dnsTarget struct {
	service   string // "kube-system/kube-dns"
	selector  string
	ns        *netNamespace
	groups    []*podGroup
	ips       []net.IP
	clusterIP net.IP
	port      int32    // the UDP port the pods listen on
	names     []string // the names of that container port
	// nsLabelsPartial: the namespaces' labels are not known (only their names), so a
	// namespace selector that misses kube-system may be wrong.
	nsLabelsPartial bool
}

// findDNSTarget finds the cluster DNS pods: those the kube-dns Service in kube-system selects,
// or, without that Service, the pods labelled k8s-app=kube-dns there.
func findDNSTarget(idx *netPodIndex, services []*corev1.Service) *dnsTarget {
	ns := idx.namespaces[dnsNamespace]
	if ns == nil {
		return nil
	}
	t := &dnsTarget{service: dnsNamespace + "/" + dnsServiceName, ns: ns, port: 53}
	svc := findDNSService(services)
	if svc != nil {
		t.service = svc.Namespace + "/" + svc.Name
	}
	sel := dnsSelector(svc)
	t.selector = sel.String()
	ns.each(sel, func(g *podGroup) bool {
		if !g.hostNetwork {
			t.groups = append(t.groups, g)
		}
		return true
	})
	if len(t.groups) == 0 {
		return nil
	}
	var target string
	if svc != nil {
		t.clusterIP = net.ParseIP(svc.Spec.ClusterIP)
		for _, p := range svc.Spec.Ports {
			if p.Port == 53 && p.Protocol == corev1.ProtocolUDP {
				if p.TargetPort.StrVal != "" {
					target = p.TargetPort.StrVal
				} else if p.TargetPort.IntVal != 0 {
					t.port = p.TargetPort.IntVal
				}
			}
		}
	}
	for _, g := range t.groups {
		for _, pod := range g.pods {
			for _, ip := range pod.Status.PodIPs {
				if a := net.ParseIP(ip.IP); a != nil {
					t.ips = append(t.ips, a)
				}
			}
			for _, c := range pod.Spec.Containers {
				for _, cp := range c.Ports {
					if cp.Protocol == corev1.ProtocolUDP && (target != "" && cp.Name == target || target == "" && cp.ContainerPort == t.port) {
						t.port = cp.ContainerPort
						if cp.Name != "" && !slices.Contains(t.names, cp.Name) {
							t.names = append(t.names, cp.Name)
						}
					}
				}
			}
		}
	}
	return t
}

func (t *dnsTarget) isDNSGroup(g *podGroup) bool {
	for _, d := range t.groups {
		if d == g {
			return true
		}
	}
	return false
}

// describe is the evidence line that says what DNS is, for a reader checking kockpit's reasoning.
func (t *dnsTarget) describe() string {
	return fmt.Sprintf("cluster DNS: %s → pods %s (%s), port %d/UDP", t.service, podNames(groupPods(t.groups), 2), t.selector, t.port)
}

func groupPods(groups []*podGroup) []*corev1.Pod {
	var out []*corev1.Pod
	for _, g := range groups {
		out = append(out, g.pods...)
	}
	return out
}

// tri is a three-valued answer: kockpit may be unable to tell.
type tri int

const (
	triNo tri = iota
	triYes
	triUnknown
)

// ruleReachesDNS says whether an egress rule covers a DNS query (UDP to the DNS pods' port), and
// when it does not, why, in words a reader can check against the rule.
func (t *dnsTarget) ruleReachesDNS(r npRule) (tri, string) {
	if r.unknown != "" {
		return triUnknown, r.unknown
	}
	if r.nothing {
		return triNo, "an empty rule allows nothing"
	}
	peer, peerWhy := t.peersReachDNS(r)
	if peer == triUnknown {
		return triUnknown, peerWhy
	}
	port := r.anyPort
	for _, p := range r.ports {
		port = port || p.covers("UDP", t.port, t.names)
	}
	for _, p := range r.notPorts {
		if p.covers("UDP", t.port, t.names) {
			return triNo, "its notPorts/notProtocol exclude DNS"
		}
	}
	if r.notPods != nil {
		for _, g := range t.groups {
			if r.notPods.matches(g, t.ns) {
				return triNo, "its notSelector excludes the DNS pods"
			}
		}
	}
	for _, n := range r.notNets {
		for _, ip := range t.ips {
			if n.Contains(ip) {
				return triNo, "its notNets exclude the DNS pods"
			}
		}
	}
	switch {
	case peer == triYes && port:
		return triYes, ""
	case peer == triYes:
		return triNo, fmt.Sprintf("reaches the DNS pods, but only on %s, not %d/UDP", portsText(r.ports), t.port)
	case port:
		return triNo, "allows the DNS port, but only to " + peerWhy
	}
	return triNo, fmt.Sprintf("allows only %s to %s", portsText(r.ports), peerWhy)
}

// peersReachDNS says whether a rule's peers include a DNS pod; when not, it describes the peers.
func (t *dnsTarget) peersReachDNS(r npRule) (tri, string) {
	if r.anyPeer {
		return triYes, ""
	}
	partial := false
	var what []string
	for _, p := range r.peers {
		switch {
		case p.pods != nil:
			for _, g := range t.groups {
				if p.pods.matches(g, t.ns) {
					return triYes, ""
				}
			}
			partial = partial || t.nsLabelsPartial && p.pods.nsSel != nil
			what = append(what, "pods that are not the DNS pods")
		case len(p.entities) > 0:
			for _, e := range p.entities {
				if e == "all" || e == "cluster" {
					return triYes, ""
				}
			}
			what = append(what, "the entities "+strings.Join(p.entities, ", "))
		case p.service != "":
			if p.service == t.service {
				return triYes, ""
			}
			what = append(what, "the Service "+p.service)
		case p.outside || p.note != "":
			what = append(what, p.note)
		case len(p.nets) > 0:
			if t.netsContainPod(p) {
				return triYes, ""
			}
			if t.clusterIP != nil && netsContain(p.nets, t.clusterIP) {
				what = append(what, fmt.Sprintf("the kube-dns ClusterIP %s, which policies never see: they see the DNS pod's address after translation", t.clusterIP))
			} else {
				what = append(what, "addresses outside the DNS pods' "+ipsText(t.ips))
			}
		}
	}
	if partial {
		return triUnknown, "a namespace selector kockpit cannot judge without the namespaces' labels"
	}
	return triNo, strings.Join(what, "; ")
}

func (t *dnsTarget) netsContainPod(p npPeer) bool {
	for _, ip := range t.ips {
		if netsContain(p.nets, ip) && !netsContain(p.except, ip) {
			return true
		}
	}
	return false
}

func netsContain(nets []*net.IPNet, ip net.IP) bool {
	for _, n := range nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

func ipsText(ips []net.IP) string {
	var s []string
	for _, ip := range ips {
		s = append(s, ip.String())
	}
	return strings.Join(s, ", ")
}

func portsText(ports []npPort) string {
	if len(ports) == 0 {
		return "no port"
	}
	var s []string
	for _, p := range ports {
		s = append(s, p.String())
	}
	return strings.Join(s, ", ")
}

// dnsVerdict is what one policy part says about the DNS queries of the pods it selects.
type dnsVerdict struct {
	kind    string // "allow", "deny", "none" (isolates without allowing DNS), "unknown", "" (no say)
	order   float64
	rule    string   // the deciding rule's path
	reasons []string // per rule, why it does not allow DNS
}

// egressDNSVerdict evaluates a part's egress for DNS. Calico rules apply in order and the first
// that matches decides; Kubernetes and Cilium allow rules add up, and Cilium deny rules win.
func (t *dnsTarget) egressDNSVerdict(part *npPart) dnsVerdict {
	d := part.egress
	order := part.policy.order
	for _, r := range d.deny {
		if m, _ := t.ruleReachesDNS(r); m == triYes {
			return dnsVerdict{kind: "deny", order: orderDenyFirst, rule: r.path}
		}
	}
	if !d.isolates {
		return dnsVerdict{}
	}
	v := dnsVerdict{kind: "none", order: order}
	calico := part.policy.flavour == flavourCalico || part.policy.flavour == flavourCalicoGlobal
	for _, r := range d.allow {
		m, why := t.ruleReachesDNS(r)
		switch {
		case m == triUnknown:
			return dnsVerdict{kind: "unknown", order: order, rule: r.path, reasons: []string{why}}
		case m == triYes && (!calico || r.action == "Allow"):
			return dnsVerdict{kind: "allow", order: order, rule: r.path}
		case m == triYes && r.action == "Deny":
			return dnsVerdict{kind: "deny", order: order, rule: r.path}
		case m == triYes && r.action == "Pass":
			return dnsVerdict{}
		case m == triNo && why != "" && !(calico && r.action != "Allow"):
			v.reasons = append(v.reasons, r.path+" "+r.text+": "+why)
		}
	}
	return v
}
