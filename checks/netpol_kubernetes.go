package checks

import (
	"fmt"
	"net"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// kubernetesPolicy reads a Kubernetes NetworkPolicy: its podSelector in its namespace, isolation
// from policyTypes (Ingress always, Egress when it has egress rules, when policyTypes is unset),
// and its rules; a rule without peers allows every peer, without ports every port.
func kubernetesPolicy(np *networkingv1.NetworkPolicy) *netPolicy {
	p := &netPolicy{
		flavour:     flavourKubernetes,
		ref:         ObjectRef{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy", Namespace: np.Namespace, Name: np.Name},
		namespace:   np.Namespace,
		name:        np.Name,
		annotations: np.Annotations,
		order:       orderKubernetes,
		command:     fmt.Sprintf("kubectl -n %s get networkpolicy %s -o yaml", np.Namespace, np.Name),
	}
	sel, err := selectorFrom(&np.Spec.PodSelector)
	if err != nil {
		p.unknown = "spec.podSelector: " + err.Error()
		return p
	}
	part := &npPart{policy: p, path: "spec", selects: podSelection{namespace: np.Namespace, pods: sel}}
	types := np.Spec.PolicyTypes
	quote := "policyTypes: " + policyTypesText(types)
	if len(types) == 0 {
		types = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		if len(np.Spec.Egress) > 0 {
			types = append(types, networkingv1.PolicyTypeEgress)
		}
		quote = "policyTypes unset, so " + policyTypesText(types)
	}
	for _, t := range types {
		switch t {
		case networkingv1.PolicyTypeIngress:
			part.ingress = npDirection{isolates: true, quote: quote}
			for i, r := range np.Spec.Ingress {
				part.ingress.allow = append(part.ingress.allow, kubernetesRule(fmt.Sprintf("spec.ingress[%d]", i), r, r.From, r.Ports, np.Namespace))
			}
		case networkingv1.PolicyTypeEgress:
			part.egress = npDirection{isolates: true, quote: quote}
			for i, r := range np.Spec.Egress {
				part.egress.allow = append(part.egress.allow, kubernetesRule(fmt.Sprintf("spec.egress[%d]", i), r, r.To, r.Ports, np.Namespace))
			}
		}
	}
	p.parts = []*npPart{part}
	return p
}

func policyTypesText(types []networkingv1.PolicyType) string {
	names := make([]string, 0, len(types))
	for _, t := range types {
		names = append(names, string(t))
	}
	return "[" + strings.Join(names, ", ") + "]"
}

func kubernetesRule(path string, raw any, peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort, ns string) npRule {
	r := npRule{path: path, text: compactJSON(raw), action: "Allow", anyPeer: len(peers) == 0, anyPort: len(ports) == 0}
	for i, peer := range peers {
		pp, err := kubernetesPeer(peer, ns)
		if err != nil {
			r.unknown = fmt.Sprintf("peer %d: %v", i, err)
			continue
		}
		r.peers = append(r.peers, pp)
	}
	for _, port := range ports {
		proto := corev1.ProtocolTCP
		if port.Protocol != nil {
			proto = *port.Protocol
		}
		np := npPort{proto: string(proto)}
		if port.Port != nil {
			if port.Port.StrVal != "" {
				np.name = port.Port.StrVal
			} else {
				np.port = port.Port.IntVal
			}
		}
		if port.EndPort != nil {
			np.end = *port.EndPort
		}
		r.ports = append(r.ports, np)
	}
	return r
}

func kubernetesPeer(peer networkingv1.NetworkPolicyPeer, ns string) (npPeer, error) {
	if b := peer.IPBlock; b != nil {
		_, cidr, err := net.ParseCIDR(b.CIDR)
		if err != nil {
			return npPeer{}, fmt.Errorf("ipBlock: %w", err)
		}
		out := npPeer{nets: []*net.IPNet{cidr}}
		for _, e := range b.Except {
			if _, ex, err := net.ParseCIDR(e); err == nil {
				out.except = append(out.except, ex)
			}
		}
		return out, nil
	}
	sel := podSelection{namespace: ns, pods: labels.Everything()}
	if peer.PodSelector != nil {
		m, err := selectorFrom(peer.PodSelector)
		if err != nil {
			return npPeer{}, fmt.Errorf("podSelector: %w", err)
		}
		sel.pods = m
	}
	if peer.NamespaceSelector != nil {
		m, err := selectorFrom(peer.NamespaceSelector)
		if err != nil {
			return npPeer{}, fmt.Errorf("namespaceSelector: %w", err)
		}
		sel.namespace, sel.nsSel = "", m
	}
	return npPeer{pods: &sel}, nil
}
