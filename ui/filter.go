package ui

import (
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
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

// onFilterKey handles a key while the filter has the keyboard. Printable keys are text and the
// text input's editing keys edit; esc, enter, ctrl+c and the arrows always act, and so does
// any other key the keymap binds to back, open, quit, up or down (a rebound "back" on f2, say).
func (m *Model) onFilterKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	action := ""
	switch msg.String() {
	case "esc":
		action = "back"
	case "enter":
		action = "open"
	case "ctrl+c":
		action = "quit"
	case "up":
		action = "up"
	case "down":
		action = "down"
	default:
		if m.filterCommandKey(msg.String(), msg.Text) {
			for _, b := range []struct {
				name string
				b    key.Binding
			}{{"back", k.Back}, {"open", k.Open}, {"quit", k.Quit}, {"up", k.Up}, {"down", k.Down}} {
				if key.Matches(msg, b.b) {
					action = b.name
					break
				}
			}
		}
	}
	switch action {
	case "back":
		m.filtering = false
		m.filter.Blur()
		m.filter.SetValue("")
		m.setQuery("")
		return nil
	case "open":
		m.filtering = false
		m.filter.Blur()
		return nil
	case "quit":
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

// filterCommandKey says whether a key may act as a command while the filter is typed into:
// not a printable key (text) and not one the text input edits with.
func (m *Model) filterCommandKey(k, text string) bool {
	if text != "" || k == "space" || len([]rune(k)) == 1 {
		return false
	}
	ed := m.filter.KeyMap
	for _, b := range []key.Binding{
		ed.CharacterForward, ed.CharacterBackward, ed.WordForward, ed.WordBackward,
		ed.DeleteWordBackward, ed.DeleteWordForward, ed.DeleteAfterCursor, ed.DeleteBeforeCursor,
		ed.DeleteCharacterBackward, ed.DeleteCharacterForward, ed.LineStart, ed.LineEnd, ed.Paste,
		ed.AcceptSuggestion, ed.NextSuggestion, ed.PrevSuggestion,
	} {
		if slices.Contains(b.Keys(), k) {
			return false
		}
	}
	return true
}

// filterKeyName is how the hint bar names an action's keys while typing: the fixed key
// (label), and the binding's first other key that acts there, if any.
func (m *Model) filterKeyName(b key.Binding, fixed, label string) string {
	for _, k := range b.Keys() {
		if k != fixed && m.filterCommandKey(k, "") {
			return label + "/" + k
		}
	}
	return label
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
