package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/kockpit/kockpit/checks"
)

// Lesson is a workshop scenario as the cockpit teaches it: the story and goal on top, hints
// revealed one at a time, and the student's answer (a finding marked as the root cause) judged.
type Lesson struct {
	Title, Level string
	Minutes      int
	Story, Goal  string
	Hints        []string
	// Points is what solving is worth after n hints.
	Points func(hints int) int
	// Judge says whether a finding of a check is the root cause; it must not do I/O.
	Judge func(checkID string, f checks.Finding) Verdict
	// Fix is shown once solved: the commands that repair the cluster.
	Fix []string
	// Record keeps a solve (in the student's state directory); it runs in a command.
	Record func(hints int, took time.Duration, points int) error
}

// Verdict is the judgement of a marked finding, in the scenario's words.
type Verdict struct {
	Right, Decoy bool
	Text         string
}

// lessonState is what the student did so far.
type lessonState struct {
	hidden  bool
	hints   int       // revealed
	marking *marked   // a finding waiting for confirmation
	verdict *Verdict  // the last answer's judgement
	wrong   int       // wrong answers so far
	solved  time.Time // zero until solved
	took    time.Duration
	points  int
	saved   string // what recording the solve said
	note    string // how to answer, when the student pressed space on nothing
}

// marked is the finding the student pointed at.
type marked struct {
	check string
	f     checks.Finding
}

// lessonRecordedMsg reports whether the solve was written to the state file.
type lessonRecordedMsg struct{ err error }

// onLessonKey handles the lesson's keys before the main screen's; handled reports whether the
// key was the lesson's.
func (m *Model) onLessonKey(msg tea.KeyPressMsg) (cmd tea.Cmd, handled bool) {
	ls := m.lessonState
	if ls == nil || m.filtering || m.overlay != overlayNone || len(m.drill) > 0 || m.flows.open {
		return nil, false
	}
	k := msg.String()
	if key.Matches(msg, m.keys.Quit) {
		return nil, false // quitting is never a lesson's answer
	}
	if ls.marking != nil {
		switch k {
		case "y", "enter":
			return m.answer(), true
		case "n", "esc":
			ls.marking = nil
			return nil, true
		}
		return nil, true // the question waits for y or n
	}
	switch {
	case key.Matches(msg, m.keys.HideLesson):
		ls.hidden = !ls.hidden
		return nil, true
	case key.Matches(msg, m.keys.Hint):
		if ls.solved.IsZero() && ls.hints < len(m.opts.Lesson.Hints) {
			ls.hints++
			ls.hidden = false
		}
		return nil, true
	case key.Matches(msg, m.keys.Mark):
		if !ls.solved.IsZero() {
			return nil, true
		}
		if m.triageShown() {
			ls.note = fmt.Sprintf("Press %s for the checklist, select the finding you blame there (%s to the findings, ↑/↓), then %s.",
				m.keys.Triage.Help().Key, m.keys.Pane.Help().Key, m.keys.Mark.Help().Key)
			return nil, true
		}
		f := m.selectedFinding()
		c, _, ok := m.selectedCheck()
		if f == nil || !ok {
			ls.note = fmt.Sprintf("Select a finding first (%s to the findings, ↑/↓), then press %s to mark it as the root cause.",
				m.keys.Pane.Help().Key, m.keys.Mark.Help().Key)
			return nil, true
		}
		ls.marking, ls.note = &marked{check: c.ID, f: *f}, ""
		ls.hidden = false
		return nil, true
	}
	return nil, false
}

// answer judges the marked finding; a right answer is recorded in a command.
func (m *Model) answer() tea.Cmd {
	ls, l := m.lessonState, m.opts.Lesson
	mk := ls.marking
	ls.marking = nil
	v := l.Judge(mk.check, mk.f)
	ls.verdict = &v
	if !v.Right {
		ls.wrong++
		return nil
	}
	ls.solved = m.now()
	ls.took = ls.solved.Sub(m.lessonStart)
	ls.points = l.Points(ls.hints)
	if l.Record == nil {
		return nil
	}
	hints, took, points, record := ls.hints, ls.took, ls.points, l.Record
	return func() tea.Msg { return lessonRecordedMsg{err: record(hints, took, points)} }
}

func (m *Model) onLessonRecorded(msg lessonRecordedMsg) {
	if m.lessonState == nil {
		return
	}
	if msg.err != nil {
		m.lessonState.saved = "not recorded: " + m.text.prepare(msg.err.Error())
		return
	}
	m.lessonState.saved = "recorded"
}

// lessonHeight is how many rows the lesson pane takes, borders included: none when hidden.
func (m Model) lessonHeight() int {
	if m.lessonState == nil {
		return 0
	}
	if m.lessonState.hidden {
		return 1
	}
	lines := len(m.lessonLines(m.width - 4))
	return min(lines+2, max(4, m.height/3))
}

// renderLesson draws the lesson pane (or, hidden, one line saying how to show it).
func (m Model) renderLesson() string {
	st := m.styles
	l := m.opts.Lesson
	if m.lessonState.hidden {
		return fit(st.Muted.Render("lesson hidden · "+m.keys.HideLesson.Help().Key+" shows it · "+m.lessonText(l.Goal)), m.width, st.Text)
	}
	h := m.lessonHeight()
	title := []string{fmt.Sprintf("lesson · %s · %s · ~%d min", l.Title, l.Level, l.Minutes)}
	lines := m.lessonLines(m.width - 4)
	if len(lines) > h-2 {
		// The answer and the keys matter most: keep the end, drop story lines from the top.
		lines = lines[len(lines)-(h-2):]
	}
	return m.box(title, lines, rect{0, 0, m.width, h}, 1, m.lessonState.marking != nil)
}

// lessonText makes scenario text (a teacher's file) terminal-safe and one line.
func (m Model) lessonText(s string) string {
	return m.text.prepare(strings.Join(strings.Fields(s), " "))
}

// lessonLines are the pane's lines at width: story, goal, hints revealed, the question or
// the verdict, and the lesson's keys.
func (m Model) lessonLines(width int) []string {
	st := m.styles
	l, ls := m.opts.Lesson, m.lessonState
	var out []string
	add := func(style func(...string) string, s string) {
		for _, line := range wrap(s, width) {
			out = append(out, style(line))
		}
	}
	add(st.Text.Render, m.lessonText(l.Story))
	add(st.Title.Render, "Goal: "+m.lessonText(l.Goal))
	for i := 0; i < ls.hints; i++ {
		add(st.status(checks.StatusWarn).Render, fmt.Sprintf("Hint %d: %s", i+1, m.lessonText(l.Hints[i])))
	}
	switch {
	case ls.marking != nil:
		what := m.lessonText(ls.marking.f.Message)
		add(st.Key.Render, fmt.Sprintf("Mark %s's finding as the root cause? %q  y: yes · n: no", ls.marking.check, what))
	case !ls.solved.IsZero():
		add(st.status(checks.StatusOK).Render, fmt.Sprintf("✔ Solved in %s with %d hint(s): %d points. %s", formatDuration(ls.took), ls.hints, ls.points, ls.saved))
		add(st.Text.Render, m.lessonText(ls.verdict.Text))
		for _, c := range l.Fix {
			add(st.Command.Render, "$ "+m.text.prepare(c))
		}
	case ls.note != "":
		add(st.Key.Render, ls.note)
	case ls.verdict != nil:
		add(st.status(checks.StatusFail).Render, fmt.Sprintf("✖ Not the root cause (%d wrong so far). %s", ls.wrong, m.lessonText(ls.verdict.Text)))
	}
	if ls.marking != nil {
		return out // the question's own keys are on its line
	}
	keys := []string{}
	if ls.solved.IsZero() {
		if ls.hints < len(l.Hints) {
			cost := hintCost(l)
			keys = append(keys, fmt.Sprintf("%s: hint %d of %d (−%d points)", m.keys.Hint.Help().Key, ls.hints+1, len(l.Hints), cost))
		}
		keys = append(keys, helpLine(m.keys.Mark))
	}
	keys = append(keys, helpLine(m.keys.HideLesson), m.keys.Learn.Help().Key+": learn the check")
	add(st.Muted.Render, strings.Join(keys, " · "))
	return out
}

// hintCost is what the next hint costs: the points it takes away.
func hintCost(l *Lesson) int {
	if l.Points == nil {
		return 0
	}
	return l.Points(0) - l.Points(1)
}

// helpLine is a binding as the lesson pane lists it: "h: hint".
func helpLine(b key.Binding) string { return b.Help().Key + ": " + b.Help().Desc }
