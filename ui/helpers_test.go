package ui

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/kube"
)

// testClock is the fixed time of model tests and golden views.
var testClock = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// fixtureChecks are the checks of model tests and golden views: fixed here, so the goldens do
// not change when a check is added to the registry.
func fixtureChecks() []checks.Check {
	return []checks.Check{
		{ID: "api.reachable", Title: "The API server answers", Category: checks.CategoryAPI, Reachability: true,
			Learn: "kockpit asks the API server for /version and times it. When that fails, the error says where the path broke."},
		{ID: "api.control-plane", Title: "Control-plane pods run, are ready and have sane flags", Category: checks.CategoryAPI,
			Learn: "The control plane runs as static pods on kubeadm clusters."},
		{ID: "dns.service", Title: "The cluster DNS Service has endpoints", Category: checks.CategoryDNS,
			Learn: "Pods resolve names through the kube-dns Service."},
		{ID: "versions.nodes", Title: "Kubelets are within the skew policy", Category: checks.CategoryVersions,
			Learn: "A kubelet may be up to three minor versions older than the API server."},
	}
}

// fixtureResults are what the fixture checks found: a cause and a symptom, a crafted event
// message with escape sequences, a look-alike name, an IP, a skip.
func fixtureResults() []checks.Result {
	return []checks.Result{
		{CheckID: "api.reachable", Status: checks.StatusOK, Summary: "v1.37.2 answers in 12ms", Duration: 12 * time.Millisecond,
			Findings: []checks.Finding{{Severity: checks.StatusOK, Message: "the API server answers",
				Evidence: []string{"server: https://10.0.0.1:6443"}, Commands: []checks.Command{checks.Cmd("kubectl", "get", "--raw", "/version", "-v=6")}}}},
		{CheckID: "api.control-plane", Status: checks.StatusFail, Summary: "kube-scheduler-cp1 is crash-looping (and 1 more)",
			Duration: 3 * time.Millisecond, Findings: []checks.Finding{
				{Severity: checks.StatusWarn, Message: "etcd-cp1: --quota-backend-bytes is tiny",
					Object:   &checks.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: "kube-system", Name: "etcd-cp1"},
					Evidence: []string{"--quota-backend-bytes=16384"}, Hint: "Remove the flag.",
					Commands: []checks.Command{checks.Cmd("kubectl", "-n", "kube-system", "get", "pod", "etcd-cp1", "-o", "yaml")}},
				{Severity: checks.StatusFail, Cause: true, Message: "kube-scheduler-cp1 is crash-looping: \x1b[2J\x1b[31mPWNED\x1b[0m",
					Object:   &checks.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: "kube-system", Name: "kube-scheduler-cp1"},
					Evidence: []string{"restarts: 12", "last state: Error (exit 1)"},
					Hint:     "Read the container's previous log: the reason it exits is there.",
					Commands: []checks.Command{checks.Cmd("kubectl", "-n", "kube-system", "logs", "kube-scheduler-cp1", "--previous")},
					Explains: []checks.ObjectRef{{Kind: "Pod", Namespace: "team-a", Name: "web-1"}}},
			}},
		{CheckID: "dns.service", Status: checks.StatusWarn, Summary: "kube-dnс has no ready endpoints", Duration: 41 * time.Millisecond,
			Findings: []checks.Finding{{Severity: checks.StatusWarn, Message: "Service kube-system/kube-dnс has no ready endpoints",
				Object:   &checks.ObjectRef{APIVersion: "v1", Kind: "Service", Namespace: "kube-system", Name: "kube-dnс"},
				Evidence: []string{"clusterIP: 10.96.0.10"}, Commands: []checks.Command{checks.Cmd("kubectl", "-n", "kube-system", "get", "endpointslices")}}}},
		{CheckID: "versions.nodes", Status: checks.StatusSkip, SkipReason: checks.SkipForbidden,
			Summary: "forbidden: cannot list nodes", Duration: time.Millisecond},
	}
}

// fakeRuns is a Starter whose runs the test feeds by hand.
type fakeRuns struct {
	mu      sync.Mutex // start runs in a command's goroutine; TestProgram reads from another
	started [][]string
	chans   []chan checks.Result
	env     *checks.Env // what runs read; an empty Env when nil
}

// waitChan returns run i's channel once the program has started that run.
func (f *fakeRuns) waitChan(i int) chan checks.Result {
	for {
		f.mu.Lock()
		if len(f.chans) > i {
			ch := f.chans[i]
			f.mu.Unlock()
			return ch
		}
		f.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
}

func (f *fakeRuns) start(_ context.Context, list []checks.Check) (*checks.Env, <-chan checks.Result) {
	var ids []string
	for _, c := range list {
		ids = append(ids, c.ID)
	}
	ch := make(chan checks.Result, len(list))
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started = append(f.started, ids)
	f.chans = append(f.chans, ch)
	if f.env != nil {
		return f.env, ch
	}
	return &checks.Env{}, ch
}

// newModel is a cockpit over the fixture checks at a size, with its first run started (the
// runStartedMsg delivered) but no result in yet.
func newModel(t testing.TB, width, height int, opts ...func(*Options)) (Model, *fakeRuns) {
	t.Helper()
	runs := &fakeRuns{}
	o := Options{
		Checks: fixtureChecks(), Start: runs.start, Now: func() time.Time { return testClock },
		Source: checks.Source{Kind: checks.SourceLive, Context: "admin@klustered", Server: "10.0.0.1:6443", User: "admin"},
		Fetch:  fixtureFetch,
	}
	for _, f := range opts {
		f(&o)
	}
	m := New(o)
	// The model tests and goldens drive the selection themselves; TestSelectionFollowsGravest
	// covers the cockpit picking the first thing to fix.
	m.chose = true
	m = update(t, m, tea.WindowSizeMsg{Width: width, Height: height})
	// Run the first run's start command as the program would.
	msg := findMsg[runStartedMsg](t, m.initCmd)
	m = update(t, m, msg)
	return m, runs
}

// withResults delivers the fixture results of run 1, then leaves the triage screen (the first
// view once the run ends, triage_test.go) for the checklist the other tests drive.
func withResults(t testing.TB, m Model) Model {
	t.Helper()
	m = withTriage(t, m)
	if !m.triageShown() {
		t.Fatal("the run ended and the triage screen is not shown")
	}
	return keys(t, m, "c")
}

// withTriage delivers the fixture results of run 1: the triage screen is up.
func withTriage(t testing.TB, m Model) Model {
	t.Helper()
	for _, r := range fixtureResults() {
		m = update(t, m, resultMsg{run: 1, res: r})
	}
	return m
}

// update runs one message through Update.
func update(t testing.TB, m Model, msg tea.Msg) Model {
	t.Helper()
	next, _ := m.Update(msg)
	return next.(Model)
}

// updateCmd runs one message through Update and returns the command too.
func updateCmd(t testing.TB, m Model, msg tea.Msg) (Model, tea.Cmd) {
	t.Helper()
	next, cmd := m.Update(msg)
	return next.(Model), cmd
}

// keys presses keys: "j", "enter", "esc", "tab", "?"...
func keys(t testing.TB, m Model, ks ...string) Model {
	t.Helper()
	for _, k := range ks {
		m = update(t, m, keyMsg(k))
	}
	return m
}

func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	}
	if rest, ok := strings.CutPrefix(k, "ctrl+"); ok {
		return tea.KeyPressMsg{Code: []rune(rest)[0], Mod: tea.ModCtrl}
	}
	if k == "f2" {
		return tea.KeyPressMsg{Code: tea.KeyF2}
	}
	r := []rune(k)
	return tea.KeyPressMsg{Code: r[0], Text: k}
}

// findMsg runs a command (and the batches it returns) until it yields a T.
func findMsg[T tea.Msg](t testing.TB, cmd tea.Cmd) T {
	t.Helper()
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		done := make(chan tea.Msg, 1)
		go func() { done <- c() }()
		var msg tea.Msg
		select {
		case msg = <-done:
		case <-time.After(250 * time.Millisecond):
			// A tick or a wait: not what we look for. Generous, so a loaded machine's slow
			// goroutine start is not mistaken for one.
			continue
		}
		if v, ok := msg.(T); ok {
			return v
		}
		queue = append(queue, subCmds(msg)...)
	}
	var zero T
	t.Fatalf("no %T from the command", zero)
	return zero
}

// runCmds runs a command as the program would, batches and sequences included, and drops the
// messages; a command still running after 50 ms is left to finish on its own.
func runCmds(cmd tea.Cmd) {
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
			queue = append(queue, subCmds(msg)...)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// subCmds are the commands a batch or a sequence message holds.
func subCmds(msg tea.Msg) []tea.Cmd {
	if b, ok := msg.(tea.BatchMsg); ok {
		return b
	}
	// tea.Sequence's message is an unexported []tea.Cmd.
	var out []tea.Cmd
	if rv := reflect.ValueOf(msg); rv.Kind() == reflect.Slice && rv.Type().Elem() == reflect.TypeFor[tea.Cmd]() {
		for i := range rv.Len() {
			out = append(out, rv.Index(i).Interface().(tea.Cmd))
		}
	}
	return out
}

// screen is the view as plain text, styles stripped.
func screen(m Model) string { return ansi.Strip(m.View().Content) }

// fixtureFetch answers drill-ins from memory.
func fixtureFetch(_ context.Context, _ *checks.Env, key kube.ObjectKey) (*kube.ObjectDetail, error) {
	if key.Name == "missing" {
		return nil, fmt.Errorf("getting %s: not found", key)
	}
	d := &kube.ObjectDetail{Key: key, Live: true,
		YAML: "# managedFields: 3 entries folded (kubectl get --show-managed-fields shows them)\napiVersion: v1\nkind: " + key.Kind +
			"\nmetadata:\n  name: " + key.Name + "\n  namespace: " + key.Namespace + "\nspec:\n  nodeName: cp1\n"}
	if key.Kind == "Pod" {
		d.Related = []kube.ObjectKey{{APIVersion: "v1", Kind: "Node", Name: "cp1"}}
		d.Containers = []kube.ContainerState{{Name: "kube-scheduler", Restarts: 12, State: "waiting: CrashLoopBackOff",
			Message: "back-off 5m0s restarting failed container", LastTermination: "Error (exit 1) at 2026-11-25T09:58:00Z"}}
		d.Events = []kube.EventLine{{Type: "Warning", Reason: "BackOff", Count: 40, Last: testClock.Add(-3 * time.Minute),
			Message: "Back-off restarting failed container \x1b[2J\x1b[H\x1b[31mPWNED"}}
	}
	return d, nil
}
