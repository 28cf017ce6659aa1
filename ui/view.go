package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/kockpit/kockpit/checks"
)

// settle brings derived state in line after every message: the visible checks and findings,
// the selection (kept by ID across filtering, re-runs and resizes) and the scroll offsets.
func (m *Model) settle() {
	m.visIDs = m.visibleChecks()
	if len(m.visIDs) > 0 && !containsID(m.visIDs, m.selID) {
		m.selectCheck(m.visIDs[0])
	}
	m.computeVisibleFindings()
	l := m.layout()
	m.settleList(m.checklistRows(), l.listRows)
	m.settleFindings(l.findRows)
	if m.overlay == overlayLearn {
		lines := m.learnLines(l.innerWidth(l.right))
		m.learnOff = clamp(m.learnOff, 0, max(0, len(lines)-(l.body.h-2)))
	}
	m.settleDrill(l.innerWidth(l.body), l.body.h-2)
	m.settleFlows(l.body.h - 2 - flowPaneChrome)
}

func containsID(ids []string, id string) bool {
	for _, v := range ids {
		if v == id {
			return true
		}
	}
	return false
}

// View draws the whole screen. Only the root model returns a tea.View.
func (m Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "kockpit"
	if m.opts.Source.Context != "" {
		v.WindowTitle = "kockpit · " + plainTitle(m.text.clean(m.opts.Source.Context))
	}
	return v
}

// plainTitle keeps a window title printable: no control characters reach the terminal's title.
func plainTitle(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return -1
		}
		return r
	}, s)
}

// render is the screen as a string, exactly width × height cells.
func (m Model) render() string {
	l := m.layout()
	var parts []string
	parts = append(parts, m.renderHeader(m.width))
	if m.opts.Presenter {
		parts = append(parts, strings.Repeat(" ", m.width))
	}
	if b := m.banner(); b != "" {
		parts = append(parts, m.renderBanner(b))
	}
	if m.lessonState != nil {
		parts = append(parts, m.renderLesson())
	}
	parts = append(parts, m.renderBody(l))
	if l.footerH == 2 {
		parts = append(parts, m.renderFilter(m.width))
	}
	parts = append(parts, m.renderHints(m.width))
	return strings.Join(parts, "\n")
}

func (m Model) renderBody(l layout) string {
	switch {
	case m.overlay == overlayHelp:
		return m.box([]string{"keys"}, m.helpLines(l.innerWidth(l.body), l.body.h-2), l.body, l.pad, true)
	case len(m.drill) > 0:
		fr := m.topFrame()
		return m.box(m.breadcrumbs(), m.renderDrill(fr, l.innerWidth(l.body), l.body.h-2), l.body, l.pad, true)
	case m.flows.open:
		return m.renderFlows(l)
	case m.triageShown():
		return m.box([]string{"causes"}, m.triageLines(l.innerWidth(l.body), l.body.h-2), l.body, l.pad, true)
	}
	left := m.box([]string{"checks"}, m.renderChecklist(l, l.innerWidth(l.left)), l.left, l.pad, m.focus == paneChecks && m.overlay == overlayNone)
	var right string
	if m.overlay == overlayLearn {
		c, _, _ := m.selectedCheck()
		right = m.box([]string{"learn · " + c.ID}, m.renderLearn(l), l.right, l.pad, true)
	} else {
		right = m.box([]string{"detail"}, m.renderDetail(l, l.innerWidth(l.right)), l.right, l.pad, m.focus == paneFindings)
	}
	return joinColumns(left, right)
}

// joinColumns sets two boxes of the same height side by side; cheaper than
// lipgloss.JoinHorizontal, which measures every line again.
func joinColumns(left, right string) string {
	l, r := strings.Split(left, "\n"), strings.Split(right, "\n")
	var b strings.Builder
	for i := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l[i])
		if i < len(r) {
			b.WriteString(r[i])
		}
	}
	return b.String()
}

// crumbSep separates the drill-in's breadcrumbs. It is ours, so it joins the crumbs after each
// went through safe, which would flag it as a look-alike of ">".
const crumbSep = " › "

// box draws a pane: a rounded border with the title (breadcrumbs, joined by crumbSep) set in
// its top edge, and the lines inside, each cut or padded to the pane's width.
func (m Model) box(title []string, lines []string, r rect, pad int, focused bool) string {
	st := m.styles
	bc, titleStyle := st.Border, st.PaneTitle
	if focused {
		bc, titleStyle = st.BorderFocused, st.Title
	}
	inner := r.w - 2
	if inner < 1 || r.h < 2 {
		return ""
	}
	t := ""
	if len(title) > 0 {
		// A title can carry cluster text (the drill-in's breadcrumbs name objects): safe.
		parts := make([]string, len(title))
		for i, c := range title {
			if i == 0 {
				c = " " + c
			}
			if i == len(title)-1 {
				c += " "
			}
			parts[i] = safe(c, m.text, titleStyle, st.Suspicious)
		}
		t = strings.Join(parts, titleStyle.Render(crumbSep))
		if cellWidth(t) > inner-2 {
			t = fit(t, max(0, inner-2), titleStyle)
		}
	}
	topFill := inner - 1 - cellWidth(t)
	var b strings.Builder
	b.WriteString(bc.Render("╭─") + t + bc.Render(strings.Repeat("─", max(0, topFill))+"╮"))
	padS := strings.Repeat(" ", pad)
	w := inner - 2*pad
	for i := 0; i < r.h-2; i++ {
		line := ""
		if i < len(lines) {
			line = lines[i]
		}
		b.WriteString("\n" + bc.Render("│") + padS + fit(line, w, lipgloss.NewStyle()) + padS + bc.Render("│"))
	}
	b.WriteString("\n" + bc.Render("╰"+strings.Repeat("─", inner)+"╯"))
	return b.String()
}

// renderHeader is the top line: where kockpit looks, and the run's progress.
func (m Model) renderHeader(width int) string {
	st := m.styles
	src := m.opts.Source
	sep := st.Muted.Render(" · ")
	parts := []string{st.Title.Render("⎈ kockpit")}
	add := func(label, value string) {
		if value == "" {
			return
		}
		s := ""
		if label != "" {
			s = st.Muted.Render(label + " ")
		}
		parts = append(parts, s+safe(value, m.text, st.Text, st.Suspicious))
	}
	switch src.Kind {
	case checks.SourceFiles:
		add("snapshot", src.Path)
		if src.TakenAt != nil {
			add("as of", src.TakenAt.UTC().Format("2006-01-02 15:04 MST"))
		}
	case checks.SourceHost:
		add("node files under", src.Path)
	case checks.SourceNone:
		parts = append(parts, st.Muted.Render("no cluster"))
	default:
		add("", src.Context)
		add("", src.Server)
	}
	add("", m.serverVersion)
	add("as", m.user)
	left := strings.Join(parts, sep)
	right := m.runState()
	gap := width - cellWidth(left) - cellWidth(right)
	if gap < 2 {
		left = fit(left, max(0, width-cellWidth(right)-2), st.Text)
		gap = 2
	}
	return fit(left+strings.Repeat(" ", gap)+right, width, st.Text)
}

// runState is "⠋ 7 of 12 checks · 1.4s" while running, "12 of 12 checks · 2.1s" when done;
// presenter mode leaves out the ticking clock.
func (m Model) runState() string {
	st := m.styles
	total := len(m.list)
	done := total - len(m.pending)
	s := fmt.Sprintf("%d of %d checks", done, total)
	if !m.opts.Presenter && !m.started.IsZero() {
		end := m.finished
		if m.running() || end.IsZero() {
			end = m.now()
		}
		s += " · " + formatDuration(end.Sub(m.started))
	}
	if m.running() {
		return st.Spinner.Render(spinnerFrame(m)) + " " + st.Text.Render(s)
	}
	return st.Muted.Render(s)
}

// banner says when the picture is partial: the API server is unreachable, or the data is an
// offline snapshot, or there is no cluster at all.
func (m Model) banner() string {
	switch {
	case m.unreachable != "":
		return "✖ API server unreachable: " + m.unreachable
	case m.opts.Source.Kind == checks.SourceFiles:
		return "offline snapshot: " + m.opts.Source.Path + " · nothing here is live · checks that need an API server are skipped"
	case m.opts.Source.Kind == checks.SourceNone:
		return "no cluster: no kubeconfig found · only checks that need none ran"
	}
	return ""
}

func (m Model) renderBanner(text string) string {
	st := m.styles
	style := st.Banner
	if m.unreachable == "" {
		style = st.Selected
	}
	return fit(safe(" "+text, m.text, style, st.Suspicious.Inherit(style)), m.width, style)
}

// renderFilter is the filter's line: the input while typing, the query otherwise.
func (m Model) renderFilter(width int) string {
	st := m.styles
	count := plural(len(m.visIDs), "check")
	if m.query != "" && len(m.visFind) > 0 {
		count += ", " + plural(len(m.visFind), "finding") + " here"
	}
	if m.filtering {
		return fit(m.filter.View()+"  "+st.Muted.Render(count+" · enter keeps, esc clears"), width, st.Text)
	}
	return fit(st.Key.Render("/ ")+safe(m.filter.Value(), m.text, st.Text, st.Suspicious)+"  "+st.Muted.Render(count+" · esc clears"), width, st.Text)
}

// renderHints is the always-visible key line, generated from the keymap for what the keys do
// on this screen; a notice ("copied") takes its place for a moment.
func (m Model) renderHints(width int) string {
	st := m.styles
	if m.notice != "" {
		return fit(st.Notice.Render(" "+plainTitle(m.notice)), width, st.Text)
	}
	bindings := m.contextKeys().ShortHelp()
	var enabled []key.Binding
	for _, b := range bindings {
		if b.Enabled() {
			enabled = append(enabled, b)
		}
	}
	// Drop the least useful from the end until it fits, always keeping help and quit.
	for len(enabled) > 2 {
		h := m.help
		h.SetWidth(0)
		if cellWidth(" "+h.ShortHelpView(enabled)) <= width {
			break
		}
		enabled = append(enabled[:len(enabled)-3], enabled[len(enabled)-2:]...)
	}
	return fit(" "+m.help.ShortHelpView(enabled), width, st.Text)
}

// contextKeys is the keymap with the bindings that do nothing on this screen disabled, so
// the hint bar only offers what works.
func (m Model) contextKeys() KeyMap {
	k := m.keys
	off := func(bs ...*key.Binding) {
		for _, b := range bs {
			b.SetEnabled(false)
		}
	}
	if !m.flows.open || len(m.drill) > 0 || m.overlay != overlayNone || m.filtering {
		off(&k.Pause)
	}
	if m.opts.Flows == nil || len(m.drill) > 0 || m.overlay != overlayNone || m.filtering {
		off(&k.Flows)
	}
	switch {
	case m.flows.open && len(m.drill) == 0 && m.overlay == overlayNone && !m.filtering:
		return m.flowsKeys(k)
	case m.filtering:
		// Typing: letters go to the filter; only these keys act (onFilterKey).
		off(&k.Pane, &k.ChainBack, &k.Filter, &k.RerunAll, &k.Learn, &k.Copy, &k.Theme, &k.Help)
		k.Up.SetHelp(m.filterKeyName(k.Up, "up", "↑"), k.Up.Help().Desc)
		k.Down.SetHelp(m.filterKeyName(k.Down, "down", "↓"), k.Down.Help().Desc)
		k.Open.SetHelp(m.filterKeyName(k.Open, "enter", "enter"), "keep filter")
		k.Back.SetHelp(m.filterKeyName(k.Back, "esc", "esc"), "clear filter")
		k.Quit.SetHelp(m.filterKeyName(k.Quit, "ctrl+c", "ctrl+c"), k.Quit.Help().Desc)
	case m.overlay == overlayHelp:
		off(&k.Up, &k.Down, &k.Pane, &k.ChainBack, &k.Open, &k.Filter, &k.RerunAll, &k.Learn, &k.Copy, &k.Triage)
	case m.overlay == overlayLearn:
		off(&k.Pane, &k.ChainBack, &k.Open, &k.Filter, &k.RerunAll, &k.Copy, &k.Triage)
	case len(m.drill) > 0:
		fr := m.topFrame()
		off(&k.Filter, &k.Learn, &k.ChainBack, &k.Triage)
		if fr.detail == nil || len(fr.detail.Related) == 0 {
			off(&k.Pane, &k.Open)
		}
		k.Pane.SetHelp(k.Pane.Help().Key, "next related")
		k.Open.SetHelp(k.Open.Help().Key, "open related")
		if len(fr.chain) > 0 {
			k.Pane.SetEnabled(true)
			k.ChainBack.SetEnabled(true)
			k.Pane.SetHelp(k.Pane.Help().Key, "next in chain")
			k.ChainBack.SetHelp(k.ChainBack.Help().Key, "back in chain")
		}
		if fr.finding == nil || len(fr.finding.Commands) == 0 {
			off(&k.Copy)
		}
	case m.triageShown():
		off(&k.Pane, &k.ChainBack, &k.Filter, &k.Learn, &k.Copy)
		k.Triage.SetHelp(k.Triage.Help().Key, "checklist")
		k.Back.SetHelp(k.Back.Help().Key, "checklist")
		if len(m.tri.t.Causes) == 0 {
			off(&k.Open)
		}
	default:
		off(&k.ChainBack) // a synonym of tab here
		if m.tri.t == nil {
			off(&k.Triage)
		}
		if m.focus == paneChecks && m.query == "" {
			off(&k.Back)
		}
		if f := m.selectedFinding(); f == nil || len(f.Commands) == 0 {
			off(&k.Copy)
		}
	}
	return k
}

// helpLines is the help screen: every key from the keymap, then what the marks mean.
func (m Model) helpLines(width, rows int) []string {
	st := m.styles
	h := m.help
	h.SetWidth(width)
	out := []string{st.Title.Render("Keys"), ""}
	out = append(out, strings.Split(h.FullHelpView(m.keys.FullHelp()), "\n")...)
	if m.lessonState != nil {
		out = append(out, "", st.Title.Render("Lesson"), "")
		out = append(out, strings.Split(h.FullHelpView([][]key.Binding{{m.keys.Hint, m.keys.Mark, m.keys.HideLesson}}), "\n")...)
	}
	out = append(out, "", st.Title.Render("Marks"), "")
	for _, s := range []checks.Status{checks.StatusOK, checks.StatusWarn, checks.StatusFail, checks.StatusError, checks.StatusSkip} {
		out = append(out, st.status(s).Render(s.Mark())+" "+st.Text.Render(markMeaning[s]))
	}
	// A theme file's name is the host's text: safe.
	out = append(out, "", st.Muted.Render("Mouse: click selects, the wheel scrolls. Theme: ")+
		safe(m.Theme(), m.text, st.Muted, st.Suspicious)+st.Muted.Render(" (t for the next)."),
		st.Muted.Render("Strings from the cluster are shown safe: ␛ is an escape character, ⟨U+0441⟩ a look-alike."))
	return padLines(out, rows, width)
}

var markMeaning = map[checks.Status]string{
	checks.StatusOK:    "ok: looked, nothing wrong",
	checks.StatusWarn:  "warn: deserves a look",
	checks.StatusFail:  "fail: something is broken",
	checks.StatusError: "error: the check could not run",
	checks.StatusSkip:  "skipped: did not apply (offline, forbidden, not installed)",
}

// learnLines is the selected check's learn text, wrapped.
func (m Model) learnLines(width int) []string {
	c, _, ok := m.selectedCheck()
	if !ok {
		return nil
	}
	lines := []string{c.Title, ""}
	lines = append(lines, wrap(c.Learn, width)...)
	return lines
}

func (m Model) renderLearn(l layout) []string {
	st := m.styles
	width := l.innerWidth(l.right)
	lines := m.learnLines(width)
	rows := l.body.h - 2
	var out []string
	for i := m.learnOff; i < len(lines) && len(out) < rows; i++ {
		s := st.Text.Render(lines[i])
		if i == 0 {
			s = st.Title.Render(lines[i])
		}
		out = append(out, s)
	}
	return padLines(out, rows, width)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
