// Package hubble reads Cilium Hubble flows: from a relay over the observer gRPC API, or from a
// recording written by `hubble observe -o jsonpb`. Checks ask for flows with a Query and get
// them one at a time, so what they keep is theirs to bound (groups, not flows).
package hubble

import (
	"context"
	"errors"
	"slices"
	"time"

	flowpb "github.com/cilium/cilium/api/v1/flow"
	observerpb "github.com/cilium/cilium/api/v1/observer"
	relaypb "github.com/cilium/cilium/api/v1/relay"
)

// Source gives flows and the server's status.
type Source interface {
	// Status is the server's ServerStatus; a recording has none (ErrNoStatus).
	Status(ctx context.Context) (*Status, error)
	// Flows calls each for every flow the query selects, in the order the source gives them,
	// and says what the flows it read cover. An error from each stops the read and is returned.
	Flows(ctx context.Context, q Query, each func(*flowpb.Flow) error) (Coverage, error)
	// Describe says where the flows come from, for summaries: "hubble-relay at HOST:PORT",
	// "the recording FILE".
	Describe() string
	// Live reports whether the source is a running server (a recording is not).
	Live() bool
}

// ErrNoStatus is what a recording answers for the server's status: it has none.
var ErrNoStatus = errors.New("a recording has no server status")

// Query selects flows.
type Query struct {
	// Since is the oldest flow wanted; zero means all the source holds (a recording's
	// whole file).
	Since time.Time
	// Verdicts keeps only flows with one of these verdicts; empty keeps all.
	Verdicts []flowpb.Verdict
	// DNS keeps only flows with a DNS layer-7 record.
	DNS bool
}

// Coverage says what a read of flows covered: the window the flows actually span and what the
// server reported lost. A check says it, so nobody reads "no drops" as more than it is.
type Coverage struct {
	First, Last time.Time
	// Flows counts the flows read (after the query's filter).
	Flows int
	// Lost counts events the server or its nodes reported lost (ring buffer overrun).
	Lost uint64
	// Nodes that the relay reported unavailable during the read.
	UnavailableNodes []string
	// Capped says the read stopped at MaxFlows: there were more.
	Capped bool
}

// Status is what a Hubble server says about itself.
type Status struct {
	Version              string
	NumFlows, MaxFlows   uint64
	SeenFlows            uint64
	Uptime               time.Duration
	ConnectedNodes       *uint32 // nil when the server does not say (a single agent)
	UnavailableNodeCount *uint32
	UnavailableNodes     []string
	FlowsPerSecond       float64
}

// matches reports whether a flow passes the query's filter (the server applies it live; a
// recording applies it here).
func (q Query) matches(f *flowpb.Flow) bool {
	if f == nil {
		return false
	}
	if !q.Since.IsZero() && f.GetTime() != nil && f.GetTime().AsTime().Before(q.Since) {
		return false
	}
	if len(q.Verdicts) > 0 {
		ok := false
		for _, v := range q.Verdicts {
			ok = ok || f.GetVerdict() == v
		}
		if !ok {
			return false
		}
	}
	if q.DNS && f.GetL7().GetDns() == nil {
		return false
	}
	return true
}

// take reads one response of a stream or a recording: lost events and nodes that went away
// widen the coverage; a flow the query selects is counted and returned, anything else is nil.
func (c *Coverage) take(q Query, resp *observerpb.GetFlowsResponse) *flowpb.Flow {
	switch {
	case resp.GetLostEvents() != nil:
		c.Lost += resp.GetLostEvents().GetNumEventsLost()
	case resp.GetNodeStatus() != nil:
		st := resp.GetNodeStatus()
		if st.GetStateChange() == relaypb.NodeState_NODE_CONNECTED {
			return nil
		}
		for _, n := range st.GetNodeNames() {
			if !slices.Contains(c.UnavailableNodes, n) {
				c.UnavailableNodes = append(c.UnavailableNodes, n)
			}
		}
	case q.matches(resp.GetFlow()):
		c.see(resp.GetFlow())
		return resp.GetFlow()
	}
	return nil
}

// see widens the coverage to a flow's time.
func (c *Coverage) see(f *flowpb.Flow) {
	c.Flows++
	if f.GetTime() == nil {
		return
	}
	t := f.GetTime().AsTime()
	if c.First.IsZero() || t.Before(c.First) {
		c.First = t
	}
	if t.After(c.Last) {
		c.Last = t
	}
}
