package checks

import "time"

// FlowGroup is the Hubble flows a finding stands for (a group of hubble.drops), as data: a
// program reading the JSON report needs not parse the evidence. Names are as the finding's
// message shows them.
type FlowGroup struct {
	Verdict     string   `json:"verdict"`          // DROPPED
	Reason      string   `json:"reason,omitempty"` // the drop reason: POLICY_DENIED
	Source      FlowPeer `json:"source"`
	Destination FlowPeer `json:"destination"`
	Protocol    string   `json:"protocol,omitempty"` // TCP, UDP, SCTP, ICMPv4, ICMPv6
	Port        uint32   `json:"port,omitempty"`     // the destination port
	Directions  []string `json:"directions,omitempty"`
	// DeniedBy names the policies the flows say dropped them ("CiliumNetworkPolicy shop/deny").
	DeniedBy []string `json:"deniedBy,omitempty"`
	Count    int      `json:"count"`
	// FirstSeen and LastSeen bound the group's flows; nil when the flows carry no time.
	FirstSeen *time.Time `json:"firstSeen,omitempty"`
	LastSeen  *time.Time `json:"lastSeen,omitempty"`
}

// FlowPeer is one side of a group of flows: a workload ("shop/Deployment web"), a reserved
// identity (world), an identity with its labels, or an IP.
type FlowPeer struct {
	Name string `json:"name"`
	// Pods are the first pods seen on this side; PodCount counts all of them.
	Pods     []string `json:"pods,omitempty"`
	PodCount int      `json:"podCount,omitempty"`
}

// redacted is the group with each string passed through redact.
func (g *FlowGroup) redacted(redact func(string) string) *FlowGroup {
	out := *g
	out.Reason = redact(g.Reason)
	out.Source = g.Source.redacted(redact)
	out.Destination = g.Destination.redacted(redact)
	out.Directions = redactEach(g.Directions, redact)
	out.DeniedBy = redactEach(g.DeniedBy, redact)
	return &out
}

func (p FlowPeer) redacted(redact func(string) string) FlowPeer {
	p.Name = redact(p.Name)
	p.Pods = redactEach(p.Pods, redact)
	return p
}

func redactEach(in []string, redact func(string) string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = redact(s)
	}
	return out
}
