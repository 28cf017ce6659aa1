package ui

import (
	"strconv"
	"time"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/kube/hubble"
)

// observeWindow is how far on each side of a live flow its `hubble observe` line reads: the
// line shows the same flows later, when the relay still holds them.
const observeWindow = 30 * time.Second

// flowFinding is a flow as the drill-in shows it, a finding of its own: what happened, the
// flow's facts, and the `hubble observe` lines that show the same flows (the first: flows like
// this one; the second, for an opened pod: all of that pod's flows).
func (m Model) flowFinding(l *flowLine, opened *hubble.Peer) checks.Finding {
	sev := checks.StatusOK
	if l.dropped() {
		sev = checks.StatusFail
	}
	msg := l.verdict + " " + sideName(l.src) + " → " + sideName(l.dst)
	if pt := l.portText(); pt != "" {
		msg += " " + pt
	}
	if l.reason != "" {
		msg += ": " + reasonWords(l.reason)
	}
	ev := []string{"time: " + l.time.UTC().Format(time.RFC3339), "verdict: " + l.verdict}
	if l.reason != "" {
		ev = append(ev, "drop reason: "+l.reason)
	}
	if l.direction != "" {
		ev = append(ev, "direction: "+l.direction)
	}
	ev = append(ev, "source: "+peerFacts(l.src, l.srcIP), "destination: "+peerFacts(l.dst, l.dstIP))
	if l.node != "" {
		ev = append(ev, "node: "+l.node)
	}
	f := checks.Finding{Severity: sev, Message: msg, Evidence: ev}
	window := m.observeWindow(l)
	args := append([]string{"observe", "--verdict", l.verdict}, l.src.ObserveArgs("from")...)
	args = append(args, l.dst.ObserveArgs("to")...)
	if l.port != 0 {
		args = append(args, "--to-port", strconv.FormatUint(uint64(l.port), 10))
	}
	if l.proto != "" {
		args = append(args, "--protocol", hubble.ProtocolArg(l.proto))
	}
	f.Commands = append(f.Commands, checks.Cmd("hubble", append(args, window...)...))
	if opened != nil && opened.Pod != "" {
		f.Object = &checks.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: opened.Namespace, Name: opened.Pod}
		f.Commands = append(f.Commands, checks.Cmd("hubble", append([]string{"observe", "--pod", opened.Namespace + "/" + opened.Pod}, window...)...))
	}
	return f
}

// observeWindow reads what the pane read: the recording's file, or the minute around a live
// flow. An embedded recording or standard input has no file to name: nothing is added.
func (m Model) observeWindow(l *flowLine) []string {
	src := m.opts.Flows
	if src == nil {
		return nil
	}
	if !src.Live() {
		if r, ok := src.(interface{ File() (string, bool) }); ok {
			if path, ok := r.File(); ok {
				return []string{"--input-file", path}
			}
		}
		return nil
	}
	if l.time.IsZero() {
		return nil
	}
	return []string{"--since", l.time.Add(-observeWindow).UTC().Format(time.RFC3339),
		"--until", l.time.Add(observeWindow).UTC().Format(time.RFC3339)}
}

// peerFacts is a side with its address: "storefront/frontend-7b9c6 (10.244.1.12)".
func peerFacts(p hubble.Peer, ip string) string {
	s := sideName(p)
	if ip != "" && ip != s {
		s += " (" + ip + ")"
	}
	return s
}
