package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/kube/hubble"
)

// flowPaneChrome is the pane's lines that are not flows: the status line above them, the
// filter and the action lines below.
const flowPaneChrome = 3

// renderFlows draws the pane: status, flows (newest at the bottom), filter, action.
func (m Model) renderFlows(l layout) string {
	width := l.innerWidth(l.body)
	rows := l.body.h - 2 - flowPaneChrome
	p := &m.flows
	out := []string{fit(m.flowStatus(), width, m.styles.Text)}
	var list []string
	end := min(len(p.vis), p.off+max(0, rows))
	for i := p.off; i < end; i++ {
		list = append(list, m.flowRow(p.vis[i], i == p.selIdx, width))
	}
	if len(p.vis) == 0 {
		list = append(list, m.styles.Muted.Render(m.flowsEmpty()))
	}
	out = append(out, padLines(list, max(0, rows), width)...)
	out = append(out, fit(m.flowFilterLine(), width, m.styles.Text), fit(m.flowAction(), width, m.styles.Text))
	return m.box([]string{"flows"}, out, l.body, l.pad, true)
}

// flowStatus says where the flows come from and how much the pane holds: "live" only for a
// relay followed now, "recording" with its window for a recording.
func (m Model) flowStatus() string {
	st := m.styles
	p := &m.flows
	src := m.opts.Flows
	sep := st.Muted.Render(" · ")
	var parts []string
	desc := safe(src.Describe(), m.text, st.Text, st.Suspicious)
	switch {
	case p.live && p.total == 0 && !p.ended:
		wait := m.now().Sub(p.asked).Truncate(time.Second)
		s := st.Spinner.Render(spinnerFrame(m)) + " " + st.Text.Render("waiting for flows from ") + desc + sep + st.Muted.Render(formatDuration(wait))
		if wait >= hubbleQuietAfter {
			s += sep + st.Muted.Render("none yet: a quiet cluster, or a relay that does not answer")
		}
		parts = append(parts, s)
	case p.live && p.ended:
		parts = append(parts, st.status(checks.StatusWarn).Render("stopped")+" "+desc, plural(p.total, "flow"))
	case p.live:
		parts = append(parts, st.status(checks.StatusOK).Render("● live")+" "+desc, plural(p.total, "flow"))
	case !p.ended:
		parts = append(parts, st.Spinner.Render(spinnerFrame(m))+" "+st.Text.Render("replaying ")+desc, plural(p.total, "flow"))
	default:
		s := st.Title.Render("recording") + " " + desc + sep + st.Text.Render(plural(p.total, "flow"))
		if !p.cov.First.IsZero() {
			s += sep + st.Text.Render("window "+p.cov.First.UTC().Format("2006-01-02 15:04:05")+".."+p.cov.Last.UTC().Format("15:04:05 UTC"))
		}
		parts = append(parts, s, "replayed once")
	}
	if p.ring.evicted > 0 {
		parts = append(parts, fmt.Sprintf("kept the last %d, %d older dropped from the ring", flowRingSize, p.ring.evicted))
	}
	if p.cov.Lost > 0 {
		parts = append(parts, st.status(checks.StatusWarn).Render(fmt.Sprintf("%d events lost by Hubble", p.cov.Lost)))
	}
	if p.live && p.ended && p.err == nil {
		parts = append(parts, st.status(checks.StatusWarn).Render("the relay ended the stream"))
	}
	if p.err != nil {
		parts = append(parts, st.status(checks.StatusFail).Render("✖ ")+safe(p.err.Error(), m.text, st.Text, st.Suspicious))
	}
	if p.paused {
		parts = append([]string{st.Banner.Render(fmt.Sprintf(" paused · %d arrived since ", p.total-p.pausedAt))}, parts...)
	}
	for i, s := range parts {
		if !strings.Contains(s, "\x1b") {
			parts[i] = st.Muted.Render(s)
		}
	}
	return strings.Join(parts, sep)
}

// hubbleQuietAfter is when the wait for a relay's first flow says it may be silent.
const hubbleQuietAfter = 10 * time.Second

func (m Model) flowsEmpty() string {
	p := &m.flows
	switch {
	case p.total > 0:
		return "no flow matches the filter"
	case p.ended:
		return "the source sent no flow"
	}
	return ""
}

// flowRow is one flow: time, verdict, source → destination, port, drop reason.
func (m Model) flowRow(l *flowLine, selected bool, width int) string {
	st := m.styles
	base := st.Text
	if selected {
		base = st.Selected
	}
	vs := st.status(checks.StatusOK)
	switch {
	case l.dropped():
		vs = st.status(checks.StatusFail)
	case l.verdict != "FORWARDED":
		vs = st.status(checks.StatusWarn)
	}
	muted := st.Muted
	if selected {
		vs, muted = vs.Inherit(base), st.Muted.Inherit(base)
	}
	sp := base.Render(" ")
	when := "--:--:--"
	if !l.time.IsZero() {
		when = l.time.UTC().Format("15:04:05")
	}
	s := muted.Render(when) + sp + vs.Render(fmt.Sprintf("%-9s", l.verdict)) + sp +
		m.flowPeer(l.src, selected && m.flows.side == sideSource, base) + muted.Render(" → ") +
		m.flowPeer(l.dst, selected && m.flows.side == sideDestination, base)
	if pt := l.portText(); pt != "" {
		s += sp + base.Render(pt)
	}
	if l.reason != "" {
		s += sp + vs.Render(reasonWords(l.reason))
	}
	return fit(s, width, base)
}

// flowPeer draws one side of a flow, cluster text through safe; on the selected flow, the
// side enter opens is underlined.
func (m Model) flowPeer(p hubble.Peer, chosen bool, base lipgloss.Style) string {
	if chosen {
		base = base.Underline(true)
	}
	return safe(sideName(p), m.text, base, m.styles.Suspicious.Inherit(base))
}

// flowFilterLine is the pane's filter: the input while typing, the query, or how to start one.
func (m Model) flowFilterLine() string {
	st := m.styles
	p := &m.flows
	count := fmt.Sprintf("%d of %d shown", len(p.vis), len(p.ring.buf))
	if p.paused {
		count = fmt.Sprintf("%d of %d shown", len(p.vis), len(p.frozen))
	}
	problem := ""
	if p.query.problem != "" {
		problem = st.Muted.Render(" · ") + st.status(checks.StatusWarn).Render("not understood: ") + safe(p.query.problem, m.text, st.Text, st.Suspicious)
	}
	switch {
	case p.typing:
		return p.input.View() + "  " + st.Muted.Render(count+" · enter keeps, esc clears") + problem
	case p.text != "":
		return st.Key.Render("/ ") + safe(p.text, m.text, st.Text, st.Suspicious) + "  " + st.Muted.Render(count+" · esc clears") + problem
	}
	return st.Key.Render("/ ") + st.Muted.Render("filter: ns:NAME pod:NAME verdict:dropped port:53, or any text")
}

// flowAction says what enter does on the selected flow.
func (m Model) flowAction() string {
	st := m.styles
	p := &m.flows
	l := p.selected()
	if l == nil {
		return ""
	}
	side := l.dst
	if p.side == sideSource {
		side = l.src
	}
	pick := st.Key.Render("tab") + st.Muted.Render(" picks the "+(1-p.side).String())
	if side.Pod == "" {
		return st.Muted.Render("the "+p.side.String()+" is ") + safe(sideName(side), m.text, st.Text, st.Suspicious) +
			st.Muted.Render(", not a pod · ") + pick
	}
	return st.Key.Render("enter") + st.Muted.Render(" opens the "+p.side.String()+" pod ") +
		safe(sideName(side), m.text, st.Text, st.Suspicious) + st.Muted.Render(" · ") + pick +
		st.Muted.Render(" · ") + st.Key.Render("y") + st.Muted.Render(" copies hubble observe")
}

// flowsKeys are the keys that act in the Flows pane, named for what they do there.
func (m Model) flowsKeys(k KeyMap) KeyMap {
	off := func(bs ...*key.Binding) {
		for _, b := range bs {
			b.SetEnabled(false)
		}
	}
	if m.flows.typing {
		off(&k.Up, &k.Down, &k.Pane, &k.Filter, &k.Pause, &k.RerunAll, &k.Learn, &k.Copy, &k.Flows, &k.Theme, &k.Help)
		k.Open.SetHelp("enter", "keep filter")
		k.Back.SetHelp("esc", "clear filter")
		k.Quit.SetHelp("ctrl+c", k.Quit.Help().Desc)
		return k
	}
	off(&k.RerunAll, &k.Learn)
	k.Pane.SetHelp(k.Pane.Help().Key, "source/destination")
	k.Open.SetHelp(k.Open.Help().Key, "open pod")
	k.Copy.SetHelp(k.Copy.Help().Key, "copy hubble observe")
	k.Flows.SetHelp(k.Flows.Help().Key, "close flows")
	k.Back.SetHelp(k.Back.Help().Key, "close")
	if m.flows.text != "" {
		k.Back.SetHelp(k.Back.Help().Key, "clear filter")
	}
	if m.flows.paused {
		k.Pause.SetHelp(k.Pause.Help().Key, "resume")
	}
	if m.flows.selected() == nil {
		off(&k.Pane, &k.Open, &k.Copy)
	}
	return k
}
