package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/kockpit/kockpit/checks"
)

// The storage finding of the chain tests: an attachment that fails, on its volume's chain.
var (
	chainCheck = checks.Check{ID: "storage.attachments", Title: "Volumes attach to their nodes", Category: checks.CategoryStorage,
		Learn: "A CSI volume is attached to a node before it is mounted."}
	volumeChain = []checks.ObjectRef{
		{APIVersion: "v1", Kind: "PersistentVolumeClaim", Namespace: "team-a", Name: "ledger"},
		{APIVersion: "v1", Kind: "PersistentVolume", Name: "pvc-5e6f"},
		{APIVersion: "storage.k8s.io/v1", Kind: "StorageClass", Name: "fast"},
		{APIVersion: "storage.k8s.io/v1", Kind: "CSIDriver", Name: "csi.example.com"},
		{APIVersion: "storage.k8s.io/v1", Kind: "CSINode", Name: "worker1"},
		{APIVersion: "storage.k8s.io/v1", Kind: "VolumeAttachment", Name: "csi-8c1d"},
		{APIVersion: "v1", Kind: "Pod", Namespace: "team-a", Name: "ledger-0"},
	}
	chainResult = checks.Result{CheckID: "storage.attachments", Status: checks.StatusFail, Summary: "1 attachment fails",
		Findings: []checks.Finding{{Severity: checks.StatusFail, Cause: true, Message: "VolumeAttachment csi-8c1d fails to attach to node worker1",
			Object: &volumeChain[5], Evidence: []string{"attachError: volume is in use by another instance"},
			Commands: []checks.Command{checks.Cmd("kubectl", "get", "volumeattachment", "csi-8c1d", "-o", "yaml")}, Chain: volumeChain}}}
)

// chainModel is the cockpit with the storage finding's drill-in open, its object read.
func chainModel(t *testing.T, width, height int) Model {
	t.Helper()
	m, _ := newModel(t, width, height, func(o *Options) { o.Checks = append(fixtureChecks(), chainCheck) })
	m = withResults(t, update(t, m, resultMsg{run: 1, res: chainResult}))
	for i := 0; m.selID != chainCheck.ID; i++ {
		if i > 10 {
			t.Fatalf("the storage check is not in the list")
		}
		m = keys(t, m, "j")
	}
	m = keys(t, m, "tab")
	m, cmd := updateCmd(t, m, keyMsg("enter"))
	return update(t, m, findMsg[objectMsg](t, cmd))
}

// step presses a key in the drill-in and delivers the object it asks for, if any.
func step(t *testing.T, m Model, k string) Model {
	t.Helper()
	m, cmd := updateCmd(t, m, keyMsg(k))
	if cmd != nil {
		m = update(t, m, findMsg[objectMsg](t, cmd))
	}
	return m
}

func shownLink(t *testing.T, m Model) string {
	t.Helper()
	if len(m.drill) != 1 {
		t.Fatalf("%d drill-in frames: stepping along the chain must replace the frame, not stack", len(m.drill))
	}
	fr := m.topFrame()
	if fr.detail == nil || fr.detail.Key != *fr.key {
		t.Fatalf("frame for %v shows %v", fr.key, fr.detail)
	}
	return fr.key.Kind
}

func TestDrillInStepsAlongTheChain(t *testing.T) {
	m := chainModel(t, 120, 40)
	if got := shownLink(t, m); got != "VolumeAttachment" || m.topFrame().finding == nil {
		t.Fatalf("opened on %s, finding %v", got, m.topFrame().finding)
	}
	s := ansi.Strip(screenAll(t, m))
	for _, want := range []string{"CHAIN  6 of 7", "▶ VolumeAttachment csi-8c1d", "$ kubectl get volumeattachment.storage.k8s.io csi-8c1d -o yaml"} {
		if !strings.Contains(s, want) {
			t.Errorf("drill-in lacks %q:\n%s", want, s)
		}
	}
	if h := screen(m); !strings.Contains(h, "tab next in chain") || !strings.Contains(h, "shift+tab back in chain") {
		t.Errorf("the hints do not offer the chain:\n%s", h)
	}

	m = step(t, m, "tab")
	if got := shownLink(t, m); got != "Pod" || m.topFrame().finding != nil {
		t.Errorf("tab: %s, finding %v", got, m.topFrame().finding)
	}
	if s := ansi.Strip(screenAll(t, m)); !strings.Contains(s, "$ kubectl get pod ledger-0 -n team-a -o yaml") || !strings.Contains(s, "CHAIN  7 of 7") {
		t.Errorf("pod link:\n%s", s)
	}
	// The last link: tab stops there.
	m, cmd := updateCmd(t, m, keyMsg("tab"))
	if cmd != nil || shownLink(t, m) != "Pod" {
		t.Errorf("tab past the end moved or fetched")
	}
	// Back to the finding's own object: the finding shows again.
	m = step(t, m, "shift+tab")
	if got := shownLink(t, m); got != "VolumeAttachment" || m.topFrame().finding == nil {
		t.Errorf("shift+tab: %s, finding %v", got, m.topFrame().finding)
	}
	for _, want := range []string{"CSINode", "CSIDriver", "StorageClass", "PersistentVolume", "PersistentVolumeClaim"} {
		if m = step(t, m, "shift+tab"); shownLink(t, m) != want {
			t.Errorf("shift+tab: %s, want %s", shownLink(t, m), want)
		}
	}
	m, cmd = updateCmd(t, m, keyMsg("shift+tab"))
	if cmd != nil || shownLink(t, m) != "PersistentVolumeClaim" {
		t.Errorf("shift+tab before the first link moved or fetched")
	}
	if s := screen(m); !strings.Contains(s, "checks › storage.attachments › PersistentVolumeClaim team-a/ledger") {
		t.Errorf("breadcrumbs:\n%s", s)
	}
	m = keys(t, m, "esc")
	if len(m.drill) != 0 {
		t.Errorf("esc left %d frames", len(m.drill))
	}
}

// A link's answer that arrives after tab moved on is for nobody: the frame shows the link it
// asked for last.
func TestDrillInChainDropsAStaleFetch(t *testing.T) {
	m := chainModel(t, 120, 40)
	m, first := updateCmd(t, m, keyMsg("shift+tab"))  // asks for the CSINode
	m, second := updateCmd(t, m, keyMsg("shift+tab")) // then for the CSIDriver
	m = update(t, m, findMsg[objectMsg](t, first))
	if fr := m.topFrame(); fr.key.Kind != "CSIDriver" || !fr.loading || fr.detail != nil {
		t.Fatalf("the stale answer was filed: %v loading %v", fr.detail, fr.loading)
	}
	m = update(t, m, findMsg[objectMsg](t, second))
	if shownLink(t, m) != "CSIDriver" {
		t.Errorf("the answer for the link in view was not filed")
	}
}

// Without a chain, tab picks related objects and the hints offer no chain.
func TestDrillInWithoutChainOffersNoChain(t *testing.T) {
	m, _ := newModel(t, 120, 40)
	m = keys(t, withResults(t, m), "j", "tab")
	m, cmd := updateCmd(t, m, keyMsg("enter"))
	m = update(t, m, findMsg[objectMsg](t, cmd))
	if h := screen(m); strings.Contains(h, "chain") || strings.Contains(h, "shift+tab") {
		t.Errorf("a drill-in without a chain offers one:\n%s", h)
	}
	m = keys(t, m, "shift+tab")
	if fr := m.topFrame(); fr.link != 0 || fr.detail.Key.Kind != "Pod" {
		t.Errorf("shift+tab without a chain: link %d on %s", fr.link, fr.detail.Key.Kind)
	}
}

func TestGoldenChainDrillIn(t *testing.T) {
	m := chainModel(t, 80, 24)
	m = step(t, m, "shift+tab")
	m = update(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	golden.RequireEqual(t, ansi256(t, m.View().Content))
}
