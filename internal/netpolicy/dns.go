package netpolicy

import (
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/kockpit/kockpit/internal/clusterdns"
	"github.com/kockpit/kockpit/internal/podinfo"
	corev1 "k8s.io/api/core/v1"
)

// DNSTarget is where pods send their DNS queries once the kube-dns Service's address is
// translated: the cluster DNS pods, on the port the Service targets. Network policies see that
// pod and port, never the ClusterIP.
type DNSTarget struct {
	service   string // "kube-system/kube-dns"
	Selector  string
	Ns        *Namespace
	Groups    []*PodGroup
	ips       []net.IP
	clusterIP net.IP
	Port      int32    // the UDP port the pods listen on
	Names     []string // the names of that container port
	// NsLabelsPartial: the namespaces' labels are not known (only their names), so a
	// namespace selector that misses kube-system may be wrong.
	NsLabelsPartial bool
}

// FindDNSTarget finds the cluster DNS pods: those the kube-dns Service in kube-system selects,
// or, without that Service, the pods labelled k8s-app=kube-dns there.
func FindDNSTarget(idx *PodIndex, services []*corev1.Service) *DNSTarget {
	ns := idx.Namespaces[clusterdns.Namespace]
	if ns == nil {
		return nil
	}
	t := &DNSTarget{service: clusterdns.Namespace + "/" + clusterdns.ServiceName, Ns: ns, Port: 53}
	svc := clusterdns.FindService(services)
	if svc != nil {
		t.service = svc.Namespace + "/" + svc.Name
	}
	sel := clusterdns.Selector(svc)
	t.Selector = sel.String()
	ns.Each(sel, func(g *PodGroup) bool {
		if !g.HostNetwork {
			t.Groups = append(t.Groups, g)
		}
		return true
	})
	if len(t.Groups) == 0 {
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
					t.Port = p.TargetPort.IntVal
				}
			}
		}
	}
	for _, g := range t.Groups {
		for _, pod := range g.Pods {
			for _, ip := range pod.Status.PodIPs {
				if a := net.ParseIP(ip.IP); a != nil {
					t.ips = append(t.ips, a)
				}
			}
			for _, c := range pod.Spec.Containers {
				for _, cp := range c.Ports {
					if cp.Protocol == corev1.ProtocolUDP && (target != "" && cp.Name == target || target == "" && cp.ContainerPort == t.Port) {
						t.Port = cp.ContainerPort
						if cp.Name != "" && !slices.Contains(t.Names, cp.Name) {
							t.Names = append(t.Names, cp.Name)
						}
					}
				}
			}
		}
	}
	return t
}

func (t *DNSTarget) IsDNSGroup(g *PodGroup) bool {
	for _, d := range t.Groups {
		if d == g {
			return true
		}
	}
	return false
}

// Describe is the evidence line that says what DNS is, for a reader checking kockpit's reasoning.
func (t *DNSTarget) Describe() string {
	return fmt.Sprintf("cluster DNS: %s → pods %s (%s), port %d/UDP", t.service, podinfo.Names(GroupPods(t.Groups), 2), t.Selector, t.Port)
}

func GroupPods(groups []*PodGroup) []*corev1.Pod {
	var out []*corev1.Pod
	for _, g := range groups {
		out = append(out, g.Pods...)
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
func (t *DNSTarget) ruleReachesDNS(r Rule) (tri, string) {
	if r.Unknown != "" {
		return triUnknown, r.Unknown
	}
	if r.Nothing {
		return triNo, "an empty rule allows nothing"
	}
	peer, peerWhy := t.peersReachDNS(r)
	if peer == triUnknown {
		return triUnknown, peerWhy
	}
	port := r.AnyPort
	for _, p := range r.Ports {
		port = port || p.Covers("UDP", t.Port, t.Names)
	}
	for _, p := range r.notPorts {
		if p.Covers("UDP", t.Port, t.Names) {
			return triNo, "its notPorts/notProtocol exclude DNS"
		}
	}
	if r.notPods != nil {
		for _, g := range t.Groups {
			if r.notPods.Matches(g, t.Ns) {
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
		return triNo, fmt.Sprintf("reaches the DNS pods, but only on %s, not %d/UDP", portsText(r.Ports), t.Port)
	case port:
		return triNo, "allows the DNS port, but only to " + peerWhy
	}
	return triNo, fmt.Sprintf("allows only %s to %s", portsText(r.Ports), peerWhy)
}

// peersReachDNS says whether a rule's peers include a DNS pod; when not, it describes the peers.
func (t *DNSTarget) peersReachDNS(r Rule) (tri, string) {
	if r.AnyPeer {
		return triYes, ""
	}
	partial := false
	var what []string
	for _, p := range r.Peers {
		switch {
		case p.Pods != nil:
			for _, g := range t.Groups {
				if p.Pods.Matches(g, t.Ns) {
					return triYes, ""
				}
			}
			partial = partial || t.NsLabelsPartial && p.Pods.nsSel != nil
			what = append(what, "pods that are not the DNS pods")
		case len(p.Entities) > 0:
			for _, e := range p.Entities {
				if e == "all" || e == "cluster" {
					return triYes, ""
				}
			}
			what = append(what, "the entities "+strings.Join(p.Entities, ", "))
		case p.service != "":
			if p.service == t.service {
				return triYes, ""
			}
			what = append(what, "the Service "+p.service)
		case p.outside || p.note != "":
			what = append(what, p.note)
		case len(p.Nets) > 0:
			if t.netsContainPod(p) {
				return triYes, ""
			}
			if t.clusterIP != nil && netsContain(p.Nets, t.clusterIP) {
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

func (t *DNSTarget) netsContainPod(p npPeer) bool {
	for _, ip := range t.ips {
		if netsContain(p.Nets, ip) && !netsContain(p.except, ip) {
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

// DNSVerdict is what one policy part says about the DNS queries of the pods it selects.
type DNSVerdict struct {
	Kind    string // "allow", "deny", "none" (isolates without allowing DNS), "unknown", "" (no say)
	Order   float64
	Rule    string   // the deciding rule's path
	Reasons []string // per rule, why it does not allow DNS
}

// EgressDNSVerdict evaluates a part's egress for DNS. Calico rules apply in order and the first
// that matches decides; Kubernetes and Cilium allow rules add up, and Cilium deny rules win.
func (t *DNSTarget) EgressDNSVerdict(part *Part) DNSVerdict {
	d := part.Egress
	order := part.Policy.order
	for _, r := range d.Deny {
		if m, _ := t.ruleReachesDNS(r); m == triYes {
			return DNSVerdict{Kind: "deny", Order: orderDenyFirst, Rule: r.Path}
		}
	}
	if !d.Isolates {
		return DNSVerdict{}
	}
	v := DNSVerdict{Kind: "none", Order: order}
	calico := part.Policy.Flavour == FlavourCalico || part.Policy.Flavour == FlavourCalicoGlobal
	for _, r := range d.Allow {
		m, why := t.ruleReachesDNS(r)
		switch {
		case m == triUnknown:
			return DNSVerdict{Kind: "unknown", Order: order, Rule: r.Path, Reasons: []string{why}}
		case m == triYes && (!calico || r.Action == "Allow"):
			return DNSVerdict{Kind: "allow", Order: order, Rule: r.Path}
		case m == triYes && r.Action == "Deny":
			return DNSVerdict{Kind: "deny", Order: order, Rule: r.Path}
		case m == triYes && r.Action == "Pass":
			return DNSVerdict{}
		case m == triNo && why != "" && !(calico && r.Action != "Allow"):
			v.Reasons = append(v.Reasons, r.Path+" "+r.Text+": "+why)
		}
	}
	return v
}
