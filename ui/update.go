package ui

import (
	"fmt"
	"sort"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/safetext"
)

// noticeFor is how long a notice ("copied", "theme: light") stays in the hint bar.
const noticeFor = 3 * time.Second

// Update handles one message. It changes the model and returns commands; it never waits.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case tea.BackgroundColorMsg:
		m.isDark = msg.IsDark()
		m.restyle()
	case runStartedMsg:
		cmd = m.onRunStarted(msg)
	case resultMsg:
		cmd = m.onResult(msg)
	case runDoneMsg:
		cmd = m.onRunDone(msg.run)
	case serverInfoMsg:
		// An older run's answer must not overwrite a newer one's (the server may have been
		// upgraded or replaced in between, which is what a re-run is for).
		if msg.version != "" && msg.run >= m.versionRun {
			m.serverVersion, m.versionRun = msg.version, msg.run
		}
	case objectMsg:
		m.onObject(msg)
	case excerptMsg:
		m.onExcerpt(msg)
	case cardMsg:
		m.onCard(msg)
	case flowsStartedMsg:
		cmd = m.onFlowsStarted(msg)
	case flowBatchMsg:
		cmd = m.onFlowBatch(msg)
	case spinner.TickMsg:
		if !m.busy() {
			m.ticking = false
			return m, nil
		}
		m.spinner, cmd = m.spinner.Update(msg)
	case noticeExpiredMsg:
		if msg.id == m.noticeID {
			m.notice = ""
		}
	case lessonRecordedMsg:
		m.onLessonRecorded(msg)
	case tea.KeyPressMsg:
		if c, handled := m.onLessonKey(msg); handled {
			cmd = c
			break
		}
		cmd = m.onKey(msg)
	case tea.MouseClickMsg:
		m.onClick(msg.Mouse())
	case tea.MouseWheelMsg:
		m.onWheel(msg.Mouse())
	default:
		if m.filtering {
			m.filter, cmd = m.filter.Update(msg)
		} else if m.flows.typing {
			m.flows.input, cmd = m.flows.input.Update(msg)
		}
	}
	m.settle()
	return m, cmd
}

func (m *Model) onRunStarted(msg runStartedMsg) tea.Cmd {
	if !m.awaits(msg.run) {
		return cancelling(msg.cancel) // superseded before it started
	}
	m.runs[msg.run] = run{env: msg.env, cancel: msg.cancel, results: msg.results}
	cmds := []tea.Cmd{waitResult(msg.run, msg.results)}
	if msg.env != nil && msg.env.Snapshot != nil && !msg.env.Snapshot.Live() && m.serverVersion == "" {
		cmds = append(cmds, fetchServerVersion(m.opts.Context, msg.run, msg.env, m.opts.RequestTimeout))
	}
	return tea.Batch(cmds...)
}

// awaits reports whether some check still waits for this run's result.
func (m Model) awaits(run int) bool {
	for _, r := range m.pending {
		if r == run {
			return true
		}
	}
	return false
}

func (m *Model) onResult(msg resultMsg) tea.Cmd {
	r, known := m.runs[msg.run]
	if !known {
		return nil // a cancelled run: stop listening to it
	}
	id := msg.res.CheckID
	if m.pending[id] != msg.run {
		// Stale: this check was re-run since; its newer result is the one that counts.
		return m.rearm(msg.run)
	}
	res := msg.res
	delete(m.pending, id)
	m.results[id] = &res
	m.resultOf[id] = msg.run
	m.order[id] = causesFirst(res.Findings)
	m.followGravest(id)
	if id == m.selID {
		m.visKey = visKey{} // the findings changed
	}
	if !m.running() {
		m.finished = m.now()
		m.retriage()
	}
	cmds := []tea.Cmd{m.rearm(msg.run)}
	m.pruneRuns()
	// What a result means beyond its findings is typed: the check says it probes reachability,
	// the result carries the identity. No check is known here by its ID.
	if i, ok := m.byID[id]; ok && m.list[i].Reachability {
		m.unreachable = ""
		switch res.Status {
		case checks.StatusOK, checks.StatusWarn:
			cmds = append(cmds, fetchServerVersion(m.opts.Context, msg.run, r.env, m.opts.RequestTimeout))
		case checks.StatusFail, checks.StatusError:
			m.unreachable = res.Summary
		}
	}
	if res.Identity != nil && res.Identity.User != "" {
		m.user = res.Identity.User
	}
	return tea.Batch(cmds...)
}

// rearm keeps listening to a run while it is known.
func (m *Model) rearm(id int) tea.Cmd {
	r, ok := m.runs[id]
	if !ok || r.results == nil {
		return nil
	}
	return waitResult(id, r.results)
}

func (m *Model) onRunDone(id int) tea.Cmd {
	r, ok := m.runs[id]
	if !ok {
		return nil
	}
	// A run that closed its stream has reported every check; a check still waiting for it
	// would wait forever, so say so rather than spin.
	for cid, rid := range m.pending {
		if rid == id {
			delete(m.pending, cid)
			res := checks.Errored("the run ended without a result for this check")
			res.CheckID = cid
			m.results[cid] = &res
		}
	}
	if !m.running() && m.finished.IsZero() {
		m.finished = m.now()
		m.retriage()
	}
	r.results = nil
	m.runs[id] = r
	m.pruneRuns()
	return nil
}

// pruneRuns forgets the runs nothing refers to any more: no check waits for them and no shown
// result came from them. A run's snapshot can hold a big cluster's objects; re-running all
// must not keep the old ones alive.
func (m *Model) pruneRuns() {
	for id, r := range m.runs {
		if r.results != nil || m.awaits(id) {
			continue
		}
		used := false
		for _, rid := range m.resultOf {
			if rid == id {
				used = true
				break
			}
		}
		if !used {
			delete(m.runs, id)
		}
	}
}

// causesFirst orders findings for display: causes first (they explain the rest), then the
// others, each group in the check's own order.
func causesFirst(fs []checks.Finding) []int {
	idx := make([]int, len(fs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return fs[idx[a]].Cause && !fs[idx[b]].Cause })
	return idx
}

// onKey handles a key press: the filter input first when it is open, then overlays, the
// drill-in, and the main screen.
func (m *Model) onKey(msg tea.KeyPressMsg) tea.Cmd {
	if m.filtering {
		return m.onFilterKey(msg)
	}
	if m.flows.open && m.flows.typing && len(m.drill) == 0 && m.overlay == overlayNone {
		return m.onFlowsFilterKey(msg)
	}
	k := m.keys
	switch {
	case key.Matches(msg, k.Quit):
		return m.quit()
	case key.Matches(msg, k.Help):
		if m.overlay == overlayHelp {
			m.overlay = overlayNone
		} else {
			m.overlay = overlayHelp
		}
		return nil
	case key.Matches(msg, k.Theme):
		return m.nextTheme()
	}
	switch m.overlay {
	case overlayHelp:
		if key.Matches(msg, k.Back) {
			m.overlay = overlayNone
		}
		return nil
	case overlayLearn:
		return m.onLearnKey(msg)
	}
	if len(m.drill) > 0 {
		return m.onDrillKey(msg)
	}
	if m.flows.open {
		return m.onFlowsKey(msg)
	}
	if m.triageShown() {
		return m.onTriageKey(msg)
	}
	return m.onMainKey(msg)
}

func (m *Model) quit() tea.Cmd {
	cmds := []tea.Cmd{m.stopFlows()}
	for _, r := range m.runs {
		cmds = append(cmds, cancelling(r.cancel))
	}
	return tea.Sequence(tea.Batch(cmds...), tea.Quit)
}

func (m *Model) onMainKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	switch {
	case key.Matches(msg, k.Up):
		m.move(-1)
	case key.Matches(msg, k.Down):
		m.move(1)
	case key.Matches(msg, k.PageUp):
		m.move(-m.pageSize())
	case key.Matches(msg, k.PageDown):
		m.move(m.pageSize())
	case key.Matches(msg, k.Top):
		m.move(-1 << 30)
	case key.Matches(msg, k.Bottom):
		m.move(1 << 30)
	case key.Matches(msg, k.Pane, k.ChainBack):
		if m.focus == paneChecks {
			m.focus = paneFindings
		} else {
			m.focus = paneChecks
		}
	case key.Matches(msg, k.Open):
		if m.focus == paneChecks {
			m.focus = paneFindings
			return nil
		}
		return m.openFinding()
	case key.Matches(msg, k.Back):
		switch {
		case m.focus == paneFindings:
			m.focus = paneChecks
		case m.query != "":
			m.setQuery("")
			m.filter.SetValue("")
		}
	case key.Matches(msg, k.Filter):
		m.filtering = true
		return m.filter.Focus()
	case key.Matches(msg, k.RerunAll):
		return m.rerunAll()
	case key.Matches(msg, k.Rerun):
		if i, ok := m.byID[m.selID]; ok {
			return m.startChecks([]checks.Check{m.list[i]})
		}
	case key.Matches(msg, k.Learn):
		if _, ok := m.byID[m.selID]; ok {
			m.overlay, m.learnOff = overlayLearn, 0
		}
	case key.Matches(msg, k.Copy):
		return m.copyCommand(m.selectedFinding())
	case key.Matches(msg, k.Flows):
		return m.toggleFlows()
	case key.Matches(msg, k.Triage):
		m.toggleTriage()
	}
	return nil
}

// rerunAll starts a new run of every check. Runs still going are cancelled and their late
// results dropped: each check now waits for the new run only.
func (m *Model) rerunAll() tea.Cmd {
	var cmds []tea.Cmd
	for id, r := range m.runs {
		if r.results != nil {
			cmds = append(cmds, cancelling(r.cancel))
			r.results = nil
			m.runs[id] = r
		}
	}
	cmds = append(cmds, m.startChecks(m.list))
	return tea.Batch(cmds...)
}

// move moves the selection of the focused pane by delta rows.
func (m *Model) move(delta int) {
	m.chose = true
	if m.focus == paneFindings {
		m.findSel = clamp(m.findSel+delta, 0, len(m.visFind)-1)
		return
	}
	ids := m.visibleChecks()
	if len(ids) == 0 {
		return
	}
	i := indexOf(ids, m.selID)
	i = clamp(i+delta, 0, len(ids)-1)
	m.selectCheck(ids[i])
}

// gravity ranks results for the first look: a Fail before an Error (the check could not look)
// before a Warn.
func gravity(r *checks.Result) int {
	if r == nil {
		return -1
	}
	switch r.Status {
	case checks.StatusFail:
		return 4
	case checks.StatusError:
		return 3
	case checks.StatusWarn:
		return 2
	case checks.StatusOK:
		return 1
	}
	return 0
}

// followGravest moves the selection to a check that just reported, when the guest has not
// chosen one yet and it is graver than the selected one (or as grave and listed earlier).
func (m *Model) followGravest(id string) {
	// Reading a finding or its object counts as choosing: the check must not change under them.
	if m.chose || id == m.selID || m.overlay != overlayNone || m.focus != paneChecks || len(m.drill) > 0 {
		return
	}
	got, cur := gravity(m.results[id]), gravity(m.results[m.selID])
	if got < 2 || got < cur {
		return
	}
	if got == cur {
		ids := m.visibleChecks()
		if i, j := indexOf(ids, id), indexOf(ids, m.selID); i < 0 || (j >= 0 && i > j) {
			return
		}
	}
	m.selectCheck(id)
}

func (m *Model) selectCheck(id string) {
	if id == m.selID {
		return
	}
	m.selID = id
	m.findSel, m.findOff = 0, 0
	m.visKey = visKey{}
}

func (m Model) pageSize() int {
	l := m.layout()
	if m.focus == paneFindings {
		return max(1, l.findRows-1)
	}
	return max(1, l.listRows-1)
}

// copyCommand copies f's first command: the selected finding's, or the drill-in's own (the
// selection may have changed under it since, with a re-run).
func (m *Model) copyCommand(f *checks.Finding) tea.Cmd {
	if f == nil || len(f.Commands) == 0 {
		return m.flash("no kubectl command for this finding")
	}
	// A command holding a control, bidi or invisible character is not copied: pasted, it would
	// run other than what the screen shows (the screen draws it made visible), so the notice
	// says which character instead. Its credentials were redacted as the runner emitted the
	// result, so the clipboard gets the same command the screen shows, with the real addresses
	// (a masked one would make the command useless); the notice on screen keeps them masked.
	text := f.Commands[0].String()
	if hidden := safetext.Hidden(text); len(hidden) > 0 {
		return m.flash(notCopied(hidden))
	}
	return tea.Batch(tea.SetClipboard(text), m.flash("copied: "+m.text.clean(text)))
}

// notCopied says why a command was not copied, naming its first hidden character by code point:
// "not copied: the command holds U+202E RIGHT-TO-LEFT OVERRIDE (bidi control)".
func notCopied(hidden []safetext.Char) string {
	if len(hidden) == 1 {
		return "not copied: the command holds " + hidden[0].String()
	}
	return fmt.Sprintf("not copied: the command holds %d hidden characters, first %s", len(hidden), hidden[0])
}

// flash shows a notice in the hint bar for a few seconds.
func (m *Model) flash(s string) tea.Cmd {
	m.noticeID++
	m.notice = s
	return expireNotice(m.noticeID, noticeFor)
}

func (m *Model) nextTheme() tea.Cmd {
	m.themeIdx = (m.themeIdx + 1) % len(m.themeList)
	m.restyle()
	return m.flash("theme: " + m.themeList[m.themeIdx].Name)
}

func (m *Model) onLearnKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	switch {
	case key.Matches(msg, k.Back), key.Matches(msg, k.Learn):
		m.overlay = overlayNone
	case key.Matches(msg, k.Up):
		m.learnOff--
	case key.Matches(msg, k.Down):
		m.learnOff++
	case key.Matches(msg, k.PageUp):
		m.learnOff -= m.pageSize()
	case key.Matches(msg, k.PageDown):
		m.learnOff += m.pageSize()
	}
	return nil
}

func clamp(v, lo, hi int) int {
	if hi < lo {
		return lo
	}
	return max(lo, min(v, hi))
}

func indexOf(ids []string, id string) int {
	for i, v := range ids {
		if v == id {
			return i
		}
	}
	return 0
}
