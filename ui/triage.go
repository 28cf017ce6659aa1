package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/triage"
)

// triageScreen is the causes-first screen: the run's causes ranked (checks/triage), each with
// the count of symptoms it explains. It is the first view once a run ends; the Triage key
// toggles it with the checklist.
type triageScreen struct {
	on   bool // shown instead of the checklist
	seen bool // shown once already: a re-run does not take the checklist away again
	sel  int
	off  int
	t    *triage.Triage
}

// retriage ranks the causes of the results on screen once no check is running.
func (m *Model) retriage() {
	if m.running() {
		return
	}
	categories := map[string]checks.Category{}
	var results []checks.Result
	for _, c := range m.list {
		categories[c.ID] = c.Category
		if r := m.results[c.ID]; r != nil {
			results = append(results, *r)
		}
	}
	m.tri.t = triage.Rank(results, categories)
	m.tri.sel = clamp(m.tri.sel, 0, len(m.tri.t.Causes)-1)
	if !m.tri.seen {
		m.tri.on, m.tri.seen = true, true
	}
}

// triageShown says whether the triage screen is what the body shows now.
func (m Model) triageShown() bool {
	return m.tri.on && m.tri.t != nil && m.overlay == overlayNone && len(m.drill) == 0
}

func (m *Model) toggleTriage() {
	if m.tri.t == nil {
		return
	}
	m.tri.on = !m.tri.on
}

// onTriageKey handles the triage screen: move, open the cause's finding, back to the checklist.
func (m *Model) onTriageKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	n := len(m.tri.t.Causes)
	switch {
	case key.Matches(msg, k.Triage), key.Matches(msg, k.Back):
		m.tri.on = false
	case key.Matches(msg, k.Up):
		m.tri.sel = clamp(m.tri.sel-1, 0, n-1)
	case key.Matches(msg, k.Down):
		m.tri.sel = clamp(m.tri.sel+1, 0, n-1)
	case key.Matches(msg, k.Top):
		m.tri.sel = 0
	case key.Matches(msg, k.Bottom):
		m.tri.sel = max(0, n-1)
	case key.Matches(msg, k.Open):
		return m.openCause()
	case key.Matches(msg, k.RerunAll):
		return m.rerunAll()
	}
	return nil
}

// openCause drills into the selected cause's finding, its symptoms listed under it.
func (m *Model) openCause() tea.Cmd {
	if m.tri.sel >= len(m.tri.t.Causes) {
		return nil
	}
	c := m.tri.t.Causes[m.tri.sel]
	first := c.Findings[0]
	f := first.Finding
	fr := &drillFrame{label: fmt.Sprintf("cause %d", m.tri.sel+1), checkID: first.CheckID, finding: &f, link: -1, cause: &c}
	if f.Object != nil {
		k := objectKey(f.Object)
		fr.key = &k
		fr.label = k.String()
	} else if f.File != nil {
		fr.label = f.About()
	}
	return m.push(fr)
}

// causeLines is the triage screen's content: a head line, then one row per cause.
func (m Model) triageLines(width, rows int) []string {
	st := m.styles
	causes := m.tri.t.Causes
	if len(causes) == 0 {
		return []string{fit(st.Muted.Render("no cause found: every result is in the checklist (c)"), width, st.Text)}
	}
	n := fmt.Sprintf("%d causes", len(causes))
	if len(causes) == 1 {
		n = "1 cause"
	}
	head := fit(st.Label.Render(n+", most explained first · enter opens · c checklist"), width, st.Text)
	out := []string{head}
	room := max(1, rows-1)
	off := clamp(m.tri.off, 0, max(0, len(causes)-room))
	if m.tri.sel < off {
		off = m.tri.sel
	} else if m.tri.sel >= off+room {
		off = m.tri.sel - room + 1
	}
	for i := off; i < len(causes) && len(out) < rows; i++ {
		out = append(out, m.causeRow(i, causes[i], width))
	}
	return out
}

// causeRow is one cause: rank, mark, how many symptoms it explains, its check and its message.
func (m Model) causeRow(i int, c triage.Cause, width int) string {
	st := m.styles
	base := st.Text
	if i == m.tri.sel {
		base = st.Selected
	}
	f := c.Findings[0].Finding
	line := base.Render(fmt.Sprintf("%2d ", i+1)) + st.status(f.Severity).Inherit(base).Render(f.Severity.Mark())
	line += st.Key.Inherit(base).Render(fmt.Sprintf(" %-11s", symptomCount(len(c.Symptoms))))
	line += st.Muted.Inherit(base).Render(c.Findings[0].CheckID + "  ")
	if about := f.About(); about != "" && (f.Object == nil || !strings.Contains(f.Message, f.Object.Name)) {
		line += safe(about, m.text, base.Bold(true), st.Suspicious.Inherit(base)) + base.Render(" ")
	}
	line += safe(f.Message, m.text, base, st.Suspicious.Inherit(base))
	return fit(line, width, base)
}

func symptomCount(n int) string {
	if n == 1 {
		return "1 symptom"
	}
	return fmt.Sprintf("%d symptoms", n)
}

// symptomLines lists, in a cause's drill-in, the symptoms it explains.
func (m Model) symptomLines(fr *drillFrame, width int) []dline {
	if fr.cause == nil {
		return nil
	}
	out := []dline{{link: -1}, {kind: dLabel, text: fmt.Sprintf("EXPLAINS  %s", symptomCount(len(fr.cause.Symptoms))), link: -1}}
	for _, also := range fr.cause.Findings[1:] {
		out = append(out, dline{kind: dMuted, prefix: "  also ", text: also.CheckID + ": " + also.Finding.Message, link: -1})
	}
	for _, s := range fr.cause.Symptoms {
		text := s.CheckID + "  "
		if about := s.Finding.About(); about != "" {
			text += about + ": "
		}
		text += s.Finding.Message
		for i, l := range wrap(m.text.prepare(text), max(8, width-2)) {
			if i == 0 {
				out = append(out, dline{kind: dStatus, status: s.Finding.Severity, text: l, link: -1})
			} else {
				out = append(out, dline{kind: dText, prefix: "  ", text: l, link: -1})
			}
		}
	}
	return out
}

// foldMark is a checklist row's mark for its findings folded under a cause on the triage
// screen: "↳2". They stay listed; the mark says where they are explained.
func (m Model) foldMark(id string) string {
	r := m.results[id]
	if r == nil || m.tri.t == nil {
		return ""
	}
	n := 0
	for _, f := range r.Findings {
		if _, ok := m.tri.t.FoldedUnder(f.ID); ok {
			n++
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" ↳%d", n)
}

// foldTag marks a finding folded under a cause: "↳ cause 1 ".
func (m Model) foldTag(f *checks.Finding) string {
	if m.tri.t == nil {
		return ""
	}
	if i, ok := m.tri.t.FoldedUnder(f.ID); ok {
		return fmt.Sprintf("↳ cause %d ", i+1)
	}
	return ""
}
