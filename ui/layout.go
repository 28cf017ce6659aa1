package ui

// rect is a region of the screen, in cells.
type rect struct{ x, y, w, h int }

func (r rect) contains(x, y int) bool { return x >= r.x && x < r.x+r.w && y >= r.y && y < r.y+r.h }

// layout is where everything goes for the current size. View draws by it and mouse clicks are
// hit-tested against it, so the two always agree.
type layout struct {
	headerH, bannerH, footerH int
	lessonH                   int  // the workshop's lesson pane, when there is one
	body                      rect // the panes' area
	left, right               rect // the two panes, borders included
	pad                       int  // columns of padding inside a pane's border
	listRows                  int  // checklist rows that fit
	listY                     int  // screen row of the first checklist row
	headRows                  int  // the detail pane's lines above the findings list
	findRows                  int  // findings rows shown
	findY                     int  // screen row of the first findings row
	detailRows                int  // lines left for the selected finding
}

// detailHead is the detail pane's fixed head: title, two lines of summary, a blank line and
// the findings label; fixed so that mouse rows do not move with the content.
const detailHead = 5

func (m Model) layout() layout {
	var l layout
	l.headerH = 1
	if m.opts.Presenter {
		l.headerH = 2
	}
	if m.banner() != "" {
		l.bannerH = 1
	}
	l.footerH = 1
	if (m.filtering || m.query != "") && !m.flows.open { // the Flows pane has a filter of its own
		l.footerH = 2
	}
	l.pad = 1
	if m.opts.Presenter {
		l.pad = 2
	}
	l.lessonH = m.lessonHeight()
	top := l.headerH + l.bannerH + l.lessonH
	l.body = rect{0, top, m.width, max(3, m.height-top-l.footerH)}
	lw := m.width * 36 / 100
	switch {
	case m.width < 64:
		lw = m.width / 2
	case lw < 30:
		lw = 30
	case lw > 52:
		lw = 52
	}
	l.left = rect{0, l.body.y, lw, l.body.h}
	l.right = rect{lw, l.body.y, m.width - lw, l.body.h}
	inner := l.body.h - 2
	l.listRows = max(1, inner-1) // the last line is the status count
	l.listY = l.body.y + 1
	l.headRows = detailHead
	n := len(m.visFind)
	avail := inner - l.headRows
	l.findRows = min(max(n, 1), max(3, avail/2))
	if avail < 4 {
		l.findRows = max(1, avail-1)
	}
	l.findY = l.body.y + 1 + l.headRows
	l.detailRows = max(0, inner-l.headRows-l.findRows-1) // a rule between list and detail
	return l
}

// innerWidth is a pane's text width inside its border and padding.
func (l layout) innerWidth(r rect) int { return max(1, r.w-2-2*l.pad) }
