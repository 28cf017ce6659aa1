package ui

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/catalog"
	"github.com/kockpit/kockpit/kube"
)

// TestCockpitShowsNoCredential runs every check through the runner on a cluster and a node that
// keep credentials by mistake (testdata/credentials: a bearer token, a URL's password, a
// --token= flag, a private key, DB_PASSWORD's value), then looks at every finding as a guest
// would: the detail pane, the drill-in (the object's YAML, the node file's lines) and what y
// copies to the clipboard (OSC 52). No PLANTED value may show anywhere.
// cmd/kockpit's TestReportsShowNoCredential checks the reports of the same files.
func TestCockpitShowsNoCredential(t *testing.T) {
	dir := filepath.Join("..", "testdata", "credentials")
	snap, err := kube.LoadSnapshot(t.Context(), filepath.Join(dir, "cluster.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs(filepath.Join(dir, "node"))
	if err != nil {
		t.Fatal(err)
	}
	env := &checks.Env{Snapshot: snap, Host: &checks.Host{Root: root, Since: 100 * 365 * 24 * time.Hour}, Now: time.Now,
		Path: t.TempDir()} // no kubectl: the cluster and the node are all there is
	start := func(ctx context.Context, list []checks.Check) (*checks.Env, <-chan checks.Result) {
		return env, checks.Run(ctx, list, env, checks.RunOptions{})
	}
	m, _ := newModel(t, 160, 60, func(o *Options) {
		o.Checks, o.Start, o.Fetch = catalog.All(), start, DefaultFetcher
	})
	for res := range m.runs[1].results {
		m = update(t, m, resultMsg{run: 1, res: res})
	}
	m = update(t, m, runDoneMsg{run: 1})
	m = keys(t, m, "c") // the triage screen, first after the run, to the checklist

	seen := map[string]string{} // what was looked at → what it showed
	for _, id := range m.visibleChecks() {
		m.selectCheck(id)
		m.settle()
		for i := range m.visFind {
			m.focus, m.findSel = paneFindings, i
			m.settle()
			f := m.selectedFinding()
			where := f.ID
			seen[where+" (detail pane)"] = screen(m)
			if len(f.Commands) > 0 {
				_, cmd := updateCmd(t, m, keyMsg("y"))
				seen[where+" (clipboard)"] = awaitClipboard(t, cmd)
			}
			var cmd tea.Cmd
			m, cmd = updateCmd(t, m, keyMsg("enter"))
			m = deliverFetch(t, m, cmd)
			seen[where+" (drill-in)"] = ansi.Strip(screenAll(t, m))
			m = keys(t, m, "esc")
		}
	}
	redacted := 0
	for where, s := range seen {
		if strings.Contains(s, "PLANTED") {
			t.Errorf("%s shows a credential:\n%s", where, s)
		}
		redacted += strings.Count(s, "<redacted")
	}
	// Not vacuous: the planted findings were looked at, and their credentials shown redacted.
	for _, want := range [][2]string{
		{"network.services/Service/shop/web/", "(clipboard)"},
		{"network.services/Service/shop/web/", "(drill-in)"},
		{"dns.policy/Pod/shop/web-1/", "(drill-in)"},
		{"host.shell/etc/cron.d/backup/", "(drill-in)"},
	} {
		found := false
		for where := range seen {
			found = found || strings.HasPrefix(where, want[0]) && strings.HasSuffix(where, want[1])
		}
		if !found {
			t.Errorf("never looked at %s… %s; looked at:\n%s", want[0], want[1], strings.Join(slices.Sorted(maps.Keys(seen)), "\n"))
		}
	}
	if redacted < 10 {
		t.Errorf("only %d redactions across everything looked at: the planted credentials were not all shown", redacted)
	}
}

// deliverFetch runs the drill-in's fetch (an object's or a node file's) and files its answer.
func deliverFetch(t *testing.T, m Model, cmd tea.Cmd) Model {
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
		select {
		case msg := <-done:
			switch msg := msg.(type) {
			case objectMsg, excerptMsg:
				return update(t, m, msg)
			case tea.BatchMsg:
				queue = append(queue, msg...)
			}
		case <-time.After(2 * time.Second):
		}
	}
	return m
}

// awaitClipboard runs a command's batch at once, each part in its own goroutine, and returns
// what it asks the terminal to copy (OSC 52) as soon as that comes: a loaded machine may take
// long to schedule it, and the notice's 3 s timer must not hold the test up.
func awaitClipboard(t *testing.T, cmd tea.Cmd) string {
	t.Helper()
	want := fmt.Sprintf("%T", tea.SetClipboard("")())
	msgs := make(chan tea.Msg, 16)
	run := func(c tea.Cmd) {
		if c != nil {
			go func() { msgs <- c() }()
		}
	}
	run(cmd)
	deadline := time.After(10 * time.Second)
	for {
		select {
		case msg := <-msgs:
			if b, ok := msg.(tea.BatchMsg); ok {
				for _, c := range b {
					run(c)
				}
			} else if fmt.Sprintf("%T", msg) == want {
				return fmt.Sprint(msg)
			}
		case <-deadline:
			t.Fatal("no clipboard message from the command")
			return ""
		}
	}
}
