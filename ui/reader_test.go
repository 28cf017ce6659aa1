package ui

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/kockpit/kockpit/checks"
)

// TestDrillInReadsNodeFilesThroughTheInjectedReader: the drill-in reads a node's file through
// Options.ReadFile, as it reads objects through Options.Fetch: here a node that exists only in
// memory. It asks for the path on the node, for the run's Env, and still redacts what it shows.
func TestDrillInReadsNodeFilesThroughTheInjectedReader(t *testing.T) {
	env := &checks.Env{Host: &checks.Host{Root: "/nowhere/node"}} // no such directory on this machine
	var mu sync.Mutex
	var asked []string
	read := func(_ context.Context, e *checks.Env, path string) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		if e != env {
			t.Errorf("the reader got another Env than the run's")
		}
		asked = append(asked, path)
		if strings.HasSuffix(path, "gone.conf") {
			return nil, errors.New("the mount hung up")
		}
		return []byte("kind: KubeletConfiguration\nclusterDNS:\n- 10.96.0.99\ntoken: hunter2\n"), nil
	}
	runs := &fakeRuns{env: env}
	m, _ := newModel(t, 100, 30, func(o *Options) { o.Start, o.ReadFile = runs.start, read })
	m = update(t, m, resultMsg{run: 1, res: checks.Result{CheckID: "api.control-plane", Status: checks.StatusFail, Summary: "clusterDNS",
		Findings: []checks.Finding{
			{Severity: checks.StatusFail, Message: "clusterDNS is not the kube-dns Service's IP",
				File: &checks.FileRef{Path: "/nowhere/node/var/lib/kubelet/config.yaml", Line: 3, Column: 3}},
			{Severity: checks.StatusWarn, Message: "unreadable", File: &checks.FileRef{Path: "/nowhere/node/etc/gone.conf", Line: 1}},
		}}})
	m = keys(t, m, "j", "tab")
	m, cmd := updateCmd(t, m, keyMsg("enter"))
	m = update(t, m, findMsg[excerptMsg](t, cmd))
	s := ansi.Strip(screenAll(t, m))
	for _, want := range []string{"FILE  lines 1–4", "▶ 3 │ - 10.96.0.99", "  4 │ token: <redacted>"} {
		if !strings.Contains(s, want) {
			t.Errorf("the drill-in lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "hunter2") {
		t.Errorf("the drill-in shows a credential the reader returned:\n%s", s)
	}

	m = keys(t, m, "esc", "j")
	m, cmd = updateCmd(t, m, keyMsg("enter"))
	m = update(t, m, findMsg[excerptMsg](t, cmd))
	if s := ansi.Strip(screenAll(t, m)); !strings.Contains(s, "could not read /nowhere/node/etc/gone.conf: the mount hung up") {
		t.Errorf("the reader's error is not shown:\n%s", s)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"/var/lib/kubelet/config.yaml", "/etc/gone.conf"}; !slices.Equal(asked, want) {
		t.Errorf("the reader was asked for %q, want the paths on the node %q", asked, want)
	}
}
