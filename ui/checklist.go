package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/kockpit/kockpit/checks"
)

// listRow is one row of the checklist: a category heading, or a check.
type listRow struct {
	category checks.Category
	id       string // "" for a heading
}

// checklistRows lays the visible checks out under their categories.
func (m Model) checklistRows() []listRow {
	var rows []listRow
	var cat checks.Category
	for i, id := range m.visIDs {
		c := m.list[m.byID[id]]
		if i == 0 || c.Category != cat {
			cat = c.Category
			rows = append(rows, listRow{category: cat})
		}
		rows = append(rows, listRow{category: cat, id: id})
	}
	return rows
}

// settleList keeps the selected check in view.
func (m *Model) settleList(rows []listRow, visible int) {
	sel := 0
	for i, r := range rows {
		if r.id == m.selID {
			sel = i
		}
	}
	// Show the selected check's heading when it is the first of its category.
	top := sel
	if sel > 0 && rows[sel-1].id == "" {
		top = sel - 1
	}
	if top < m.listOff {
		m.listOff = top
	}
	if sel >= m.listOff+visible {
		m.listOff = sel - visible + 1
	}
	m.listOff = clamp(m.listOff, 0, max(0, len(rows)-visible))
}

// renderChecklist draws the checklist's lines: only the rows in view.
func (m Model) renderChecklist(l layout, width int) []string {
	st := m.styles
	rows := m.checklistRows()
	out := make([]string, 0, l.listRows+1)
	if len(rows) == 0 {
		msg := "no checks"
		if m.query != "" {
			msg = "nothing matches " + fmt.Sprintf("%q", m.query)
		}
		out = append(out, fit(st.Muted.Render(msg), width, st.Text))
	}
	for i := m.listOff; i < len(rows) && len(out) < l.listRows; i++ {
		r := rows[i]
		if r.id == "" {
			out = append(out, fit(st.Category.Render(strings.ToUpper(string(r.category))), width, st.Text))
			continue
		}
		out = append(out, m.checkRow(r.id, width))
	}
	for len(out) < l.listRows {
		out = append(out, strings.Repeat(" ", width))
	}
	return append(out, m.statusCounts(width))
}

// checkRow is one check: mark (or spinner), ID, summary, duration.
func (m Model) checkRow(id string, width int) string {
	st := m.styles
	res := m.results[id]
	selected := id == m.selID
	base := st.Text
	switch {
	case selected && m.focus == paneChecks && m.overlay == overlayNone:
		base = st.Selected
	case selected:
		base = st.SelectedBlur
	}
	var mark string
	switch {
	case m.pending[id] != 0:
		mark = st.Spinner.Inherit(base).Render(spinnerFrame(m))
	case res != nil:
		mark = st.status(res.Status).Inherit(base).Render(res.Status.Mark())
	default:
		mark = base.Render(" ")
	}
	dur := ""
	if res != nil && m.pending[id] == 0 && !m.opts.Presenter {
		dur = formatDuration(res.Duration)
	}
	idText := base.Render(" " + id)
	if fold := m.foldMark(id); fold != "" {
		idText += st.Key.Inherit(base).Render(fold)
	}
	summary := ""
	if res != nil {
		summary = res.Summary
		if res.Status == checks.StatusSkip && res.SkipReason != "" {
			summary = string(res.SkipReason)
		}
	} else if m.pending[id] != 0 {
		summary = "running"
	}
	left := mark + idText
	room := width - cellWidth(left) - len(dur) - 1
	line := left
	if summary != "" && room > 8 {
		sumStyle := st.Muted.Inherit(base)
		if selected && m.focus == paneChecks && m.overlay == overlayNone {
			sumStyle = base
		}
		line += base.Render("  ") + fit(safe(summary, m.text, sumStyle, st.Suspicious.Inherit(base)), room-2, base)
	} else {
		line = fit(line, width-len(dur)-1, base)
	}
	line = fit(line, width-len(dur), base)
	if dur != "" {
		line += st.Muted.Inherit(base).Render(dur)
	}
	return fit(line, width, base)
}

// statusCounts is the checklist's last line: how many checks ended how.
func (m Model) statusCounts(width int) string {
	st := m.styles
	counts := map[checks.Status]int{}
	for id, r := range m.results {
		if m.pending[id] == 0 {
			counts[r.Status]++
		}
	}
	var parts []string
	for _, s := range []checks.Status{checks.StatusFail, checks.StatusError, checks.StatusWarn, checks.StatusOK, checks.StatusSkip} {
		if counts[s] > 0 {
			parts = append(parts, st.status(s).Render(fmt.Sprintf("%s %d", s.Mark(), counts[s])))
		}
	}
	if len(parts) == 0 {
		return fit(st.Muted.Render("waiting for the first results"), width, st.Text)
	}
	return fit(strings.Join(parts, "  "), width, st.Text)
}

func spinnerFrame(m Model) string {
	v := m.spinner.View()
	if v == "" {
		return "·"
	}
	return strings.TrimSpace(v)
}

// formatDuration is short and steady: "12ms", "1.4s", "2m03s".
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return "<1ms"
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}
