package ui

import tea "charm.land/bubbletea/v2"

// onClick selects what was clicked: a check, a finding, or a related object in the drill-in.
func (m *Model) onClick(ms tea.Mouse) {
	if ms.Button != tea.MouseLeft || m.overlay == overlayHelp {
		return
	}
	l := m.layout()
	if fr := m.topFrame(); fr != nil {
		i := fr.off + ms.Y - (l.body.y + 1)
		if i >= 0 && i < len(fr.lines) && fr.lines[i].link >= 0 {
			fr.link = fr.lines[i].link
		}
		return
	}
	if m.flows.open {
		m.clickFlow(ms.Y - (l.body.y + 2)) // below the border and the pane's status line
		return
	}
	switch {
	case l.left.contains(ms.X, ms.Y):
		m.focus = paneChecks
		rows := m.checklistRows()
		i := m.listOff + ms.Y - l.listY
		if ms.Y >= l.listY && ms.Y < l.listY+l.listRows && i >= 0 && i < len(rows) && rows[i].id != "" {
			m.chose = true
			m.selectCheck(rows[i].id)
		}
	case l.right.contains(ms.X, ms.Y) && m.overlay == overlayNone:
		m.focus = paneFindings
		i := m.findOff + ms.Y - l.findY
		if ms.Y >= l.findY && ms.Y < l.findY+l.findRows && i >= 0 && i < len(m.visFind) {
			m.findSel = i
		}
	}
}

// onWheel scrolls what is under the pointer by moving its selection, so the view follows.
func (m *Model) onWheel(ms tea.Mouse) {
	delta := 0
	switch ms.Button {
	case tea.MouseWheelUp:
		delta = -1
	case tea.MouseWheelDown:
		delta = 1
	default:
		return
	}
	if m.overlay == overlayHelp {
		return // help covers the panes: the wheel must not move what it hides
	}
	if fr := m.topFrame(); fr != nil {
		fr.off += 3 * delta
		return
	}
	if m.overlay == overlayLearn {
		m.learnOff += delta
		return
	}
	if m.flows.open {
		m.moveFlow(delta)
		return
	}
	l := m.layout()
	prev := m.focus
	if l.left.contains(ms.X, ms.Y) {
		m.focus = paneChecks
	} else if l.right.contains(ms.X, ms.Y) {
		m.focus = paneFindings
	}
	m.move(delta)
	m.focus = prev
}
