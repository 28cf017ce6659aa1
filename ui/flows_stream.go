package ui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"
	flowpb "github.com/cilium/cilium/api/v1/flow"

	"github.com/kockpit/kockpit/kube/hubble"
)

// The Flows pane's stream: a goroutine reads the source (a relay followed live, or a recording
// replayed once) and turns each flow into a flowLine; a command brings a batch of them into
// Update, re-armed after each batch (bubbletea examples/realtime). A burst arrives as one
// message, so a busy relay costs one redraw per batch, not per flow.

const (
	// flowRingSize is how many recent flows the pane keeps; older ones are counted, not kept.
	flowRingSize = 2000
	// flowBatchMax and flowBatchWait bound one batch: this many flows, or this long after the
	// batch's first flow.
	flowBatchMax  = 256
	flowBatchWait = 100 * time.Millisecond
	// flowChanSize is the stream's buffer: the reader waits when the screen is this far behind.
	flowChanSize = 1024
)

// flowEvent is what the reader sends: a flow, or the end of the stream with what it covered.
type flowEvent struct {
	line flowLine
	end  bool
	cov  hubble.Coverage
	err  error
}

// Messages of the stream, tagged with the stream they belong to (STYLE.md #4).
type (
	flowsStartedMsg struct {
		stream int
		events <-chan flowEvent
		cancel context.CancelFunc
	}
	flowBatchMsg struct {
		stream int
		lines  []flowLine
		end    *flowEvent // the stream's last event, when the batch holds it
		closed bool       // the channel closed without an end event
	}
)

// startFlows starts reading the source outside Update: a Follower that is live is followed
// (its last flowRingSize flows, then new ones); anything else is read through once.
func startFlows(parent context.Context, stream int, src hubble.Source) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithCancel(parent)
		events := make(chan flowEvent, flowChanSize)
		go readFlows(ctx, src, events)
		return flowsStartedMsg{stream: stream, events: events, cancel: cancel}
	}
}

// readFlows sends every flow of src on events, then the end event, and closes events.
func readFlows(ctx context.Context, src hubble.Source, events chan<- flowEvent) {
	defer close(events)
	seq := 0
	each := func(f *flowpb.Flow) error {
		seq++
		select {
		case events <- flowEvent{line: newFlowLine(seq, f)}:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var cov hubble.Coverage
	var err error
	if fl, ok := src.(hubble.Follower); ok && src.Live() {
		cov, err = fl.Follow(ctx, flowRingSize, each)
	} else {
		cov, err = src.Flows(ctx, hubble.Query{}, each)
	}
	select {
	case events <- flowEvent{end: true, cov: cov, err: err}:
	case <-ctx.Done():
	}
}

// waitFlows brings the next batch into Update: it waits for one event, then takes more until
// the batch is full, flowBatchWait has passed, or the stream ends.
func waitFlows(stream int, events <-chan flowEvent) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-events
		if !ok {
			return flowBatchMsg{stream: stream, closed: true}
		}
		msg := flowBatchMsg{stream: stream}
		if ev.end {
			msg.end = &ev
			return msg
		}
		msg.lines = append(make([]flowLine, 0, 16), ev.line)
		timer := time.NewTimer(flowBatchWait)
		defer timer.Stop()
		for len(msg.lines) < flowBatchMax {
			select {
			case ev, ok := <-events:
				if !ok {
					msg.closed = true
					return msg
				}
				if ev.end {
					msg.end = &ev
					return msg
				}
				msg.lines = append(msg.lines, ev.line)
			case <-timer.C:
				return msg
			}
		}
		return msg
	}
}
