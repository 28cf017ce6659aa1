package ui

import (
	"strconv"
	"strings"
	"time"

	flowpb "github.com/cilium/cilium/api/v1/flow"

	"github.com/kockpit/kockpit/kube/hubble"
)

// flowLine is one flow as the pane shows and filters it, made from the flow in the stream's
// goroutine, not in Update. Its strings are the flow's, raw: the view draws them through safe.
type flowLine struct {
	seq       int // the stream's count at this flow, from 1
	time      time.Time
	verdict   string // "DROPPED"
	reason    string // the drop reason, "" for a flow not dropped
	src, dst  hubble.Peer
	srcIP     string
	dstIP     string
	proto     string // "TCP"
	port      uint32 // destination port
	srcPort   uint32
	direction string // "ingress", "egress", ""
	node      string
}

func newFlowLine(seq int, f *flowpb.Flow) flowLine {
	l := flowLine{
		seq: seq, verdict: f.GetVerdict().String(),
		src: hubble.PeerOf(f.GetSource(), f.GetIP().GetSource()), dst: hubble.PeerOf(f.GetDestination(), f.GetIP().GetDestination()),
		srcIP: f.GetIP().GetSource(), dstIP: f.GetIP().GetDestination(), node: f.GetNodeName(),
	}
	if f.GetTime() != nil {
		l.time = f.GetTime().AsTime()
	}
	if r := f.GetDropReasonDesc(); r != flowpb.DropReason_DROP_REASON_UNKNOWN {
		l.reason = r.String()
	}
	l.proto, l.port = hubble.PortOf(f)
	switch {
	case f.GetL4().GetTCP() != nil:
		l.srcPort = f.GetL4().GetTCP().GetSourcePort()
	case f.GetL4().GetUDP() != nil:
		l.srcPort = f.GetL4().GetUDP().GetSourcePort()
	case f.GetL4().GetSCTP() != nil:
		l.srcPort = f.GetL4().GetSCTP().GetSourcePort()
	}
	switch f.GetTrafficDirection() {
	case flowpb.TrafficDirection_INGRESS:
		l.direction = "ingress"
	case flowpb.TrafficDirection_EGRESS:
		l.direction = "egress"
	}
	return l
}

// dropped reports whether the network refused the flow.
func (l *flowLine) dropped() bool { return l.verdict == "DROPPED" || l.verdict == "ERROR" }

// sideName is how a flow line names a side: ns/pod for a pod, else the identity, world or IP.
func sideName(p hubble.Peer) string {
	if p.Pod != "" {
		return p.Namespace + "/" + p.Pod
	}
	return p.Name
}

// portText is "TCP/8080", "ICMPv4", or "" when the flow has no layer 4.
func (l *flowLine) portText() string {
	if l.port == 0 {
		return l.proto
	}
	return l.proto + "/" + strconv.FormatUint(uint64(l.port), 10)
}

// reasonWords is a drop reason as the pane says it: "policy denied".
func reasonWords(r string) string { return strings.ToLower(strings.ReplaceAll(r, "_", " ")) }

// flowRing keeps the last flowRingSize lines; lines past it are counted as evicted.
type flowRing struct {
	buf     []flowLine
	next    int // where the next line goes once buf is full
	evicted int
}

func (r *flowRing) add(l flowLine) {
	if len(r.buf) < flowRingSize {
		r.buf = append(r.buf, l)
		return
	}
	r.buf[r.next] = l
	r.next = (r.next + 1) % flowRingSize
	r.evicted++
}

// lines are the kept lines, oldest first; they point into the ring, so they are read before
// the next add.
func (r *flowRing) lines() []*flowLine {
	out := make([]*flowLine, 0, len(r.buf))
	for i := range r.buf {
		out = append(out, &r.buf[(r.next+i)%len(r.buf)])
	}
	return out
}
