package ui

import (
	"fmt"
	"testing"

	flowpb "github.com/cilium/cilium/api/v1/flow"
)

// BenchmarkFlowsBatchToFrame is one full batch (flowBatchMax flows) arriving into a full ring
// with a filter set, and the frame it draws: Update + View, as the program runs them.
func BenchmarkFlowsBatchToFrame(b *testing.B) {
	m, _ := newModel(b, 120, 40, func(o *Options) { o.Flows = fixtureFlowSource{live: true} })
	m, _ = updateCmd(b, m, keyMsg("f"))
	m = update(b, m, flowsStartedMsg{stream: 1, events: make(chan flowEvent), cancel: func() {}})
	batch := func(first int) []flowLine {
		out := make([]flowLine, flowBatchMax)
		for i := range out {
			seq := first + i
			v, r := flowpb.Verdict_FORWARDED, flowpb.DropReason(0)
			if seq%10 == 0 {
				v, r = flowpb.Verdict_DROPPED, flowpb.DropReason_POLICY_DENIED
			}
			out[i] = newFlowLine(seq, testFlow(seq, v, r, fmt.Sprintf("shop/web-%d", seq%50), fmt.Sprintf("prod/api-%d", seq%7), 443))
		}
		return out
	}
	seq := 1
	for seq < 2*flowRingSize {
		m = update(b, m, flowBatchMsg{stream: 1, lines: batch(seq)})
		seq += flowBatchMax
	}
	m = keys(b, m, "/")
	for _, r := range "ns:prod verdict:drop" {
		m = update(b, m, keyMsg(string(r)))
	}
	m = keys(b, m, "enter")
	batches := [4][]flowLine{batch(seq), batch(seq + flowBatchMax), batch(seq + 2*flowBatchMax), batch(seq + 3*flowBatchMax)}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		m = update(b, m, flowBatchMsg{stream: 1, lines: batches[i%4]})
		_ = m.View()
	}
}
