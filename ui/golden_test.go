package ui

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/kube/hubble"
	"github.com/kockpit/kockpit/themes"
)

// Golden views: the main screens at fixed sizes, clock and colour profile (ANSI 256), in every
// built-in theme. `go test ./ui -run TestGolden -update` regenerates them; review the diff.

type screenCase struct {
	name          string
	width, height int
	prepare       func(t *testing.T, m Model) Model
}

var screens = []screenCase{
	{"first-frame-80x24", 80, 24, func(t *testing.T, m Model) Model { return m }},
	{"main-80x24", 80, 24, func(t *testing.T, m Model) Model { return keys(t, withResults(t, m), "j", "tab") }},
	{"main-120x40", 120, 40, func(t *testing.T, m Model) Model { return keys(t, withResults(t, m), "j", "tab") }},
	{"drill-80x24", 80, 24, func(t *testing.T, m Model) Model {
		m = keys(t, withResults(t, m), "j", "tab")
		m, cmd := updateCmd(t, m, keyMsg("enter"))
		return update(t, m, findMsg[objectMsg](t, cmd))
	}},
	{"triage-80x24", 80, 24, func(t *testing.T, m Model) Model { return withTriage(t, m) }},
	{"triage-drill-80x24", 80, 24, func(t *testing.T, m Model) Model {
		m, cmd := updateCmd(t, withTriage(t, m), keyMsg("enter"))
		return update(t, m, findMsg[objectMsg](t, cmd))
	}},
	{"help-80x24", 80, 24, func(t *testing.T, m Model) Model { return keys(t, withResults(t, m), "?") }},
	{"flows-80x24", 80, 24, flowsScreen},
}

// flowsScreen is the Flows pane on a replayed recording, a drop selected, a filter kept.
func flowsScreen(t *testing.T, m Model) Model {
	m.opts.Flows = fixtureFlowSource{}
	m = withResults(t, m)
	m, _ = openFlows(t, m)
	m = update(t, m, flowBatchMsg{stream: 1, lines: fixtureFlowLines(1)})
	m = update(t, m, flowBatchMsg{stream: 1, end: &flowEvent{end: true, cov: hubble.Coverage{Flows: 5,
		First: testClock.Add(time.Second), Last: testClock.Add(5 * time.Second)}}})
	return keys(t, m, "up")
}

func TestGolden(t *testing.T) {
	for _, th := range themes.Builtin() {
		for _, dark := range []bool{true, false} {
			if !dark && th.Name != themes.Auto {
				continue // the other themes are checked on a dark background; auto on both
			}
			name := th.Name
			if th.Name == themes.Auto {
				name += map[bool]string{true: "-dark", false: "-light"}[dark]
			}
			t.Run(name, func(t *testing.T) {
				for _, sc := range screens {
					t.Run(sc.name, func(t *testing.T) {
						m, _ := newModel(t, sc.width, sc.height, func(o *Options) { o.Theme = th })
						if !dark {
							m = update(t, m, tea.BackgroundColorMsg{Color: whiteColor{}})
						}
						m = sc.prepare(t, m)
						golden.RequireEqual(t, ansi256(t, m.View().Content))
					})
				}
			})
		}
	}
}

// ansi256 renders styled output as a 256-colour terminal receives it.
func ansi256(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := &colorprofile.Writer{Forward: &b, Profile: colorprofile.ANSI256}
	if _, err := w.WriteString(s); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestViewSize checks every screen fills the terminal exactly, at the sizes a guest may have.
func TestViewSize(t *testing.T) {
	presenter := func(o *Options) {
		o.Presenter = true
		o.Source = checks.Source{Kind: checks.SourceFiles, Path: "dump/"}
	}
	for _, size := range [][2]int{{80, 24}, {120, 40}, {100, 30}, {200, 60}, {60, 20}} {
		for _, sc := range screens {
			for _, mode := range []string{"", "-presenter"} {
				t.Run(fmt.Sprintf("%s-%dx%d%s", sc.name, size[0], size[1], mode), func(t *testing.T) {
					var opts []func(*Options)
					if mode != "" {
						opts = append(opts, presenter)
					}
					m, _ := newModel(t, size[0], size[1], opts...)
					m = sc.prepare(t, m)
					lines := strings.Split(screen(m), "\n")
					if len(lines) != size[1] {
						t.Errorf("%d lines, want %d", len(lines), size[1])
					}
					for i, l := range lines {
						if w := cellWidth(l); w != size[0] {
							t.Errorf("line %d is %d cells wide, want %d: %q", i, w, size[0], l)
						}
					}
				})
			}
		}
	}
}

// TestProgram runs the cockpit as a real Bubble Tea program (teatest): the first frame, the
// results streaming in through the re-armed command, and a clean quit.
func TestProgram(t *testing.T) {
	runs := &fakeRuns{}
	m := New(Options{Checks: fixtureChecks(), Start: runs.start, Fetch: fixtureFetch,
		Now: func() time.Time { return testClock }, Source: checks.Source{Kind: checks.SourceLive, Context: "admin@klustered"}})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("0 of 4 checks")) },
		teatest.WithDuration(5*time.Second))
	ch := runs.waitChan(0)
	for _, r := range fixtureResults() {
		ch <- r
	}
	close(ch)
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("4 of 4 checks")) },
		teatest.WithDuration(5*time.Second))
	tm.Send(keyMsg("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	final := tm.FinalModel(t).(Model)
	if len(final.results) != 4 || final.running() {
		t.Errorf("final model: %d results, running %v", len(final.results), final.running())
	}
}
