package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	flowpb "github.com/cilium/cilium/api/v1/flow"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/kockpit/kockpit/kube/hubble"
)

// fixtureFlowSource stands for a recording in model tests, which feed the pane's messages by
// hand: it is never read.
type fixtureFlowSource struct{ live bool }

func (fixtureFlowSource) Status(context.Context) (*hubble.Status, error) {
	return nil, hubble.ErrNoStatus
}
func (fixtureFlowSource) Flows(context.Context, hubble.Query, func(*flowpb.Flow) error) (hubble.Coverage, error) {
	return hubble.Coverage{}, nil
}
func (fixtureFlowSource) Describe() string { return "the recording flows.jsonpb" }
func (s fixtureFlowSource) Live() bool     { return s.live }

// testFlow is a flow between two pods (an empty pod name is the world) on a TCP port.
func testFlow(sec int, verdict flowpb.Verdict, reason flowpb.DropReason, src, dst string, port uint32) *flowpb.Flow {
	ep := func(name string) *flowpb.Endpoint {
		if name == "" {
			return &flowpb.Endpoint{Identity: 2, Labels: []string{"reserved:world"}}
		}
		ns, pod, _ := strings.Cut(name, "/")
		return &flowpb.Endpoint{Namespace: ns, PodName: pod, Identity: 31001}
	}
	return &flowpb.Flow{
		Time: timestamppb.New(testClock.Add(time.Duration(sec) * time.Second)), Verdict: verdict, DropReasonDesc: reason,
		Source: ep(src), Destination: ep(dst), IP: &flowpb.IP{Source: "10.244.1.7", Destination: "10.244.2.9"},
		L4:               &flowpb.Layer4{Protocol: &flowpb.Layer4_TCP{TCP: &flowpb.TCP{SourcePort: 40000, DestinationPort: port}}},
		TrafficDirection: flowpb.TrafficDirection_INGRESS, NodeName: "worker-1",
	}
}

// fixtureFlowLines are five flows: traffic that passes, and two policy drops into prod/api-1.
func fixtureFlowLines(first int) []flowLine {
	fs := []*flowpb.Flow{
		testFlow(1, flowpb.Verdict_FORWARDED, 0, "shop/web-1", "shop/cart-1", 8080),
		testFlow(2, flowpb.Verdict_DROPPED, flowpb.DropReason_POLICY_DENIED, "shop/web-1", "prod/api-1", 443),
		testFlow(3, flowpb.Verdict_FORWARDED, 0, "kube-system/coredns-1", "shop/web-1", 53),
		testFlow(4, flowpb.Verdict_DROPPED, flowpb.DropReason_POLICY_DENIED, "", "prod/api-1", 443),
		testFlow(5, flowpb.Verdict_FORWARDED, 0, "shop/web-1", "shop/cart-1", 8080),
	}
	out := make([]flowLine, len(fs))
	for i, f := range fs {
		out[i] = newFlowLine(first+i, f)
	}
	return out
}

// openFlows opens the pane on a stream whose events the test sends itself.
func openFlows(t *testing.T, m Model) (Model, chan flowEvent) {
	t.Helper()
	m, cmd := updateCmd(t, m, keyMsg("f"))
	if !m.flows.open || cmd == nil {
		t.Fatalf("f did not open the pane and start its stream (open %v)", m.flows.open)
	}
	events := make(chan flowEvent, 16)
	m, cmd = updateCmd(t, m, flowsStartedMsg{stream: 1, events: events, cancel: func() {}})
	if cmd == nil {
		t.Fatal("a started stream is not listened to")
	}
	return m, events
}

func flowsModel(t *testing.T, w, h int, live bool) Model {
	t.Helper()
	m, _ := newModel(t, w, h, func(o *Options) { o.Flows = fixtureFlowSource{live: live} })
	return withResults(t, m)
}

// runWait runs the pane's wait command as the program would, bounded so a bug fails rather
// than hangs.
func runWait(t *testing.T, cmd tea.Cmd) flowBatchMsg {
	t.Helper()
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	select {
	case msg := <-done:
		b, ok := msg.(flowBatchMsg)
		if !ok {
			t.Fatalf("the wait command returned %T", msg)
		}
		return b
	case <-time.After(10 * time.Second):
		t.Fatal("the wait command returned nothing in 10s")
	}
	return flowBatchMsg{}
}

func TestFlowsPaneCoalescesABurst(t *testing.T) {
	events := make(chan flowEvent, 16)
	for _, l := range fixtureFlowLines(1) {
		events <- flowEvent{line: l}
	}
	events <- flowEvent{end: true, cov: hubble.Coverage{Flows: 5}}
	b := runWait(t, waitFlows(7, events))
	if b.stream != 7 || len(b.lines) != 5 || b.end == nil || b.end.cov.Flows != 5 {
		t.Errorf("a burst and the end: batch of stream %d with %d lines, end %v; want stream 7, 5 lines and the end", b.stream, len(b.lines), b.end)
	}
	close(events)
	if b := runWait(t, waitFlows(7, events)); !b.closed {
		t.Errorf("a closed stream: %+v, want closed", b)
	}
}

func TestFlowsPaneFollowsPausesAndFilters(t *testing.T) {
	m, _ := openFlows(t, flowsModel(t, 120, 30, true))
	m, cmd := updateCmd(t, m, flowBatchMsg{stream: 1, lines: fixtureFlowLines(1)})
	if cmd == nil {
		t.Error("after a batch the pane does not listen for the next")
	}
	s := screen(m)
	for _, want := range []string{"● live the recording flows.jsonpb · 5 flows", "DROPPED   world → prod/api-1 TCP/443 policy denied",
		"enter opens the destination pod shop/cart-1"} {
		if !strings.Contains(s, want) {
			t.Errorf("the pane lacks %q:\n%s", want, s)
		}
	}
	if i, j := strings.Index(s, "10:00:01"), strings.Index(s, "10:00:05"); i < 0 || j < i {
		t.Errorf("flows are not oldest first, newest at the bottom:\n%s", s)
	}

	// Following: a new flow is selected as it arrives.
	m = update(t, m, flowBatchMsg{stream: 1, lines: []flowLine{newFlowLine(6, testFlow(6, flowpb.Verdict_FORWARDED, 0, "shop/web-1", "shop/orders-1", 9090))}})
	if s := screen(m); !strings.Contains(s, "enter opens the destination pod shop/orders-1") {
		t.Errorf("the newest flow is not selected while following:\n%s", s)
	}
	// A batch of an older stream is dropped.
	m = update(t, m, flowBatchMsg{stream: 99, lines: fixtureFlowLines(100)})
	if m.flows.total != 6 {
		t.Errorf("a stale stream's batch was taken: %d flows", m.flows.total)
	}

	// Paused, the pane stands still and counts what arrives.
	m = keys(t, m, "p")
	m = update(t, m, flowBatchMsg{stream: 1, lines: fixtureFlowLines(7)})
	s = screen(m)
	if !strings.Contains(s, "paused · 5 arrived since") {
		t.Errorf("paused: want 5 arrived:\n%s", s)
	}
	if got := strings.Count(s, "policy denied"); got != 2 {
		t.Errorf("paused, the pane shows %d drops, want the 2 it had", got)
	}
	m = keys(t, m, " ")
	if s := screen(m); strings.Contains(s, "paused") || strings.Count(s, "policy denied") != 4 {
		t.Errorf("space did not resume with the flows that arrived:\n%s", s)
	}

	// The filter: namespace, verdict and port, then free text.
	m = keys(t, m, "/")
	for _, r := range "ns:prod verdict:drop port:443" {
		m = update(t, m, keyMsg(string(r)))
	}
	s = screen(m)
	if !strings.Contains(s, "4 of 11 shown") || strings.Contains(s, "FORWARDED") {
		t.Errorf("ns:prod verdict:drop port:443 should show the 4 drops only:\n%s", s)
	}
	m = keys(t, m, "enter", "k")
	if !strings.Contains(screen(m), "/ ns:prod verdict:drop port:443  4 of 11 shown · esc clears") {
		t.Errorf("enter did not keep the filter (or a key went to the input):\n%s", screen(m))
	}
	m = keys(t, m, "esc")
	if s := screen(m); !m.flows.open || !strings.Contains(s, "filter: ns:NAME") {
		t.Errorf("esc did not clear the filter:\n%s", s)
	}
	m = keys(t, m, "/")
	for _, r := range "orders port:x" {
		m = update(t, m, keyMsg(string(r)))
	}
	if s := screen(m); !strings.Contains(s, "1 of 11 shown") || !strings.Contains(s, "not understood: port:x is not a port") {
		t.Errorf("free text and a bad port:\n%s", s)
	}
	m = keys(t, m, "esc", "esc")
	if m.flows.open {
		t.Error("esc without a filter did not close the pane")
	}
}

func TestFlowsPaneKeepsARing(t *testing.T) {
	m, _ := openFlows(t, flowsModel(t, 120, 30, true))
	seq := 0
	for range 9 {
		batch := make([]flowLine, 250)
		for i := range batch {
			seq++
			batch[i] = newFlowLine(seq, testFlow(seq, flowpb.Verdict_FORWARDED, 0, "shop/web-1", fmt.Sprintf("shop/cart-%d", seq), 8080))
		}
		m = update(t, m, flowBatchMsg{stream: 1, lines: batch})
	}
	if len(m.flows.ring.buf) != flowRingSize || m.flows.ring.evicted != 250 {
		t.Errorf("after 2250 flows the ring holds %d and evicted %d, want %d and 250", len(m.flows.ring.buf), m.flows.ring.evicted, flowRingSize)
	}
	lines := m.flows.ring.lines()
	if lines[0].seq != 251 || lines[len(lines)-1].seq != 2250 {
		t.Errorf("the ring keeps flows %d..%d, want 251..2250", lines[0].seq, lines[len(lines)-1].seq)
	}
	if s := screen(m); !strings.Contains(s, "kept the last 2000, 250 older dropped from the ring") || !strings.Contains(s, "shop/cart-2250") {
		t.Errorf("the pane does not say what the ring dropped, or does not show the newest:\n%s", s)
	}
}

func TestFlowsPaneDrillsIntoAPod(t *testing.T) {
	m, _ := openFlows(t, flowsModel(t, 120, 40, false))
	m = update(t, m, flowBatchMsg{stream: 1, lines: fixtureFlowLines(1)})
	m = update(t, m, flowBatchMsg{stream: 1, end: &flowEvent{end: true, cov: hubble.Coverage{Flows: 5,
		First: testClock.Add(time.Second), Last: testClock.Add(5 * time.Second)}}})
	if s := screen(m); !strings.Contains(s, "recording the recording flows.jsonpb · 5 flows · window 2026-11-25 10:00:01..10:00:05 UTC · replayed once") ||
		strings.Contains(s, "live") {
		t.Errorf("a recording is not said as one:\n%s", s)
	}
	// Up to the world's drop: its source is no pod, so tab, then enter, says so.
	m = keys(t, m, "up", "tab")
	m, cmd := updateCmd(t, m, keyMsg("enter"))
	if len(m.drill) != 0 || !strings.Contains(m.notice, "the source is world, not a pod") {
		t.Errorf("enter on the world: drill %d, notice %q", len(m.drill), m.notice)
	}
	runCmds(cmd)
	m = keys(t, m, "tab")
	m, cmd = updateCmd(t, m, keyMsg("enter"))
	if len(m.drill) != 1 {
		t.Fatal("enter did not open the destination pod")
	}
	m = update(t, m, findMsg[objectMsg](t, cmd))
	s := screen(m)
	for _, want := range []string{"flows › Pod prod/api-1", "✖ DROPPED world → prod/api-1 TCP/443: policy denied", "drop reason: POLICY_DENIED",
		"$ hubble observe --verdict DROPPED --from-identity reserved:world --to-pod prod/api-1 --to-port 443 --protocol tcp",
		"$ hubble observe --pod prod/api-1", "CONTAINERS"} {
		if !strings.Contains(s, want) {
			t.Errorf("the flow's drill-in lacks %q:\n%s", want, s)
		}
	}
	m = keys(t, m, "esc")
	if len(m.drill) != 0 || !m.flows.open {
		t.Error("esc from the drill-in did not go back to the pane")
	}
	// The source side of a pod-to-pod flow, and y copies the same line.
	m = keys(t, m, "up", "up", "tab")
	m, cmd = updateCmd(t, m, keyMsg("enter"))
	if len(m.drill) != 1 || m.drill[0].key.Name != "web-1" {
		t.Fatalf("tab then enter should open the source pod shop/web-1")
	}
	runCmds(cmd)
	m = keys(t, m, "esc")
	m = keys(t, m, "y")
	if !strings.Contains(m.notice, "copied: hubble observe --verdict DROPPED --from-pod shop/web-1 --to-pod prod/api-1 --to-port 443 --protocol tcp") {
		t.Errorf("y copied %q", m.notice)
	}
}

// TestFlowsPaneLiveWindow: a live flow's hubble observe line reads the minute around it.
func TestFlowsPaneLiveWindow(t *testing.T) {
	m := flowsModel(t, 120, 30, true)
	l := fixtureFlowLines(1)[1]
	f := m.flowFinding(&l, &l.dst)
	if got, want := f.Commands[0].String(), "hubble observe --verdict DROPPED --from-pod shop/web-1 --to-pod prod/api-1 --to-port 443 --protocol tcp --since 2026-11-25T09:59:32Z --until 2026-11-25T10:00:32Z"; got != want {
		t.Errorf("command = %s\nwant      %s", got, want)
	}
}

func TestFlowsKeyWithoutASource(t *testing.T) {
	m, _ := newModel(t, 80, 24)
	m = keys(t, m, "f")
	if m.flows.open || !strings.Contains(m.notice, "--hubble-server") {
		t.Errorf("f without flows: open %v, notice %q", m.flows.open, m.notice)
	}
}

func FuzzParseFlowQuery(f *testing.F) {
	for _, s := range []string{"ns:prod verdict:dropped port:53", "pod:web- checkout", "port:0 port:70000 port:x", "ns: :", "fe80::1 NS:Prod", ""} {
		f.Add(s)
	}
	l := newFlowLine(1, testFlow(1, flowpb.Verdict_DROPPED, flowpb.DropReason_POLICY_DENIED, "prod/web-1", "prod/api-1", 53))
	f.Fuzz(func(t *testing.T, s string) {
		q := parseFlowQuery(s)
		for _, p := range q.ports {
			if p == 0 || p > 65535 {
				t.Errorf("%q: port %d", s, p)
			}
		}
		for _, v := range append(append(q.ns, q.pods...), q.words...) {
			if v == "" || strings.ContainsAny(v, " \t\n") {
				t.Errorf("%q: value %q", s, v)
			}
		}
		q.matches(&l) // never panics
		if q.empty() && !q.matches(&l) {
			t.Errorf("%q: an empty filter hides a flow", s)
		}
	})
}

func TestFlowsPaneMouseAndAStoppedRelay(t *testing.T) {
	m, _ := openFlows(t, flowsModel(t, 120, 30, true))
	m = update(t, m, flowBatchMsg{stream: 1, lines: fixtureFlowLines(1)})
	l := m.layout()
	// The second flow's row: below the top border and the status line.
	m = update(t, m, tea.MouseClickMsg{Button: tea.MouseLeft, X: 10, Y: l.body.y + 2 + 1})
	if sel := m.flows.selected(); sel == nil || sel.seq != 2 || m.flows.follow {
		t.Errorf("a click on the second flow selected %+v (following %v)", sel, m.flows.follow)
	}
	m = update(t, m, tea.MouseWheelMsg{Button: tea.MouseWheelDown, X: 10, Y: l.body.y + 3})
	if sel := m.flows.selected(); sel == nil || sel.seq != 3 {
		t.Errorf("the wheel did not move the selection down: %+v", sel)
	}
	m = update(t, m, flowBatchMsg{stream: 1, end: &flowEvent{end: true, err: fmt.Errorf("the Hubble relay at 127.0.0.1:4245: GetFlows: \x1b[31mgone")}})
	s := screen(m)
	if strings.Contains(s, "● live") || !strings.Contains(s, "stopped the recording flows.jsonpb · 5 flows") || !strings.Contains(s, "✖ the Hubble relay at 127.0.0.1:4245: GetFlows: ␛[31mgone") {
		t.Errorf("a relay that ended the stream with an error:\n%s", s)
	}
}

// TestFlowsPaneHostileNames: a pod name with an escape sequence is drawn visibly in the pane
// and kept one argument in the hubble observe line.
func TestFlowsPaneHostileNames(t *testing.T) {
	m, _ := openFlows(t, flowsModel(t, 120, 30, false))
	evil := "shop/web-1\x1b[2J$(touch pwned);"
	m = update(t, m, flowBatchMsg{stream: 1, lines: []flowLine{newFlowLine(1, testFlow(1, flowpb.Verdict_DROPPED, flowpb.DropReason_POLICY_DENIED, evil, "prod/api-1", 443))}})
	view := m.View().Content
	if strings.Contains(view, "\x1b[2J") {
		t.Error("the pod name's escape sequence reached the terminal")
	}
	if s := screen(m); !strings.Contains(s, "shop/web-1␛[2J$(touch pwned); → prod/api-1") {
		t.Errorf("the hostile name is not drawn visibly:\n%s", s)
	}
	l := m.flows.selected()
	f := m.flowFinding(l, &l.src)
	args := f.Commands[0].Stages()[0]
	if !slices.Contains(args, "shop/web-1\x1b[2J$(touch pwned);") {
		t.Errorf("the pod is not one argument: %q", args)
	}
	if got := f.Commands[1].String(); !strings.HasPrefix(got, "hubble observe --pod '") {
		t.Errorf("the pod's line is not quoted: %s", got)
	}
}

// TestFlowsPaneHidesTheChecklistFilter: the checklist's filter line is not drawn over the Flows
// pane, which has its own; closing the pane brings it back.
func TestFlowsPaneHidesTheChecklistFilter(t *testing.T) {
	m := keys(t, flowsModel(t, 100, 30, true), "/", "d", "n", "s", "enter")
	m, _ = openFlows(t, m)
	if s := screen(m); strings.Contains(s, "/ dns") {
		t.Errorf("the checklist's filter shows over the Flows pane:\n%s", s)
	}
	m = keys(t, m, "f")
	if s := screen(m); !strings.Contains(s, "/ dns") {
		t.Errorf("closing the pane lost the checklist's filter:\n%s", s)
	}
}
