package ui

import (
	"context"
	"errors"
	"fmt"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/kube/hubble"
)

// The Flows pane (f): Hubble's flows as they happen, newest at the bottom, drops in the fail
// colour with their reason. It reads what the checks read (Options.Flows): a relay followed
// live, or a recording replayed once. `/` filters, p or space pauses (the pane counts what
// arrives meanwhile), tab picks the side enter opens, enter drills into that pod, y copies the
// `hubble observe` line that shows the same flows. The pane keeps at most flowRingSize flows.

// flowSide is which side of a flow enter opens.
type flowSide int

const (
	sideDestination flowSide = iota
	sideSource
)

func (s flowSide) String() string {
	if s == sideSource {
		return "source"
	}
	return "destination"
}

// flowsPane is the pane's state; the root model owns it and changes it directly.
type flowsPane struct {
	open   bool
	stream int // the stream listened to; 0 before the pane first opened
	events <-chan flowEvent
	cancel context.CancelFunc
	live   bool      // the source is a relay followed now, not a recording
	asked  time.Time // when the stream was asked for: the wait's clock
	ended  bool
	cov    hubble.Coverage // what the stream covered, once it ended
	err    error

	ring  flowRing
	total int // flows received

	paused   bool
	frozen   []flowLine // what the pane shows while paused
	pausedAt int        // total when paused

	follow bool // the selection follows the newest flow
	sel    int  // the selected flow's seq, when not following
	selIdx int  // its index in vis
	off    int
	side   flowSide

	input  textinput.Model
	typing bool
	text   string
	query  flowQuery
	vis    []*flowLine // the lines the filter lets through, oldest first; rebuilt by settle
}

func newFlowsPane() flowsPane {
	in := textinput.New()
	in.Prompt = "/ "
	in.Placeholder = "ns:NAME pod:NAME verdict:dropped port:53 or any text"
	return flowsPane{follow: true, input: in}
}

// waiting reports whether the pane waits on its source: no flow yet from a relay, or a
// recording still being replayed. The spinner turns meanwhile.
func (p *flowsPane) waiting() bool {
	return p.stream > 0 && !p.ended && (p.total == 0 || !p.live)
}

// toggleFlows opens the pane, starting the stream the first time, or closes it. The stream
// goes on while the pane is closed, so it opens again on the recent flows.
func (m *Model) toggleFlows() tea.Cmd {
	if m.flows.open {
		m.flows.open = false
		return nil
	}
	if m.opts.Flows == nil {
		return m.flash("no Hubble flows: start kockpit with --hubble-server HOST:PORT, or --hubble-flows FILE")
	}
	m.flows.open = true
	if m.flows.stream > 0 {
		return nil
	}
	m.flows.stream++
	m.flows.live = m.opts.Flows.Live()
	m.flows.asked = m.now()
	cmds := []tea.Cmd{startFlows(m.opts.Context, m.flows.stream, m.opts.Flows)}
	if !m.ticking {
		m.ticking = true
		cmds = append(cmds, m.spinner.Tick)
	}
	return tea.Batch(cmds...)
}

func (m *Model) onFlowsStarted(msg flowsStartedMsg) tea.Cmd {
	if msg.stream != m.flows.stream || m.flows.events != nil {
		return cancelling(msg.cancel)
	}
	m.flows.events, m.flows.cancel = msg.events, msg.cancel
	return waitFlows(msg.stream, msg.events)
}

// onFlowBatch files a batch into the ring and listens for the next one.
func (m *Model) onFlowBatch(msg flowBatchMsg) tea.Cmd {
	p := &m.flows
	if msg.stream != p.stream || p.events == nil {
		return nil
	}
	for _, l := range msg.lines {
		p.ring.add(l)
		p.total++
	}
	switch {
	case msg.end != nil:
		p.ended, p.cov = true, msg.end.cov
		if err := msg.end.err; err != nil && !errors.Is(err, context.Canceled) {
			p.err = err
		}
		return nil
	case msg.closed:
		p.ended = true
		return nil
	}
	return waitFlows(p.stream, p.events)
}

// stopFlows ends the stream, when the cockpit quits.
func (m *Model) stopFlows() tea.Cmd {
	return cancelling(m.flows.cancel)
}

// onFlowsKey handles a key while the pane is shown (and no drill-in is over it).
func (m *Model) onFlowsKey(msg tea.KeyPressMsg) tea.Cmd {
	p := &m.flows
	if p.typing {
		return m.onFlowsFilterKey(msg)
	}
	k := m.keys
	switch {
	case key.Matches(msg, k.Pause), msg.String() == "space":
		m.togglePause()
	case key.Matches(msg, k.Flows):
		p.open = false
	case key.Matches(msg, k.Back):
		if p.text != "" {
			m.setFlowQuery("")
			p.input.SetValue("")
		} else {
			p.open = false
		}
	case key.Matches(msg, k.Up):
		m.moveFlow(-1)
	case key.Matches(msg, k.Down):
		m.moveFlow(1)
	case key.Matches(msg, k.PageUp):
		m.moveFlow(-m.flowRows())
	case key.Matches(msg, k.PageDown):
		m.moveFlow(m.flowRows())
	case key.Matches(msg, k.Top):
		m.moveFlow(-1 << 30)
	case key.Matches(msg, k.Bottom):
		p.follow = true
	case key.Matches(msg, k.Pane):
		p.side = 1 - p.side
	case key.Matches(msg, k.Open):
		return m.openFlow()
	case key.Matches(msg, k.Copy):
		if l := p.selected(); l != nil {
			f := m.flowFinding(l, nil)
			return m.copyCommand(&f)
		}
	case key.Matches(msg, k.Filter):
		p.typing = true
		return p.input.Focus()
	}
	return nil
}

// onFlowsFilterKey handles a key while the pane's filter is typed into, as the checklist's:
// enter keeps it, esc clears it, ctrl+c quits, anything else edits.
func (m *Model) onFlowsFilterKey(msg tea.KeyPressMsg) tea.Cmd {
	p := &m.flows
	switch msg.String() {
	case "esc":
		p.typing = false
		p.input.Blur()
		p.input.SetValue("")
		m.setFlowQuery("")
		return nil
	case "enter":
		p.typing = false
		p.input.Blur()
		return nil
	case "ctrl+c":
		return m.quit()
	}
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(msg)
	m.setFlowQuery(p.input.Value())
	return cmd
}

func (m *Model) setFlowQuery(s string) {
	if s == m.flows.text {
		return
	}
	m.flows.text = s
	m.flows.query = parseFlowQuery(s)
}

// togglePause freezes what the pane shows, or lets it follow again.
func (m *Model) togglePause() {
	p := &m.flows
	if p.paused {
		p.paused, p.frozen = false, nil
		return
	}
	p.paused, p.pausedAt = true, p.total
	lines := p.ring.lines()
	p.frozen = make([]flowLine, len(lines))
	for i, l := range lines {
		p.frozen[i] = *l
	}
}

// moveFlow moves the selection; reaching the newest flow follows again.
func (m *Model) moveFlow(delta int) {
	p := &m.flows
	if len(p.vis) == 0 {
		return
	}
	i := clamp(p.selIdx+delta, 0, len(p.vis)-1)
	p.follow = i == len(p.vis)-1 && delta > 0
	p.sel, p.selIdx = p.vis[i].seq, i
}

// clickFlow selects the flow on a row of the list (0 is its first row).
func (m *Model) clickFlow(row int) {
	p := &m.flows
	i := p.off + row
	if row < 0 || row >= m.flowRows() || i >= len(p.vis) {
		return
	}
	p.sel, p.selIdx, p.follow = p.vis[i].seq, i, i == len(p.vis)-1
}

// selected is the flow enter opens, nil when the pane shows none.
func (p *flowsPane) selected() *flowLine {
	if p.selIdx < 0 || p.selIdx >= len(p.vis) {
		return nil
	}
	return p.vis[p.selIdx]
}

// settleFlows rebuilds the visible lines and keeps the selection and the scroll in range.
func (m *Model) settleFlows(rows int) {
	p := &m.flows
	if !p.open {
		return
	}
	var all []*flowLine
	if p.paused {
		all = make([]*flowLine, len(p.frozen))
		for i := range p.frozen {
			all[i] = &p.frozen[i]
		}
	} else {
		all = p.ring.lines()
	}
	p.vis = all
	if !p.query.empty() {
		p.vis = make([]*flowLine, 0, len(all))
		for _, l := range all {
			if p.query.matches(l) {
				p.vis = append(p.vis, l)
			}
		}
	}
	n := len(p.vis)
	switch {
	case n == 0:
		p.selIdx, p.off = -1, 0
		return
	case p.follow:
		p.selIdx = n - 1
	default:
		// The selected flow by its seq; gone from the ring or the filter, the next one kept.
		p.selIdx = n - 1
		for i, l := range p.vis {
			if l.seq >= p.sel {
				p.selIdx = i
				break
			}
		}
	}
	p.sel = p.vis[p.selIdx].seq
	rows = max(1, rows)
	p.off = clamp(p.off, max(0, p.selIdx-rows+1), p.selIdx)
	if p.follow {
		p.off = max(0, n-rows)
	}
}

// flowRows is how many flows the pane shows at once.
func (m Model) flowRows() int { return max(1, m.layout().body.h-2-flowPaneChrome) }

// openFlow drills into the selected flow's pod on the chosen side: the drill-in reads it as
// it reads any object, and shows the flow with the `hubble observe` lines above it.
func (m *Model) openFlow() tea.Cmd {
	p := &m.flows
	l := p.selected()
	if l == nil {
		return nil
	}
	side := l.dst
	if p.side == sideSource {
		side = l.src
	}
	if side.Pod == "" {
		return m.flash(fmt.Sprintf("the %s is %s, not a pod: nothing to open (tab picks the other side)", p.side, m.text.clean(sideName(side))))
	}
	key := kube.ObjectKey{APIVersion: "v1", Kind: "Pod", Namespace: side.Namespace, Name: side.Pod}
	f := m.flowFinding(l, &side)
	return m.push(&drillFrame{label: key.String(), finding: &f, key: &key, link: -1, env: m.latestEnv()})
}

// latestEnv is the environment of the newest run: the drill-in of a flow reads its pod there.
func (m Model) latestEnv() *checks.Env {
	best := -1
	var env *checks.Env
	for id, r := range m.runs {
		if r.env != nil && id > best {
			best, env = id, r.env
		}
	}
	return env
}
