package hubble

import (
	"strconv"
	"strings"

	flowpb "github.com/cilium/cilium/api/v1/flow"

	"github.com/kockpit/kockpit/safetext"
)

// Peer is one side of a flow as a viewer thinks of it: a workload, a pod, an identity, an IP.
// Its strings are the flow's, raw: Shown makes them terminal-safe.
type Peer struct {
	Namespace string
	Pod       string
	// Name is how the side is called: "shop/Deployment web", "world", "10.0.0.7".
	Name string
	// Reserved is the reserved identity, as its label says it: world, host, ingress...
	Reserved string
}

// PeerOf names an endpoint; ip is its address from the flow's IP layer.
func PeerOf(ep *flowpb.Endpoint, ip string) Peer {
	p := Peer{Namespace: ep.GetNamespace(), Pod: ep.GetPodName()}
	for _, l := range ep.GetLabels() {
		if name, ok := strings.CutPrefix(l, "reserved:"); ok && p.Pod == "" && p.Name == "" {
			p.Name, p.Reserved = name, name // world, host, remote-node, kube-apiserver, health, ingress
		}
	}
	switch {
	case p.Name != "":
	case len(ep.GetWorkloads()) > 0 && p.Namespace != "":
		w := ep.GetWorkloads()[0]
		p.Name = p.Namespace + "/" + w.GetKind() + " " + w.GetName()
	case p.Pod != "":
		p.Name = p.Namespace + "/" + p.Pod
	case ep.GetIdentity() != 0:
		p.Name = "identity " + strconv.FormatUint(uint64(ep.GetIdentity()), 10)
		if len(ep.GetLabels()) > 0 {
			p.Name += " (" + strings.Join(ep.GetLabels(), ",") + ")"
		}
	case ip != "":
		p.Name = ip
	default:
		p.Name = "unknown"
	}
	return p
}

// Shown makes the peer's name terminal-safe; the fields that select it (namespace, pod,
// reserved) stay raw, for commands, which quote them.
func (p Peer) Shown() Peer {
	p.Name = safetext.Message(p.Name)
	return p
}

// ObserveArgs select this side as `hubble observe` does, dir "from" or "to": a pod, a
// namespace, or a reserved identity; nothing for an IP or an identity without a name.
func (p Peer) ObserveArgs(dir string) []string {
	switch {
	case p.Pod != "":
		return []string{"--" + dir + "-pod", p.Namespace + "/" + p.Pod}
	case p.Namespace != "":
		return []string{"--" + dir + "-namespace", p.Namespace}
	case p.Reserved != "":
		return []string{"--" + dir + "-identity", "reserved:" + p.Reserved}
	}
	return nil
}

// PortOf is a flow's destination port and protocol: "TCP" 8080, "UDP" 53, "ICMPv4" 0.
func PortOf(f *flowpb.Flow) (proto string, port uint32) {
	l4 := f.GetL4()
	switch {
	case l4.GetTCP() != nil:
		return "TCP", l4.GetTCP().GetDestinationPort()
	case l4.GetUDP() != nil:
		return "UDP", l4.GetUDP().GetDestinationPort()
	case l4.GetSCTP() != nil:
		return "SCTP", l4.GetSCTP().GetDestinationPort()
	case l4.GetICMPv4() != nil:
		return "ICMPv4", 0
	case l4.GetICMPv6() != nil:
		return "ICMPv6", 0
	}
	return "", 0
}

// ProtocolArg is a protocol as `hubble observe --protocol` takes it: "tcp", "icmp".
func ProtocolArg(proto string) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimSuffix(proto, "v4"), "v6"))
}
