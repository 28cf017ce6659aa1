package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/themes"
)

// solve is what the lesson's Record was given.
type solve struct {
	calls, hints, points int
	took                 time.Duration
}

// fixtureLesson teaches the fixture results: the crash-looping scheduler is the root cause,
// etcd's tiny quota the decoy.
func fixtureLesson(rec *solve) *Lesson {
	return &Lesson{
		Title: "Nothing gets scheduled", Level: "beginner", Minutes: 10,
		Story:  "The pager says: new pods stay Pending and nobody knows why.",
		Goal:   "Find why no pod gets a node.",
		Hints:  []string{"Look at the control plane.", "Which control-plane pod restarts?"},
		Points: func(h int) int { return max(100-10*h, 10) },
		Judge: func(check string, f checks.Finding) Verdict {
			switch {
			case check == "api.control-plane" && f.Object != nil && f.Object.Name == "kube-scheduler-cp1":
				return Verdict{Right: true, Text: "The scheduler crash-loops: nothing assigns nodes."}
			case check == "api.control-plane" && f.Object != nil && f.Object.Name == "etcd-cp1":
				return Verdict{Decoy: true, Text: "A tiny etcd quota stops writes once full, but writes still work here."}
			}
			return Verdict{Text: "Real, but not why pods stay Pending."}
		},
		Fix: []string{"kubectl -n kube-system logs kube-scheduler-cp1 --previous"},
		Record: func(hints int, took time.Duration, points int) error {
			rec.calls++
			rec.hints, rec.took, rec.points = hints, took, points
			return nil
		},
	}
}

// TestLessonFlow: hints are revealed one at a time; space asks before judging; a decoy is
// told wrong in its own words; the cause is told right, with the fix, and recorded once with
// the hints used.
func TestLessonFlow(t *testing.T) {
	rec := &solve{}
	m, _ := newModel(t, 120, 50, func(o *Options) { o.Lesson = fixtureLesson(rec) })
	m = withResults(t, m)
	s := screen(m)
	for _, want := range []string{"lesson · Nothing gets scheduled · beginner · ~10 min", "new pods stay Pending", "Goal: Find why no pod gets a node.", "h: hint 1 of 2 (−10 points)"} {
		if !strings.Contains(s, want) {
			t.Errorf("first screen lacks %q:\n%s", want, s)
		}
	}
	m = keys(t, m, "h")
	if s := screen(m); !strings.Contains(s, "Hint 1: Look at the control plane.") || strings.Contains(s, "Hint 2") || !strings.Contains(s, "h: hint 2 of 2") {
		t.Errorf("after h:\n%s", s)
	}

	// The decoy: etcd's finding, second of api.control-plane's (causes first).
	m = keys(t, m, "j", "tab", "down", "space")
	if s := screen(m); !strings.Contains(s, "Mark api.control-plane's finding as the root cause?") || !strings.Contains(s, "quota-backend-bytes") {
		t.Fatalf("space did not ask about the etcd finding:\n%s", s)
	}
	m = keys(t, m, "n")
	if s := screen(m); strings.Contains(s, "as the root cause?") {
		t.Errorf("n did not cancel:\n%s", s)
	}
	m = keys(t, m, "space", "y")
	if s := screen(m); !strings.Contains(s, "✖ Not the root cause (1 wrong so far). A tiny etcd quota") {
		t.Errorf("the decoy was not told wrong:\n%s", s)
	}
	if rec.calls != 0 {
		t.Fatal("a wrong answer was recorded")
	}

	m = keys(t, m, "up", "space")
	m, cmd := updateCmd(t, m, keyMsg("y"))
	if s := screen(m); !strings.Contains(s, "✔ Solved in") || !strings.Contains(s, "with 1 hint(s): 90 points") ||
		!strings.Contains(s, "The scheduler crash-loops") || !strings.Contains(s, "$ kubectl -n kube-system logs kube-scheduler-cp1 --previous") {
		t.Fatalf("the cause was not told right:\n%s", s)
	}
	m = update(t, m, findMsg[lessonRecordedMsg](t, cmd))
	if rec.calls != 1 || rec.hints != 1 || rec.points != 90 {
		t.Errorf("recorded %+v", rec)
	}
	if !strings.Contains(screen(m), "recorded") {
		t.Errorf("the screen does not say the solve was recorded")
	}
	// Solved: space and h do nothing more; L hides the pane and says how to show it.
	m = keys(t, m, "space", "h")
	if rec.calls != 1 || strings.Contains(screen(m), "as the root cause?") {
		t.Error("a solved lesson asked again")
	}
	m = keys(t, m, "L")
	if s := screen(m); !strings.Contains(s, "lesson hidden · L shows it") || strings.Contains(s, "new pods stay Pending") {
		t.Errorf("L did not hide the lesson:\n%s", s)
	}
}

// TestLessonSpaceOnNothing: space with no finding selected says how to answer.
func TestLessonSpaceOnNothing(t *testing.T) {
	m, _ := newModel(t, 120, 50, func(o *Options) { o.Lesson = fixtureLesson(&solve{}) })
	m = keys(t, m, "space")
	if s := screen(m); !strings.Contains(s, "Select a finding first") {
		t.Errorf("no instruction:\n%s", s)
	}
}

// TestGoldenLesson: the lesson pane above the checklist, a hint revealed and a decoy marked.
func TestGoldenLesson(t *testing.T) {
	m, _ := newModel(t, 100, 36, func(o *Options) { o.Lesson = fixtureLesson(&solve{}); o.Theme = themes.Default() })
	m = keys(t, withResults(t, m), "h", "j", "tab", "down", "space", "y")
	golden.RequireEqual(t, ansi256(t, m.View().Content))
}

// TestLessonTextIsTerminalSafe: a teacher's scenario text with escape sequences is drawn
// visibly, never sent to the terminal.
func TestLessonTextIsTerminalSafe(t *testing.T) {
	l := fixtureLesson(&solve{})
	l.Story = "the pager says \x1b[2J\x1b[31mPWNED"
	m, _ := newModel(t, 120, 50, func(o *Options) { o.Lesson = l })
	if s := screen(m); !strings.Contains(s, "␛[2J␛[31mPWNED") {
		t.Errorf("the escape is not drawn visibly:\n%s", s)
	}
	if strings.Contains(m.View().Content, "\x1b[31mPWNED") {
		t.Error("the story's escape sequence reached the terminal")
	}
}

// TestLessonQuestionLetsQuit: q quits even while the lesson asks y or n.
func TestLessonQuestionLetsQuit(t *testing.T) {
	m, _ := newModel(t, 120, 50, func(o *Options) { o.Lesson = fixtureLesson(&solve{}) })
	m = keys(t, withResults(t, m), "j", "tab", "space")
	if !strings.Contains(screen(m), "as the root cause?") {
		t.Fatal("no question")
	}
	if _, cmd := updateCmd(t, m, keyMsg("q")); cmd == nil {
		t.Error("q while the lesson asks did not quit")
	}
}

// TestLessonKeysRebind: a theme file rebinds the lesson's keys like any other; the pane and
// the help name the new keys, the old ones no longer act; a lesson key may shadow paging but
// not a key the student needs to find a finding.
func TestLessonKeysRebind(t *testing.T) {
	f, err := themes.Parse("mine.yaml", []byte("keys:\n  hint: [H]\n  mark: [x]\n  hide-lesson: [z]\n"))
	if err != nil {
		t.Fatal(err)
	}
	km, err := DefaultKeyMap().Rebind(f.Keys)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := newModel(t, 120, 50, func(o *Options) { o.Lesson = fixtureLesson(&solve{}); o.Keys = km })
	m = withResults(t, m)
	if s := screen(m); !strings.Contains(s, "H: hint 1 of 2") || !strings.Contains(s, "x: mark the selected finding") || !strings.Contains(s, "z: hide") {
		t.Errorf("the pane does not name the rebound keys:\n%s", s)
	}
	m = keys(t, m, "h")
	if strings.Contains(screen(m), "Hint 1:") {
		t.Error("h still reveals a hint after hint was rebound to H")
	}
	m = keys(t, m, "H")
	if !strings.Contains(screen(m), "Hint 1: Look at the control plane.") {
		t.Error("H did not reveal the hint")
	}
	m = keys(t, m, "j", "tab", "x")
	if !strings.Contains(screen(m), "as the root cause?") {
		t.Errorf("x did not mark:\n%s", screen(m))
	}
	m = keys(t, m, "n", "?")
	if s := screen(m); !strings.Contains(s, "Lesson") || !strings.Contains(s, "H hint") {
		t.Errorf("the help does not list the lesson's keys:\n%s", s)
	}
	m = keys(t, m, "?", "z")
	if !strings.Contains(screen(m), "lesson hidden · z shows it") {
		t.Errorf("z did not hide the lesson:\n%s", screen(m))
	}

	for _, tc := range []struct{ file, want string }{
		{"keys:\n  mark: [tab]\n", `"tab" is bound to both pane and mark`},
		{"keys:\n  hint: [q]\n", `"q" is bound to both quit and hint`},
		{"keys:\n  hint: [x]\n  mark: [x]\n", `"x" is bound to both hint and mark`},
	} {
		bad, err := themes.Parse("mine.yaml", []byte(tc.file))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DefaultKeyMap().Rebind(bad.Keys); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %s", tc.file, err, tc.want)
		}
	}
	// Space pages down outside a lesson and marks in one: the default binding is valid.
	if _, err := DefaultKeyMap().Rebind(nil); err != nil {
		t.Errorf("the default keys share space between page-down and mark: %v", err)
	}
}
