package ui

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/cri"
)

// TestRuntimeFindingsShowTheRuntimeCard: a Runtime finding of a run on a node reads the card
// through the injected reader, in a command; the card's strings are drawn as untrusted text;
// an answer for a frame since closed is dropped; another area's finding reads no card.
func TestRuntimeFindingsShowTheRuntimeCard(t *testing.T) {
	calls := 0
	card := &cri.Card{Socket: "/run/containerd/containerd.sock", From: "crictl's default", Name: "containerd", Version: "v2.1.4", APIVersion: "v1",
		Conditions:   []cri.Condition{{Type: "RuntimeReady", Status: true}, {Type: "NetworkReady", Reason: "NetworkPluginNotReady", Message: "cni plugin not initialized"}},
		SandboxImage: "registry.k8s.io/p\u0430use:3.10", Handlers: []string{"runc", "kata"}, Sandboxes: 4, Containers: 7,
		NotKubernetes: []string{`container 0123456789abc "miner" (evil.example/xmrig)`}}
	read := func(ctx context.Context, env *checks.Env) (*cri.Card, error) {
		calls++
		if env == nil || env.Host == nil {
			return nil, errors.New("no node")
		}
		return card, nil
	}
	runs := &fakeRuns{env: &checks.Env{Host: &checks.Host{Root: t.TempDir()}}}
	m, _ := newModel(t, 100, 50, func(o *Options) {
		o.Start, o.RuntimeCard = runs.start, read
		o.Checks = []checks.Check{{ID: "api.health", Title: "health", Category: checks.CategoryAPI}, {ID: "runtime.cri", Title: "cri", Category: checks.CategoryRuntime}}
	})
	m = update(t, m, resultMsg{run: 1, res: checks.Result{CheckID: "runtime.cri", Status: checks.StatusFail, Summary: "not ready", Findings: []checks.Finding{
		{Severity: checks.StatusFail, Message: "the runtime reports NetworkReady=false", File: &checks.FileRef{Path: "/run/containerd/containerd.sock"}},
	}}})
	m = update(t, m, resultMsg{run: 1, res: checks.Result{CheckID: "api.health", Status: checks.StatusWarn, Summary: "slow", Findings: []checks.Finding{
		{Severity: checks.StatusWarn, Message: "slow readyz"},
	}}})

	// api.health's finding: no card (c: from the causes to the checklist).
	m = keys(t, m, "c", "tab")
	m, cmd := updateCmd(t, m, keyMsg("enter"))
	if len(m.drill) != 1 || m.drill[0].cardLoading || cmd != nil {
		t.Fatalf("another area's finding reads the card")
	}
	m = keys(t, m, "esc", "shift+tab", "j", "tab")
	m, cmd = updateCmd(t, m, keyMsg("enter"))
	if len(m.drill) != 1 || !m.drill[0].cardLoading || calls != 0 {
		t.Fatalf("the card is not read in a command: %d frames, %d calls", len(m.drill), calls)
	}
	if s := screen(m); !strings.Contains(s, "reading the runtime's status") {
		t.Errorf("no spinner while the card is read:\n%s", s)
	}
	msg := findMsg[cardMsg](t, cmd)
	m = update(t, m, msg)
	s := ansi.Strip(screenAll(t, m))
	for _, want := range []string{
		"RUNTIME  the node's container runtime, asked just now",
		"✔ containerd v2.1.4 · CRI v1",
		"✖ NetworkReady=false: NetworkPluginNotReady: cni plugin not initialized",
		"sandbox image  registry.k8s.io/pа⟨U+0430⟩use:3.10",
		"handlers       runc, kata",
		"runs           4 sandboxes, 7 containers",
		"▲ 1 not created by the kubelet:",
		`container 0123456789abc "miner" (evil.example/xmrig)`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the card lacks %q:\n%s", want, s)
		}
	}

	// The same answer again, after the frame closed and another opened: dropped.
	m = keys(t, m, "esc")
	m, _ = updateCmd(t, m, keyMsg("enter"))
	m = update(t, m, msg)
	if !m.drill[0].cardLoading || m.drill[0].card != nil {
		t.Errorf("a stale card was filed into a new frame")
	}
}
