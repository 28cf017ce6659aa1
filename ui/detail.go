package ui

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/kockpit/kockpit/checks"
)

// The detail pane: the selected check's title and summary, its findings (a virtualised list:
// only the rows in view are drawn, so 10,000 findings cost what 10 do), and the selected
// finding's message, evidence, fix and kubectl commands.

func (m Model) selectedCheck() (checks.Check, *checks.Result, bool) {
	i, ok := m.byID[m.selID]
	if !ok {
		return checks.Check{}, nil, false
	}
	return m.list[i], m.results[m.selID], true
}

func (m Model) selectedFinding() *checks.Finding {
	_, res, ok := m.selectedCheck()
	if !ok || res == nil || m.findSel < 0 || m.findSel >= len(m.visFind) {
		return nil
	}
	return &res.Findings[m.visFind[m.findSel]]
}

// settleFindings keeps the selected finding in view.
func (m *Model) settleFindings(rows int) {
	m.findSel = clamp(m.findSel, 0, len(m.visFind)-1)
	if m.findSel < m.findOff {
		m.findOff = m.findSel
	}
	if m.findSel >= m.findOff+rows {
		m.findOff = m.findSel - rows + 1
	}
	m.findOff = clamp(m.findOff, 0, max(0, len(m.visFind)-rows))
}

func (m Model) renderDetail(l layout, width int) []string {
	st := m.styles
	c, res, ok := m.selectedCheck()
	inner := l.body.h - 2
	if !ok {
		return padLines([]string{st.Muted.Render("no check selected")}, inner, width)
	}
	out := make([]string, 0, inner)
	// Head: title, summary (two lines), blank, findings label.
	var mark string
	switch {
	case m.pending[c.ID] != 0:
		mark = st.Spinner.Render(spinnerFrame(m))
	case res != nil:
		mark = st.status(res.Status).Render(res.Status.Mark())
	}
	out = append(out, fit(mark+st.Title.Render(" "+c.Title), width, st.Text))
	summary := "running"
	if res != nil {
		summary = res.Summary
		if res.Status == checks.StatusSkip && res.SkipReason != "" && !strings.Contains(summary, string(res.SkipReason)) {
			summary += " (" + string(res.SkipReason) + ")"
		}
	}
	sumLines := wrap(m.text.prepare(summary), width)
	for i := 0; i < 2; i++ {
		s, more := "", ""
		if i < len(sumLines) {
			s = sumLines[i]
			if i == 1 && len(sumLines) > 2 {
				more = "…" // ours, after safe: it must not be flagged as a look-alike
			}
		}
		line := safe(s, m.text, st.Text, st.Suspicious)
		if more != "" {
			line += st.Muted.Render(more)
		}
		out = append(out, fit(line, width, st.Text))
	}
	out = append(out, "")
	out = append(out, m.findingsLabel(c, res, width))
	out = append(out, m.findingRows(l, width)...)
	if l.detailRows > 0 {
		out = append(out, st.Muted.Render(strings.Repeat("─", width)))
		out = append(out, m.findingDetail(l.detailRows, width)...)
	}
	return padLines(out, inner, width)
}

func (m Model) findingsLabel(c checks.Check, res *checks.Result, width int) string {
	st := m.styles
	left := st.Label.Render("FINDINGS")
	right := ""
	switch {
	case res == nil:
	case len(m.visFind) == 0:
	default:
		right = fmt.Sprintf("%d of %d", m.findSel+1, len(m.visFind))
		if len(m.visFind) != len(res.Findings) {
			right += " matching"
		}
	}
	meta := "  " + st.Muted.Render(c.ID+" · "+string(c.Category))
	gap := width - cellWidth(left) - cellWidth(meta) - len(right)
	if gap < 1 {
		meta = ""
		gap = width - cellWidth(left) - len(right)
	}
	line := left + meta + strings.Repeat(" ", max(1, gap)) + st.Muted.Render(right)
	return fit(line, width, st.Text)
}

// findingRows draws the findings in view, and nothing else.
func (m Model) findingRows(l layout, width int) []string {
	st := m.styles
	_, res, _ := m.selectedCheck()
	out := make([]string, 0, l.findRows)
	if res == nil || len(m.visFind) == 0 {
		msg := "no findings"
		switch {
		case res == nil:
			msg = "waiting for the result"
		case m.query != "" && len(res.Findings) > 0:
			msg = "no finding matches the filter"
		case res.Status == checks.StatusSkip:
			msg = "skipped: nothing was looked at"
		case res.Status == checks.StatusError:
			msg = "the check could not run: see its summary"
		}
		out = append(out, fit(st.Muted.Render(msg), width, st.Text))
	}
	mixed := m.mixedCauses()
	for i := m.findOff; i < len(m.visFind) && len(out) < l.findRows; i++ {
		out = append(out, m.findingRow(&res.Findings[m.visFind[i]], i == m.findSel, mixed, width))
	}
	for len(out) < l.findRows {
		out = append(out, "")
	}
	return out
}

func (m Model) findingRow(f *checks.Finding, selected, markCauses bool, width int) string {
	st := m.styles
	base := st.Text
	if selected {
		base = st.SelectedBlur
		if m.focus == paneFindings {
			base = st.Selected
		}
	}
	line := st.status(f.Severity).Inherit(base).Render(f.Severity.Mark()) + base.Render(" ")
	if f.Cause && markCauses {
		line += st.Key.Inherit(base).Render("cause ")
	}
	if tag := m.foldTag(f); tag != "" {
		line += st.Muted.Inherit(base).Render(tag)
	}
	// The object's name is usually in the message already; say it only when it is not.
	if about := f.About(); about != "" && (f.Object == nil || !strings.Contains(f.Message, f.Object.Name)) {
		line += safe(about, m.text, base.Bold(true), st.Suspicious.Inherit(base)) + base.Render(" ")
	}
	line += safe(f.Message, m.text, base, st.Suspicious.Inherit(base))
	return fit(line, width, base)
}

// findingDetail draws the selected finding, cut to the rows available; enter shows all of it.
func (m Model) findingDetail(rows, width int) []string {
	f := m.selectedFinding()
	if f == nil {
		return nil
	}
	lines := m.findingLines(f, width)
	if len(lines) > rows && rows > 0 {
		lines = append(lines[:rows-1], m.styles.Muted.Render("… enter shows the whole finding"))
	}
	return lines
}

// findingLines is a finding in full, its sections as checks.Finding.Layout orders them (what
// it is about, message, evidence, fix, commands, what it explains), then the suspicious
// characters of its strings by code point.
func (m Model) findingLines(f *checks.Finding, width int) []string {
	st := m.styles
	var out []string
	add := func(prefix string, ps lipgloss.Style, text string, ts lipgloss.Style) {
		pw := cellWidth(prefix)
		for i, l := range wrap(m.text.prepare(text), max(8, width-pw)) {
			p := strings.Repeat(" ", pw)
			if i == 0 {
				p = prefix
			}
			out = append(out, fit(ps.Render(p)+safe(l, m.text, ts, st.Suspicious), width, st.Text))
		}
	}
	for _, s := range f.Layout() {
		ts, ps := st.Text, st.Label
		switch s.Kind {
		case checks.SectionAbout:
			ts, ps = st.Bold, st.Text
		case checks.SectionMessage:
			ps = st.Text
		case checks.SectionEvidence, checks.SectionExplains:
			ts = st.Muted
		case checks.SectionCommands:
			ts, ps = st.Command, st.Command
		}
		for i, l := range sectionLines(s) {
			add(sectionPrefix(s, i), ps, l, ts)
		}
	}
	// The notes name suspicious characters on purpose: drawn as they are, not flagged again.
	for _, n := range m.findingNotes(f) {
		for i, l := range wrap(n, max(8, width-2)) {
			p := "  "
			if i == 0 {
				p = "⚠ "
			}
			out = append(out, fit(st.Suspicious.Render(p+l), width, st.Text))
		}
	}
	return out
}

// findingNotes names every suspicious character of the finding's cluster strings.
func (m Model) findingNotes(f *checks.Finding) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range append([]string{f.About(), f.Message}, f.Evidence...) {
		for _, n := range suspiciousNotes(s, m.text) {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	return out
}

// labelWidth is the column a finding's sections start at after their label.
const labelWidth = 10

// sectionLines are the lines a view draws of a section: what a cause explains on one line.
func sectionLines(s checks.Section) []string {
	if s.Kind == checks.SectionExplains {
		return []string{strings.Join(s.Lines, ", ")}
	}
	return s.Lines
}

// sectionPrefix is the label before line i of a section: "evidence  " before the first line of
// evidence and blanks before the others, "$ " before every command, nothing before the subject
// and the message.
func sectionPrefix(s checks.Section, i int) string {
	switch {
	case s.Label == "":
		return ""
	case s.Kind == checks.SectionCommands:
		return s.Label + " "
	case i == 0:
		return fmt.Sprintf("%-*s", labelWidth, s.Label)
	}
	return strings.Repeat(" ", labelWidth)
}

// padLines makes exactly n lines of width cells.
func padLines(lines []string, n, width int) []string {
	if len(lines) > n {
		lines = lines[:n]
	}
	for len(lines) < n {
		lines = append(lines, "")
	}
	for i, l := range lines {
		lines[i] = fit(l, width, lipgloss.NewStyle())
	}
	return lines
}

func cellWidth(s string) int { return lipgloss.Width(s) }

// mixedCauses reports whether the selected check's findings are part causes, part symptoms:
// only then does marking the causes tell the viewer something.
func (m Model) mixedCauses() bool {
	_, res, _ := m.selectedCheck()
	if res == nil {
		return false
	}
	causes := 0
	for i := range res.Findings {
		if res.Findings[i].Cause {
			causes++
		}
	}
	return causes > 0 && causes < len(res.Findings)
}
