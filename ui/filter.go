package ui

import (
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/kockpit/kockpit/checks"
)

// The filter (`/`) narrows the checklist to checks whose ID, title, category or summary
// matches, or that have a matching finding; within a check that matches only through its
// findings, the findings list shows the matching ones. Matching is case-insensitive.

// visKey says what the visible findings were computed from.
type visKey struct {
	id    string
	query string
	res   *checks.Result
}

func (m *Model) onFilterKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "esc":
		m.filtering = false
		m.filter.Blur()
		m.filter.SetValue("")
		m.setQuery("")
		return nil
	case "enter":
		m.filtering = false
		m.filter.Blur()
		return nil
	case "ctrl+c":
		return m.quit()
	case "up":
		m.move(-1)
		return nil
	case "down":
		m.move(1)
		return nil
	}
	var cmd tea.Cmd
	m.filter, cmd = m.filter.Update(msg)
	m.setQuery(m.filter.Value())
	return cmd
}

func (m *Model) setQuery(q string) {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == m.query {
		return
	}
	m.query = q
	m.visKey = visKey{}
	m.findSel, m.findOff = 0, 0
}

// visibleChecks returns the IDs of the checks the checklist shows, in display order.
func (m Model) visibleChecks() []string {
	out := make([]string, 0, len(m.list))
	for _, c := range m.list {
		if m.query == "" || m.checkMatches(c) || m.findingsMatch(c.ID) {
			out = append(out, c.ID)
		}
	}
	return out
}

func (m Model) checkMatches(c checks.Check) bool {
	q := m.query
	if containsFold(c.ID, q) || containsFold(c.Title, q) || containsFold(string(c.Category), q) {
		return true
	}
	if r := m.results[c.ID]; r != nil && containsFold(r.Summary, q) {
		return true
	}
	return false
}

func (m Model) findingsMatch(id string) bool {
	r := m.results[id]
	if r == nil {
		return false
	}
	for i := range r.Findings {
		if findingMatches(&r.Findings[i], m.query) {
			return true
		}
	}
	return false
}

func findingMatches(f *checks.Finding, q string) bool {
	if containsFold(f.Message, q) || containsFold(f.Hint, q) {
		return true
	}
	if f.Object != nil && (containsFold(f.Object.Name, q) || containsFold(f.Object.Kind, q) || containsFold(f.Object.Namespace, q)) {
		return true
	}
	if f.File != nil && containsFold(f.File.Path, q) {
		return true
	}
	for _, e := range f.Evidence {
		if containsFold(e, q) {
			return true
		}
	}
	return false
}

// computeVisibleFindings lists the selected check's findings the detail pane shows.
func (m *Model) computeVisibleFindings() {
	r := m.results[m.selID]
	k := visKey{id: m.selID, query: m.query, res: r}
	if k == m.visKey {
		return
	}
	m.visKey = k
	if r == nil {
		m.visFind = nil
		return
	}
	all := m.order[m.selID]
	c, ok := m.byID[m.selID]
	if m.query == "" || (ok && m.checkMatches(m.list[c])) {
		m.visFind = all
		return
	}
	m.visFind = make([]int, 0, 16)
	for _, i := range all {
		if findingMatches(&r.Findings[i], m.query) {
			m.visFind = append(m.visFind, i)
		}
	}
}

// containsFold is a case-insensitive strings.Contains for a lower-case needle.
func containsFold(s, lowerNeedle string) bool {
	if lowerNeedle == "" {
		return true
	}
	if len(s) < len(lowerNeedle) {
		return false
	}
	return strings.Contains(strings.ToLower(s), lowerNeedle)
}
