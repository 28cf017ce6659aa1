package netpolicy

import (
	"fmt"
	"net"
	"strings"

	"github.com/kockpit/kockpit/checks"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// KubernetesPolicy reads a Kubernetes NetworkPolicy: its podSelector in its namespace, isolation
// from policyTypes (Ingress always, Egress when it has egress rules, when policyTypes is unset),
// and its rules; a rule without peers allows every peer, without ports every port.
func KubernetesPolicy(np *networkingv1.NetworkPolicy) *Policy {
	p := &Policy{
		Flavour:     FlavourKubernetes,
		Ref:         checks.ObjectRef{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy", Namespace: np.Namespace, Name: np.Name},
		Namespace:   np.Namespace,
		Name:        np.Name,
		Annotations: np.Annotations,
		order:       orderKubernetes,
		Command:     checks.Cmd("kubectl", "-n", np.Namespace, "get", "networkpolicy", np.Name, "-o", "yaml"),
	}
	sel, err := selectorFrom(&np.Spec.PodSelector)
	if err != nil {
		p.Unknown = "spec.podSelector: " + err.Error()
		return p
	}
	part := &Part{Policy: p, path: "spec", Selects: podSelection{namespace: np.Namespace, pods: sel}}
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
			part.Ingress = Direction{Isolates: true, Quote: quote}
			for i, r := range np.Spec.Ingress {
				part.Ingress.Allow = append(part.Ingress.Allow, kubernetesRule(fmt.Sprintf("spec.ingress[%d]", i), r, r.From, r.Ports, np.Namespace))
			}
		case networkingv1.PolicyTypeEgress:
			part.Egress = Direction{Isolates: true, Quote: quote}
			for i, r := range np.Spec.Egress {
				part.Egress.Allow = append(part.Egress.Allow, kubernetesRule(fmt.Sprintf("spec.egress[%d]", i), r, r.To, r.Ports, np.Namespace))
			}
		}
	}
	p.Parts = []*Part{part}
	return p
}

func policyTypesText(types []networkingv1.PolicyType) string {
	names := make([]string, 0, len(types))
	for _, t := range types {
		names = append(names, string(t))
	}
	return "[" + strings.Join(names, ", ") + "]"
}

func kubernetesRule(path string, raw any, peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort, ns string) Rule {
	r := Rule{Path: path, Text: compactJSON(raw), Action: "Allow", AnyPeer: len(peers) == 0, AnyPort: len(ports) == 0}
	for i, peer := range peers {
		pp, err := kubernetesPeer(peer, ns)
		if err != nil {
			r.Unknown = fmt.Sprintf("peer %d: %v", i, err)
			continue
		}
		r.Peers = append(r.Peers, pp)
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
		r.Ports = append(r.Ports, np)
	}
	return r
}

func kubernetesPeer(peer networkingv1.NetworkPolicyPeer, ns string) (npPeer, error) {
	if b := peer.IPBlock; b != nil {
		_, cidr, err := net.ParseCIDR(b.CIDR)
		if err != nil {
			return npPeer{}, fmt.Errorf("ipBlock: %w", err)
		}
		out := npPeer{Nets: []*net.IPNet{cidr}}
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
	return npPeer{Pods: &sel}, nil
}
