package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/themes"
)

func TestFirstFrameBeforeAnyResult(t *testing.T) {
	m, _ := newModel(t, 80, 24)
	s := screen(m)
	for _, want := range []string{"0 of 4 checks", "api.reachable", "dns.service", "running", "API", "DNS", "VERSIONS", "? help", "q quit"} {
		if !strings.Contains(s, want) {
			t.Errorf("first frame lacks %q:\n%s", want, s)
		}
	}
	if got := strings.Count(s, "\n") + 1; got != 24 {
		t.Errorf("first frame is %d lines, want 24", got)
	}
}

func TestResultsStreamIn(t *testing.T) {
	m, _ := newModel(t, 120, 40)
	res := fixtureResults()
	m = update(t, m, resultMsg{run: 1, res: res[0]})
	if s := screen(m); !strings.Contains(s, "1 of 4 checks") || !strings.Contains(s, "✔ api.reachable") {
		t.Errorf("after one result:\n%s", s)
	}
	m = withResults(t, m)
	s := screen(m)
	for _, want := range []string{"4 of 4 checks", "✖ api.control-plane", "▲ dns.service", "– versions.nodes", "forbidden", "✖ 1", "▲ 1", "✔ 1", "– 1"} {
		if !strings.Contains(s, want) {
			t.Errorf("screen lacks %q:\n%s", want, s)
		}
	}
}

func TestSelectionMovesAndSurvivesResize(t *testing.T) {
	m, _ := newModel(t, 80, 24)
	m = withResults(t, m)
	m = keys(t, m, "j", "j")
	if m.selID != "dns.service" {
		t.Fatalf("after j j selected %q, want dns.service (headings are skipped)", m.selID)
	}
	m = keys(t, m, "k")
	if m.selID != "api.control-plane" {
		t.Fatalf("after k selected %q", m.selID)
	}
	m = keys(t, m, "tab", "j")
	if m.focus != paneFindings || m.findSel != 1 {
		t.Fatalf("tab j: focus %v finding %d", m.focus, m.findSel)
	}
	m = update(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	m = update(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	if m.selID != "api.control-plane" || m.findSel != 1 || m.focus != paneFindings {
		t.Errorf("resize lost the selection: %q %d %v", m.selID, m.findSel, m.focus)
	}
	// Causes come first: the crash-looping scheduler (a cause) leads the list.
	if f := m.selectedFinding(); f == nil || !strings.Contains(f.Message, "quota") {
		t.Errorf("second finding should be etcd's quota, got %+v", f)
	}
	m = keys(t, m, "G")
	if m.findSel != 1 {
		t.Errorf("G: finding %d, want the last (1)", m.findSel)
	}
}

func TestFilterNarrowsChecksAndFindings(t *testing.T) {
	m, _ := newModel(t, 120, 40)
	m = withResults(t, m)
	m = keys(t, m, "/", "q", "u", "o", "t", "a")
	if !m.filtering || m.query != "quota" {
		t.Fatalf("filtering %v query %q", m.filtering, m.query)
	}
	if len(m.visIDs) != 1 || m.visIDs[0] != "api.control-plane" {
		t.Fatalf("visible checks %v, want only api.control-plane (a finding matches)", m.visIDs)
	}
	if m.selID != "api.control-plane" || len(m.visFind) != 1 {
		t.Fatalf("selected %q with %d visible findings, want the one matching", m.selID, len(m.visFind))
	}
	m = keys(t, m, "enter")
	if m.filtering || m.query != "quota" {
		t.Errorf("enter should keep the filter and close the input: %v %q", m.filtering, m.query)
	}
	if s := screen(m); !strings.Contains(s, "/ quota") {
		t.Errorf("the kept filter is not shown:\n%s", s)
	}
	m = keys(t, m, "esc")
	if m.query != "" || len(m.visIDs) != 4 {
		t.Errorf("esc should clear the filter: %q %v", m.query, m.visIDs)
	}
	// A check matching by its own name shows all its findings.
	m = keys(t, m, "/", "c", "o", "n", "t", "r", "o", "l", "esc")
	if m.query != "" {
		t.Errorf("esc while typing clears: %q", m.query)
	}
	m = keys(t, m, "/", "c", "o", "n", "t", "r", "o", "l", "-", "p")
	if len(m.visIDs) != 1 || len(m.visFind) != 2 {
		t.Errorf("control-p: checks %v, %d findings", m.visIDs, len(m.visFind))
	}
}

func TestDrillInStack(t *testing.T) {
	m, _ := newModel(t, 80, 24)
	m = withResults(t, m)
	m = keys(t, m, "j", "tab")
	m, cmd := updateCmd(t, m, keyMsg("enter"))
	if len(m.drill) != 1 || !m.drill[0].loading {
		t.Fatalf("enter on a finding: %d frames", len(m.drill))
	}
	if s := screen(m); !strings.Contains(s, "reading Pod kube-system/kube-scheduler-cp1") ||
		!strings.Contains(s, "checks › api.control-plane › Pod kube-system/kube-scheduler-cp1") {
		t.Errorf("loading frame:\n%s", s)
	}
	msg := findMsg[objectMsg](t, cmd)
	m = update(t, m, msg)
	if m.drill[0].loading || m.drill[0].detail == nil {
		t.Fatalf("the fetched object was not filed")
	}
	s := screen(m)
	for _, want := range []string{"CONTAINERS", "waiting: CrashLoopBackOff", "→ Node cp1", "␛[2J␛[H␛[31mPWNED"} {
		if !strings.Contains(s, want) && !strings.Contains(ansi.Strip(screenAll(t, m)), want) {
			t.Errorf("drill-in lacks %q:\n%s", want, s)
		}
	}
	// Open the related node on top, then go back.
	m, cmd = updateCmd(t, m, keyMsg("enter"))
	if len(m.drill) != 2 || m.drill[1].key.Kind != "Node" {
		t.Fatalf("enter on the related node: %d frames", len(m.drill))
	}
	nodeReq := m.drill[1].req
	m = keys(t, m, "esc")
	if len(m.drill) != 1 {
		t.Fatalf("esc: %d frames, want 1", len(m.drill))
	}
	// The node's answer arrives after its frame closed: dropped, the pod frame untouched.
	m = update(t, m, findMsg[objectMsg](t, cmd))
	if m.drill[0].detail.Key.Kind != "Pod" || nodeReq == m.drill[0].req {
		t.Errorf("a closed frame's answer changed the open one")
	}
	m = keys(t, m, "esc")
	if len(m.drill) != 0 || m.focus != paneFindings {
		t.Errorf("esc: %d frames, focus %v", len(m.drill), m.focus)
	}
}

// screenAll renders the top drill frame's every line, for content below the fold.
func screenAll(t testing.TB, m Model) string {
	t.Helper()
	fr := m.topFrame()
	if fr == nil {
		return ""
	}
	return strings.Join(m.renderDrill(fr, 200, len(fr.lines)+1), "\n")
}

func TestDrillInError(t *testing.T) {
	m, _ := newModel(t, 80, 24)
	m = withResults(t, m)
	res := fixtureResults()[2]
	res.Findings[0].Object.Name = "missing"
	m = update(t, m, resultMsg{run: 1, res: res}) // stale: dns.service already has run 1's result
	m = keys(t, m, "j", "j", "tab")
	if m.selectedFinding().Object.Name != "kube-dnс" {
		t.Fatalf("a second result of one run replaced the first")
	}
	m, cmd := updateCmd(t, m, keyMsg("R"))
	m = update(t, m, findMsg[runStartedMsg](t, cmd))
	m = update(t, m, resultMsg{run: 2, res: res})
	m, cmd = updateCmd(t, m, keyMsg("enter"))
	m = update(t, m, findMsg[objectMsg](t, cmd))
	if s := screen(m); !strings.Contains(s, "could not read Service kube-system/missing") {
		t.Errorf("the error is not shown:\n%s", s)
	}
}

func TestRerunDropsStaleResults(t *testing.T) {
	m, runs := newModel(t, 80, 24)
	res := fixtureResults()
	m = update(t, m, resultMsg{run: 1, res: res[0]})
	m, cmd := updateCmd(t, m, keyMsg("r"))
	if m.lastRun != 2 || len(m.pending) != 4 {
		t.Fatalf("r: run %d, %d pending", m.lastRun, len(m.pending))
	}
	m = update(t, m, findMsg[runStartedMsg](t, cmd))
	if len(runs.started) != 2 || len(runs.started[1]) != 4 {
		t.Fatalf("r should start every check again: %v", runs.started)
	}
	// A late result of run 1 is dropped: the check waits for run 2.
	m = update(t, m, resultMsg{run: 1, res: res[1]})
	if m.results["api.control-plane"] != nil || m.pending["api.control-plane"] != 2 {
		t.Errorf("a stale result was accepted")
	}
	if _, ok := m.runs[1]; ok && m.runs[1].results != nil {
		t.Errorf("run 1 is still listened to after r")
	}
	m = update(t, m, resultMsg{run: 2, res: res[1]})
	if m.results["api.control-plane"] == nil || m.pending["api.control-plane"] != 0 {
		t.Errorf("run 2's result was not accepted")
	}
	// Once every check has run 2's result, run 1 and its snapshot are forgotten.
	for _, r := range res {
		m = update(t, m, resultMsg{run: 2, res: r})
	}
	if _, ok := m.runs[1]; ok {
		t.Error("run 1 is kept after every check has a newer result")
	}
	// R re-runs only the selected check, from the checklist (the run's end showed the causes).
	m = keys(t, m, "c", "R")
	if m.pending["api.reachable"] != 3 || m.pending["api.control-plane"] != 0 {
		t.Errorf("R: pending %v", m.pending)
	}
	if s := screen(m); !strings.Contains(s, "3 of 4 checks") {
		t.Errorf("header after R:\n%s", s)
	}
}

func TestRunStartedAfterSupersededIsCancelled(t *testing.T) {
	m, _ := newModel(t, 80, 24)
	m, first := updateCmd(t, m, keyMsg("r"))
	m, second := updateCmd(t, m, keyMsg("r"))
	_ = second
	cancelled := false
	msg := findMsg[runStartedMsg](t, first)
	msg.cancel = func() { cancelled = true }
	m, cmd := updateCmd(t, m, msg)
	if cmd == nil {
		t.Fatal("a superseded run must be cancelled")
	}
	cmd()
	if !cancelled {
		t.Error("the superseded run's context was not cancelled")
	}
	if _, ok := m.runs[msg.run]; ok {
		t.Error("a superseded run was kept")
	}
}

func TestUnreachableBanner(t *testing.T) {
	m, _ := newModel(t, 80, 24)
	m = update(t, m, resultMsg{run: 1, res: checks.Result{CheckID: "api.reachable", Status: checks.StatusFail,
		Summary: "connection refused: nothing listens on 10.0.0.1:6443"}})
	s := screen(m)
	if !strings.Contains(s, "API server unreachable: connection refused") {
		t.Errorf("no banner:\n%s", s)
	}
	m = update(t, m, resultMsg{run: 1, res: fixtureResults()[2]})
	if !strings.Contains(screen(m), "dns.service") {
		t.Error("other checks must still show")
	}
}

func TestOfflineBanner(t *testing.T) {
	m, _ := newModel(t, 120, 40, func(o *Options) { o.Source = checks.Source{Kind: checks.SourceFiles, Path: "dump/"} })
	if s := screen(m); !strings.Contains(s, "offline snapshot: dump/") {
		t.Errorf("no offline banner:\n%s", s)
	}
}

func TestClusterStringsAreSafe(t *testing.T) {
	m, _ := newModel(t, 120, 40)
	m = withResults(t, m)
	m = keys(t, m, "j", "tab")
	raw := m.View().Content
	for _, bad := range []string{"\x1b[2J", "\x1b[31mPWNED", "\x1b[H"} {
		if strings.Contains(raw, bad) {
			t.Errorf("a crafted sequence %q reached the terminal", bad)
		}
	}
	if s := screen(m); !strings.Contains(s, "␛[2J␛[31mPWNED␛[0m") {
		t.Errorf("the crafted sequence is not shown visibly:\n%s", s)
	}
	m = keys(t, m, "esc", "j")
	s := screen(m)
	if !strings.Contains(s, "kube-dnс⟨U+0441⟩") {
		t.Errorf("the look-alike is not marked with its code point:\n%s", s)
	}
	m = keys(t, m, "tab")
	if s := screen(m); !strings.Contains(s, "U+0441 CYRILLIC SMALL LETTER ES") {
		t.Errorf("the finding does not name the look-alike:\n%s", s)
	}
}

func TestRedactIPs(t *testing.T) {
	m, _ := newModel(t, 120, 40, func(o *Options) { o.RedactIPs = true })
	m = withResults(t, m)
	m = keys(t, m, "tab")
	s := screen(m)
	if strings.Contains(s, "10.0.0.1") || !strings.Contains(s, "•.•.•.•:6443") {
		t.Errorf("IPs not redacted:\n%s", s)
	}
	for in, want := range map[string]string{
		"10.96.0.10":                "•.•.•.•",
		"10.244.0.0/16":             "•.•.•.•/16",
		"fd00::1 and 2001:db8::5":   "•:•::• and •:•::•",
		"v1.37.2 at 12:30:45":       "v1.37.2 at 12:30:45",
		"999.1.1.1 is no address":   "999.1.1.1 is no address",
		"https://[fd00::10]:6443/x": "https://[•:•::•]:6443/x",
	} {
		if got := redactIPs(in); got != want {
			t.Errorf("redactIPs(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPresenterHidesElapsed(t *testing.T) {
	m, _ := newModel(t, 120, 40, func(o *Options) { o.Presenter = true })
	m = withResults(t, m)
	s := screen(m)
	if strings.Contains(s, "41ms") || strings.Contains(s, "4 of 4 checks ·") || !strings.Contains(s, "4 of 4 checks") {
		t.Errorf("presenter mode shows durations:\n%s", s)
	}
}

func TestHelpIsGeneratedFromTheKeymap(t *testing.T) {
	m, _ := newModel(t, 120, 40)
	m = keys(t, m, "?")
	s := screen(m)
	for _, group := range m.keys.FullHelp() {
		for _, b := range group {
			if !strings.Contains(s, b.Help().Desc) {
				t.Errorf("help lacks %q:\n%s", b.Help().Desc, s)
			}
		}
	}
	m = keys(t, m, "?")
	if m.overlay != overlayNone {
		t.Error("? again closes help")
	}
}

func TestKeysRebindFromThemeFile(t *testing.T) {
	f, err := themes.Parse("mine.yaml", []byte("keys:\n  rerun-all: [f5]\n  quit: [x]\n"))
	if err != nil {
		t.Fatal(err)
	}
	km, err := DefaultKeyMap().Rebind(f.Keys)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := newModel(t, 120, 40, func(o *Options) { o.Keys = km })
	if s := screen(m); !strings.Contains(s, "f5 re-run all") || !strings.Contains(s, "x quit") {
		t.Errorf("the hint bar does not show the rebound keys:\n%s", s)
	}
	if _, cmd := updateCmd(t, m, keyMsg("x")); cmd == nil {
		t.Error("x should quit")
	}
	if key.Matches(keyMsg("q"), km.Quit) {
		t.Error("q still quits after rebinding quit to x")
	}
	bad, _ := themes.Parse("mine.yaml", []byte("keys:\n  quit: [q]\n  reron: [r]\n"))
	_, err = DefaultKeyMap().Rebind(bad.Keys)
	var fe *themes.FileError
	if err == nil || !strings.Contains(err.Error(), "mine.yaml:3:3") || !strings.Contains(err.Error(), `"reron"`) {
		t.Errorf("unknown action: %v", err)
	} else if !asFileError(err, &fe) || fe.Key != "reron" {
		t.Errorf("want a FileError naming the key, got %#v", err)
	}
	dup, _ := themes.Parse("mine.yaml", []byte("keys:\n  quit: [r]\n"))
	if _, err := DefaultKeyMap().Rebind(dup.Keys); err == nil || !strings.Contains(err.Error(), `"r" is bound to both`) ||
		!strings.Contains(err.Error(), "mine.yaml:2:3") {
		t.Errorf("a key bound twice: %v", err)
	}
}

func asFileError(err error, fe **themes.FileError) bool {
	v, ok := err.(*themes.FileError)
	*fe = v
	return ok
}

func TestThemeCycles(t *testing.T) {
	m, _ := newModel(t, 80, 24)
	start := m.Theme()
	seen := map[string]bool{start: true}
	for range themes.Builtin() {
		m = keys(t, m, "t")
		seen[m.Theme()] = true
	}
	if len(seen) != len(themes.Builtin()) || m.Theme() != start {
		t.Errorf("t cycles through %v, ends on %q", seen, m.Theme())
	}
	if !strings.Contains(screen(keys(t, m, "t")), "theme: ") {
		t.Error("no notice after t")
	}
}

func TestBackgroundRebuildsStyles(t *testing.T) {
	m, _ := newModel(t, 80, 24)
	dark := m.View().Content
	m = update(t, m, tea.BackgroundColorMsg{Color: whiteColor{}})
	if m.isDark || m.View().Content == dark {
		t.Error("a light background must rebuild the styles")
	}
}

type whiteColor struct{}

func (whiteColor) RGBA() (r, g, b, a uint32) { return 0xffff, 0xffff, 0xffff, 0xffff }

func TestCopyUsesOSC52(t *testing.T) {
	m, _ := newModel(t, 80, 24)
	m = withResults(t, m)
	m = keys(t, m, "j", "tab")
	m, cmd := updateCmd(t, m, keyMsg("y"))
	const want = "kubectl -n kube-system logs kube-scheduler-cp1 --previous"
	if cmd == nil || !strings.Contains(m.notice, "copied: "+want) {
		t.Errorf("y: notice %q", m.notice)
	}
	if got := clipboardOf(t, cmd); got != want {
		t.Errorf("y put %q on the clipboard, want %q", got, want)
	}
	// A crafted name is quoted, and a look-alike letter is what it is: both are copied.
	f := m.selectedFinding()
	for _, c := range []checks.Command{
		checks.Cmd("kubectl", "get", "deployment", "payments$(touch${IFS}pwned)"),
		checks.Cmd("kubectl", "-n", "kube-system", "get", "service", "kube-dnѕ"),
	} {
		f.Commands = []checks.Command{c}
		m, cmd = updateCmd(t, m, keyMsg("y"))
		if got := clipboardOf(t, cmd); got != c.String() {
			t.Errorf("y put %q on the clipboard, want %q", got, c.String())
		}
	}
}

// TestCopyRefusesHiddenCharacters: a command holding a control, bidi or invisible character is
// not copied (pasted, it would run other than what the screen shows); the notice names the
// character by code point, and the command is still shown, made visible.
func TestCopyRefusesHiddenCharacters(t *testing.T) {
	for _, tc := range []struct {
		value, notice, shown string
	}{
		{"pay\u202etxt.exe", "not copied: the command holds U+202E RIGHT-TO-LEFT OVERRIDE (bidi control)", "pay⟨U+202E⟩txt.exe"},
		{"x\x1b]52;c;ZXZpbA==\x07; rm -rf ~\r", "not copied: the command holds 3 hidden characters, first U+001B ESCAPE (control character)", "x␛]52;c;ZXZpbA==␇; rm -rf ~␍"},
		{"web\ntouch pwned", "not copied: the command holds U+000A LINE FEED (control character)", "web␊touch pwned"},
		{"pay\u200bments", "not copied: the command holds U+200B ZERO WIDTH SPACE (invisible (zero-width))", "pay⟨U+200B⟩ments"},
	} {
		m, _ := newModel(t, 160, 40)
		m = withResults(t, m)
		m = keys(t, m, "j", "tab")
		f := m.selectedFinding()
		f.Commands = []checks.Command{checks.Cmd("kubectl", "get", "deployment", tc.value)}
		m, cmd := updateCmd(t, m, keyMsg("y"))
		if got, ok := clipboardIn(cmd); ok {
			t.Errorf("%q: y put %q on the clipboard (OSC 52)", tc.value, got)
		}
		if m.notice != tc.notice {
			t.Errorf("%q: notice %q, want %q", tc.value, m.notice, tc.notice)
		}
		view := m.View().Content
		if !strings.Contains(screen(m), tc.notice) {
			t.Errorf("%q: the notice is not on screen:\n%s", tc.value, screen(m))
		}
		if !strings.Contains(screen(m), tc.shown) {
			t.Errorf("%q: the command is not shown made visible as %q:\n%s", tc.value, tc.shown, screen(m))
		}
		if strings.ContainsAny(view, "\u202e\u200b\x07\r") || strings.Contains(view, "\x1b]52") {
			t.Errorf("%q: a hidden character reached the screen raw: %q", tc.value, view)
		}
	}
}

// clipboardOf runs a command's batch and returns what it asks the terminal to copy (OSC 52).
func clipboardOf(t *testing.T, cmd tea.Cmd) string {
	t.Helper()
	got, ok := clipboardIn(cmd)
	if !ok {
		t.Fatal("no clipboard message from the command")
	}
	return got
}

// clipboardIn runs a command's batch and returns what it asks the terminal to copy (OSC 52),
// if anything.
func clipboardIn(cmd tea.Cmd) (string, bool) {
	want := fmt.Sprintf("%T", tea.SetClipboard("")())
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		done := make(chan tea.Msg, 1)
		go func() { done <- c() }()
		select {
		case msg := <-done:
			if b, ok := msg.(tea.BatchMsg); ok {
				queue = append(queue, b...)
			} else if fmt.Sprintf("%T", msg) == want {
				return fmt.Sprint(msg), true
			}
		case <-time.After(50 * time.Millisecond):
		}
	}
	return "", false
}

func TestMouseSelects(t *testing.T) {
	m, _ := newModel(t, 120, 40)
	m = withResults(t, m)
	l := m.layout()
	// Rows: API, api.reachable, api.control-plane, DNS, dns.service...
	m = update(t, m, tea.MouseClickMsg{X: 3, Y: l.listY + 4, Button: tea.MouseLeft})
	if m.selID != "dns.service" {
		t.Errorf("click selected %q", m.selID)
	}
	m = update(t, m, tea.MouseWheelMsg{X: 3, Y: l.listY, Button: tea.MouseWheelUp})
	if m.selID != "api.control-plane" {
		t.Errorf("wheel up selected %q", m.selID)
	}
	m = update(t, m, tea.MouseClickMsg{X: l.right.x + 3, Y: l.findY + 1, Button: tea.MouseLeft})
	if m.focus != paneFindings || m.findSel != 1 {
		t.Errorf("click on the second finding: focus %v, finding %d", m.focus, m.findSel)
	}
	m = keys(t, m, "?")
	m = update(t, m, tea.MouseWheelMsg{X: 3, Y: l.listY, Button: tea.MouseWheelDown})
	if m.selID != "api.control-plane" || m.findSel != 1 {
		t.Errorf("the wheel over help moved what help hides: %q, finding %d", m.selID, m.findSel)
	}
}

func TestLearn(t *testing.T) {
	m, _ := newModel(t, 80, 24)
	m = keys(t, m, "l")
	if s := screen(m); !strings.Contains(s, "learn · api.reachable") || !strings.Contains(s, "/version") {
		t.Errorf("learn:\n%s", s)
	}
	if m = keys(t, m, "esc"); m.overlay != overlayNone {
		t.Error("esc closes learn")
	}
}

func TestSelectionFollowsGravestUntilChosen(t *testing.T) {
	m, _ := newModel(t, 120, 40)
	m.chose = false // as New leaves it
	m = withResults(t, m)
	if m.selID != "api.control-plane" {
		t.Fatalf("selection %q after the results, want the failing api.control-plane", m.selID)
	}
	// Once the guest moves, a graver result arriving later does not steal the selection.
	m = keys(t, m, "k")
	chosen := m.selID
	late := checks.Result{CheckID: "api.reachable", Status: checks.StatusFail, Summary: "refused"}
	m.pending["api.reachable"] = 1
	m = update(t, m, resultMsg{run: 1, res: late})
	if r := m.results["api.reachable"]; r == nil || r.Status != checks.StatusFail {
		t.Fatalf("the late result was not applied: %+v", r)
	}
	if m.selID != chosen {
		t.Errorf("selection jumped to %q after the guest chose %q", m.selID, chosen)
	}
}

// TestDrillInNamesAreSafe: an object's name reaches the breadcrumbs (the pane's title) and the
// loading line; a crafted one must be drawn visibly there too.
func TestDrillInNamesAreSafe(t *testing.T) {
	m, _ := newModel(t, 120, 40)
	m = withResults(t, m)
	res := fixtureResults()[2]
	res.Findings[0].Object.Name = "evil\x1b[2J\x1b[Hdn\u0441"
	m, cmd := updateCmd(t, m, keyMsg("R"))
	_ = cmd
	m = keys(t, m, "j", "j")
	m, cmd = updateCmd(t, m, keyMsg("R"))
	m = update(t, m, findMsg[runStartedMsg](t, cmd))
	m = update(t, m, resultMsg{run: m.lastRun, res: res})
	m = keys(t, m, "tab", "enter")
	if len(m.drill) != 1 || !m.drill[0].loading {
		t.Fatalf("enter on the finding: %d frames", len(m.drill))
	}
	raw := m.View().Content
	if strings.Contains(raw, "\x1b[2J") || strings.Contains(raw, "\x1b[H") {
		t.Errorf("a crafted name reached the terminal raw:\n%q", raw)
	}
	s := screen(m)
	if !strings.Contains(s, "› Service kube-system/evil␛[2J␛[Hdnс⟨U+0441⟩") {
		t.Errorf("the breadcrumbs do not show the name visibly:\n%s", s)
	}
	if !strings.Contains(s, "reading Service kube-system/evil␛[2J") {
		t.Errorf("the loading line does not show the name visibly:\n%s", s)
	}
}

// TestFilterArrowsWithReboundKeys: while typing a filter, the arrows move the selection the way
// they point, whatever the up and down actions are rebound to.
func TestFilterArrowsWithReboundKeys(t *testing.T) {
	f, err := themes.Parse("mine.yaml", []byte("keys:\n  up: [w]\n  down: [s]\n"))
	if err != nil {
		t.Fatal(err)
	}
	km, err := DefaultKeyMap().Rebind(f.Keys)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := newModel(t, 120, 40, func(o *Options) { o.Keys = km })
	m = withResults(t, m)
	m = keys(t, m, "/", "down", "down")
	if m.selID != "dns.service" {
		t.Fatalf("down twice in the filter: selected %s", m.selID)
	}
	m = keys(t, m, "up")
	if m.selID != "api.control-plane" {
		t.Errorf("up in the filter: selected %s, want api.control-plane", m.selID)
	}
}

// TestFilterFollowsReboundKeys: while typing a filter, a non-printable key rebound to back or
// quit acts, esc and ctrl+c still work, printable rebound keys stay text, and the hint bar
// names the rebound key.
func TestFilterFollowsReboundKeys(t *testing.T) {
	f, err := themes.Parse("mine.yaml", []byte("keys:\n  back: [f2, x]\n  quit: [ctrl+g]\n"))
	if err != nil {
		t.Fatal(err)
	}
	km, err := DefaultKeyMap().Rebind(f.Keys)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := newModel(t, 120, 40, func(o *Options) { o.Keys = km })
	m = withResults(t, m)
	m = keys(t, m, "/", "d", "x")
	if !m.filtering || m.filter.Value() != "dx" {
		t.Fatalf("a printable key bound to back did not type: filtering %v, %q", m.filtering, m.filter.Value())
	}
	lines := strings.Split(screen(m), "\n")
	if hints := lines[len(lines)-1]; !strings.Contains(hints, "esc/f2 clear filter") || !strings.Contains(hints, "ctrl+c/ctrl+g quit") {
		t.Errorf("the hint bar does not name the rebound keys: %s", hints)
	}
	m = keys(t, m, "f2")
	if m.filtering || m.query != "" {
		t.Errorf("f2 (back) did not clear the filter: filtering %v, query %q", m.filtering, m.query)
	}
	m = keys(t, m, "/", "d", "esc")
	if m.filtering || m.query != "" {
		t.Errorf("esc did not clear the filter with back rebound: filtering %v, query %q", m.filtering, m.query)
	}
	m = keys(t, m, "/")
	_, cmd := updateCmd(t, m, keyMsg("ctrl+g"))
	findMsg[tea.QuitMsg](t, cmd) // fails the test when ctrl+g (quit) does not quit
}

func TestStaleServerVersionIsDropped(t *testing.T) {
	m, _ := newModel(t, 120, 40)
	m = update(t, m, serverInfoMsg{run: 2, version: "v1.38.0"})
	m = update(t, m, serverInfoMsg{run: 1, version: "v1.37.2"})
	if m.serverVersion != "v1.38.0" {
		t.Errorf("an older run's server version replaced a newer one's: %q", m.serverVersion)
	}
}

// TestSelectionStaysWhileReading: reading the findings (tab) or a drill-in, without moving,
// also keeps a later, graver result from taking the selection.
func TestSelectionStaysWhileReading(t *testing.T) {
	m, _ := newModel(t, 120, 40)
	m.chose = false // as New leaves it
	res := fixtureResults()
	m = update(t, m, resultMsg{run: 1, res: res[2]}) // dns.service warns: selected
	m = keys(t, m, "tab")
	m = update(t, m, resultMsg{run: 1, res: res[1]}) // api.control-plane fails
	if m.selID != "dns.service" {
		t.Errorf("the selection left the findings the guest reads, for %q", m.selID)
	}
}

// TestHintsWhileTyping: while the filter has the keyboard, letters type; the hint bar offers
// only the keys that still act.
func TestHintsWhileTyping(t *testing.T) {
	m, _ := newModel(t, 120, 40)
	m = keys(t, m, "/")
	s := screen(m)
	lines := strings.Split(s, "\n")
	hints := lines[len(lines)-1]
	for _, bad := range []string{"r re-run all", "? help", "q quit", "t theme", "↑/k"} {
		if strings.Contains(hints, bad) {
			t.Errorf("while typing the hint bar offers %q: %s", bad, hints)
		}
	}
	for _, want := range []string{"esc clear filter", "ctrl+c quit"} {
		if !strings.Contains(hints, want) {
			t.Errorf("while typing the hint bar lacks %q: %s", want, hints)
		}
	}
}

// TestCopyInDrillInCopiesItsFinding: after a re-run changes the findings behind the drill-in,
// y copies the command the drill-in shows.
func TestCopyInDrillInCopiesItsFinding(t *testing.T) {
	m, _ := newModel(t, 80, 24)
	m = withResults(t, m)
	m = keys(t, m, "j", "tab") // api.control-plane, the cause first: kube-scheduler-cp1
	m, cmd := updateCmd(t, m, keyMsg("enter"))
	m = update(t, m, findMsg[objectMsg](t, cmd))
	m, cmd = updateCmd(t, m, keyMsg("r"))
	m = update(t, m, findMsg[runStartedMsg](t, cmd))
	res := fixtureResults()[1]
	res.Findings = res.Findings[:1] // the scheduler recovered: only etcd's finding is left
	m = update(t, m, resultMsg{run: m.lastRun, res: res})
	_, cmd = updateCmd(t, m, keyMsg("y"))
	if got, want := clipboardOf(t, cmd), "kubectl -n kube-system logs kube-scheduler-cp1 --previous"; got != want {
		t.Errorf("y in the drill-in copied %q, want the drill-in's %q", got, want)
	}
}

func TestRerunSelectedFromDrillIn(t *testing.T) {
	m, runs := newModel(t, 80, 24)
	m = withResults(t, m)
	m = keys(t, m, "j", "tab", "enter")
	if len(m.drill) != 1 {
		t.Fatalf("not in the drill-in: %d frames", len(m.drill))
	}
	m, cmd := updateCmd(t, m, keyMsg("R"))
	m = update(t, m, findMsg[runStartedMsg](t, cmd))
	last := runs.started[len(runs.started)-1]
	if len(last) != 1 || last[0] != "api.control-plane" {
		t.Errorf("R in the drill-in started %v, want the drill-in's check alone", last)
	}
	if len(m.drill) != 1 {
		t.Errorf("R left the drill-in: %d frames", len(m.drill))
	}
}

// TestClosingADrillInStopsItsFetch: esc on a frame still loading cancels its read, so a slow
// API server does not keep requests going for objects nobody looks at.
func TestClosingADrillInStopsItsFetch(t *testing.T) {
	stopped := make(chan error, 1)
	slow := func(ctx context.Context, _ *checks.Env, _ kube.ObjectKey) (*kube.ObjectDetail, error) {
		<-ctx.Done()
		stopped <- ctx.Err()
		return nil, ctx.Err()
	}
	m, _ := newModel(t, 120, 40, func(o *Options) { o.Fetch = slow })
	m = withResults(t, m)
	m = keys(t, m, "j", "tab")
	m, cmd := updateCmd(t, m, keyMsg("enter"))
	if len(m.drill) != 1 || !m.drill[0].loading {
		t.Fatalf("enter on the finding: %d frames", len(m.drill))
	}
	go runCmds(cmd) // the fetch, as the program would run it
	m, cmd = updateCmd(t, m, keyMsg("esc"))
	if len(m.drill) != 0 || cmd == nil {
		t.Fatalf("esc: %d frames left, command %v", len(m.drill), cmd)
	}
	runCmds(cmd)
	select {
	case err := <-stopped:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the fetch ended with %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the fetch was still running 5 s after its frame closed")
	}
}

// TestSafeMarksACharacterOnce: a finding that names a look-alike by code point shows it
// highlighted but without a second marker; one that draws nothing or reorders the line is
// always replaced by its code point, whatever follows it.
func TestSafeMarksACharacterOnce(t *testing.T) {
	plain := lipgloss.NewStyle()
	for in, want := range map[string]string{
		"е U+0435 CYRILLIC SMALL LETTER IE": "е U+0435 CYRILLIC SMALL LETTER IE",
		"kube-apisеrver":                    "kube-apisе⟨U+0435⟩rver",
		"evil\u202E U+202E":                 "evil⟨U+202E⟩ U+202E",
	} {
		if got := ansi.Strip(safe(in, textOpts{}, plain, plain)); got != want {
			t.Errorf("safe(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDrillInShowsTheNodesFile opens a finding about a line of a node's file: the drill-in reads
// the lines around it under the run's host root, numbered, the line marked, credentials
// redacted (a private key's body too, though its BEGIN line is above the excerpt) and cluster
// text drawn safe.
func TestDrillInShowsTheNodesFile(t *testing.T) {
	root := t.TempDir()
	lines := make([]string, 30)
	for i := range lines {
		lines[i] = fmt.Sprintf("    - --flag-%d=x", i+1)
	}
	lines[9] = "-----BEGIN PRIVATE KEY-----"
	lines[10], lines[11], lines[12] = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "SECRETBODYLINEONE", "SECRETBODYLINETWO"
	lines[13] = "-----END PRIVATE KEY-----"
	lines[15] = "    - --oidc-client-secret=hunter2"
	lines[17] = "    image: registry.k8s.io/kube-apis\u0435rver:v1.37.2"
	lines[19], lines[20] = "    - name: ETCD_PASSWORD", "      value: hunter3"
	manifest := filepath.Join(root, "etc/kubernetes/manifests/kube-apiserver.yaml")
	if err := os.MkdirAll(filepath.Dir(manifest), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(manifest, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	runs := &fakeRuns{env: &checks.Env{Host: &checks.Host{Root: root}}}
	m, _ := newModel(t, 100, 40, func(o *Options) { o.Start = runs.start })
	res := checks.Result{CheckID: "api.control-plane", Status: checks.StatusFail, Summary: "look-alike", Findings: []checks.Finding{
		{Severity: checks.StatusFail, Message: "a look-alike letter", File: &checks.FileRef{Path: manifest, Line: 18, Column: 37}},
		{Severity: checks.StatusWarn, Message: "beyond the end", File: &checks.FileRef{Path: manifest, Line: 99}},
		{Severity: checks.StatusWarn, Message: "not on the node", File: &checks.FileRef{Path: "/home/me/.kube/config", Line: 3}},
	}}
	m = update(t, m, resultMsg{run: 1, res: res})
	m = keys(t, m, "j", "tab")
	m, cmd := updateCmd(t, m, keyMsg("enter"))
	if s := screen(m); len(m.drill) != 1 || !m.drill[0].loading || !strings.Contains(s, "reading /tmp/") {
		t.Errorf("no spinner while the file is read:\n%s", s)
	}
	m = update(t, m, findMsg[excerptMsg](t, cmd))
	s := ansi.Strip(screenAll(t, m))
	for _, want := range []string{"FILE  lines 12–24", "▶ 18 │     image: registry.k8s.io/kube-apisе⟨U+0435⟩rver", "  16 │     - --oidc-client-secret=<redacted>", "  24 │     - --flag-24=x"} {
		if !strings.Contains(s, want) {
			t.Errorf("the drill-in lacks %q:\n%s", want, s)
		}
	}
	for _, never := range []string{"hunter2", "hunter3", "SECRETBODY", "MIIEv", "flag-11=", "flag-25="} {
		if strings.Contains(s, never) {
			t.Errorf("the drill-in shows %q:\n%s", never, s)
		}
	}

	m = keys(t, m, "esc", "j")
	m, cmd = updateCmd(t, m, keyMsg("enter"))
	m = update(t, m, findMsg[excerptMsg](t, cmd))
	if s := ansi.Strip(screenAll(t, m)); !strings.Contains(s, "it has 30 lines now, not 99: it changed since the check read it") {
		t.Errorf("a line past the end:\n%s", s)
	}

	// A kubeconfig on this machine is not the node's file: nothing is read.
	m = keys(t, m, "esc", "j")
	m, cmd = updateCmd(t, m, keyMsg("enter"))
	if len(m.drill) != 1 || m.drill[0].loading || cmd != nil || strings.Contains(screenAll(t, m), "FILE") {
		t.Errorf("a file outside the node's root was read")
	}
}
