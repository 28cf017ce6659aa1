package ui

import (
	"strings"
	"testing"

	"github.com/kockpit/kockpit/checks"
)

// triageResults: the scheduler's crash loop (a cause) explains the kube-dns Service, whose
// finding in dns.service is its symptom; a Warn cause of its own explains nothing.
func triageResults() []checks.Result {
	res := fixtureResults()
	res[1].Findings[1].ID = "api.control-plane/Pod/kube-system/kube-scheduler-cp1/crash-looping"
	res[1].Findings[1].Explains = append(res[1].Findings[1].Explains, checks.ObjectRef{Kind: "Service", Namespace: "kube-system", Name: "kube-dnс"})
	res[1].Findings[0].ID = "api.control-plane/Pod/kube-system/etcd-cp1/quota"
	res[1].Findings[0].Cause = true
	res[2].Findings[0].ID = "dns.service/Service/kube-system/kube-dns/no-ready-endpoints"
	return res
}

func withTriageResults(t *testing.T, m Model) Model {
	t.Helper()
	for _, r := range triageResults() {
		m = update(t, m, resultMsg{run: 1, res: r})
	}
	return m
}

func TestTriageIsTheFirstViewOnceTheRunEnds(t *testing.T) {
	m, _ := newModel(t, 120, 30)
	res := triageResults()
	for _, r := range res[:3] {
		m = update(t, m, resultMsg{run: 1, res: r})
		if m.triageShown() {
			t.Fatalf("the triage screen is up while %s still runs", res[3].CheckID)
		}
	}
	m = update(t, m, resultMsg{run: 1, res: res[3]})
	s := screen(m)
	if !m.triageShown() || !strings.Contains(s, "2 causes, most explained first") {
		t.Fatalf("not the triage screen once the run ended:\n%s", s)
	}
	// Ranked: the crash loop explains two objects (web-1 and kube-dns), etcd's flag none.
	first, second := strings.Index(s, "1 symptom "), strings.Index(s, "0 symptoms")
	if first < 0 || second < 0 || first > second || !strings.Contains(s, "kube-scheduler-cp1 is crash-looping") {
		t.Errorf("causes not ranked with their symptom counts:\n%s", s)
	}
	// c toggles to the checklist and back; esc leaves it too.
	m = keys(t, m, "c")
	if m.triageShown() || !strings.Contains(screen(m), "checks") {
		t.Fatalf("c did not show the checklist:\n%s", screen(m))
	}
	m = keys(t, m, "c")
	if !m.triageShown() {
		t.Fatal("c did not bring the causes back")
	}
	m = keys(t, m, "esc")
	if m.triageShown() {
		t.Fatal("esc did not leave the causes")
	}
	// A re-run's end does not take the checklist away again.
	m = keys(t, m, "r")
	for _, r := range triageResults() {
		m = update(t, m, resultMsg{run: 2, res: r})
	}
	if m.triageShown() {
		t.Error("a re-run's end replaced the checklist with the causes")
	}
}

func TestTriageEnterOpensTheCauseWithItsSymptoms(t *testing.T) {
	m, _ := newModel(t, 120, 30)
	m = withTriageResults(t, m)
	m, cmd := updateCmd(t, m, keyMsg("enter"))
	if len(m.drill) != 1 || m.drill[0].cause == nil {
		t.Fatalf("enter opened %d frames", len(m.drill))
	}
	m = update(t, m, findMsg[objectMsg](t, cmd))
	s := screen(m)
	for _, want := range []string{"kube-scheduler-cp1 is crash-looping", "EXPLAINS  1 symptom", "dns.service Service kube-system/kube-dn", "has no ready endpoints"} {
		if !strings.Contains(s, want) {
			t.Errorf("the cause's drill-in lacks %q:\n%s", want, s)
		}
	}
	// Back from the drill-in is the triage screen, where it was opened.
	m = keys(t, m, "esc")
	if !m.triageShown() {
		t.Errorf("esc from the cause did not return to the causes:\n%s", screen(m))
	}
	// The second cause opens as itself, with nothing under it.
	m = keys(t, m, "j")
	m, _ = updateCmd(t, m, keyMsg("enter"))
	if len(m.drill) != 1 || m.drill[0].finding.Message != "etcd-cp1: --quota-backend-bytes is tiny" {
		t.Errorf("j enter opened %+v", m.drill)
	}
}

// In the checklist, a symptom explained by a shown cause is folded: its check has a mark and a
// count, the finding a mark naming its cause, and it is still listed.
func TestChecklistFoldsSymptomsNeverHidesThem(t *testing.T) {
	m, _ := newModel(t, 120, 30)
	m = keys(t, withTriageResults(t, m), "c")
	s := screen(m)
	if !strings.Contains(s, "dns.service ↳1") {
		t.Errorf("no fold mark and count on dns.service:\n%s", s)
	}
	if strings.Contains(s, "api.control-plane ↳") {
		t.Errorf("a check of causes only is marked folded:\n%s", s)
	}
	m.selectCheck("dns.service")
	m.settle()
	s = screen(m)
	if !strings.Contains(s, "↳ cause 1 Service kube-system/kube-dn") || !strings.Contains(s, "has no ready endpoints") {
		t.Errorf("the symptom is not listed with its fold mark:\n%s", s)
	}
	if len(m.visFind) != 1 {
		t.Errorf("the folded symptom is hidden: %d findings listed", len(m.visFind))
	}
}
