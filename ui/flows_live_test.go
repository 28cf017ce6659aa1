package ui

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	flowpb "github.com/cilium/cilium/api/v1/flow"
	observerpb "github.com/cilium/cilium/api/v1/observer"

	"github.com/kockpit/kockpit/kube/hubble"
	"github.com/kockpit/kockpit/kube/hubble/hubbletest"
)

// TestFlowsPaneFollowsARelay: against a real observer server, the pane's own commands read the
// flows the relay holds, then show a flow the server sends after the pane opened.
func TestFlowsPaneFollowsARelay(t *testing.T) {
	held := hubbletest.Load(t, filepath.Join("..", "testdata", "hubble", "flows.jsonpb"))
	srv := hubbletest.Start(t, held, nil)
	relay, err := hubble.DialRelay(hubble.RelayOptions{Server: srv.Addr, Timeout: 5 * time.Second, How: "--hubble-server"})
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	m, _ := newModel(t, 120, 30, func(o *Options) { o.Flows = relay; o.Context = t.Context() })
	m = withResults(t, m)
	m, cmd := updateCmd(t, m, keyMsg("f"))
	if s := screen(m); !strings.Contains(s, "waiting for flows from the Hubble relay at "+srv.Addr) {
		t.Errorf("before the first flow the pane does not say it waits:\n%s", s)
	}
	m, cmd = updateCmd(t, m, findMsg[flowsStartedMsg](t, cmd))
	defer runCmds(m.stopFlows())

	want := 0
	for _, r := range held {
		if r.GetFlow() != nil {
			want++
		}
	}
	for m.flows.total < want {
		m, cmd = updateCmd(t, m, runWait(t, cmd))
	}
	if s := screen(m); !strings.Contains(s, "● live the Hubble relay at "+srv.Addr) {
		t.Errorf("following a relay is not said live:\n%s", s)
	}
	if err := srv.WaitFollowing(t.Context()); err != nil {
		t.Fatal(err)
	}
	srv.Push(&observerpb.GetFlowsResponse{ResponseTypes: &observerpb.GetFlowsResponse_Flow{
		Flow: testFlow(60, flowpb.Verdict_DROPPED, flowpb.DropReason_POLICY_DENIED, "shop/late-1", "prod/api-1", 443)}})
	m = update(t, m, runWait(t, cmd))
	s := screen(m)
	if !strings.Contains(s, "DROPPED   shop/late-1 → prod/api-1 TCP/443 policy denied") {
		t.Errorf("the flow sent after the pane opened is not shown:\n%s", s)
	}
	if m.flows.total != want+1 {
		t.Errorf("the pane holds %d flows, want %d", m.flows.total, want+1)
	}
}
