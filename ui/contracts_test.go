package ui

import (
	"strings"
	"testing"

	"github.com/kockpit/kockpit/checks"
)

// TestTypedFactsNotTextOrIDs: the cockpit learns who the user is from a result's typed
// Identity, never from a finding's text, and takes the reachability of the API server from the
// check that says it probes it, whatever that check's ID.
func TestTypedFactsNotTextOrIDs(t *testing.T) {
	list := []checks.Check{
		{ID: "probe.server", Title: "The server answers", Category: checks.CategoryAPI, Reachability: true},
		{ID: "probe.who", Title: "Who you are", Category: checks.CategoryAPI},
		{ID: "api.access", Title: "Who you are, the old way", Category: checks.CategoryAPI},
	}
	m, _ := newModel(t, 120, 30, func(o *Options) { o.Checks = list })

	// Evidence that reads like an identity is text for a human: the header keeps the user.
	m = update(t, m, resultMsg{run: 1, res: checks.Result{CheckID: "api.access", Status: checks.StatusOK,
		Findings: []checks.Finding{{Severity: checks.StatusOK, Message: "authenticated", Evidence: []string{"username: parsed-from-text"}}}}})
	if s := screen(m); strings.Contains(s, "parsed-from-text") || !strings.Contains(s, "as admin") {
		t.Errorf("the header took the user out of a finding's text:\n%s", s)
	}
	m = update(t, m, resultMsg{run: 1, res: checks.Result{CheckID: "probe.who", Status: checks.StatusOK,
		Identity: &checks.Identity{User: "jane@example.com", Groups: []string{"devs"}}}})
	if s := screen(m); !strings.Contains(s, "as jane@example.com") {
		t.Errorf("the header does not show the identity the result carries:\n%s", s)
	}

	m = update(t, m, resultMsg{run: 1, res: checks.Result{CheckID: "probe.server", Status: checks.StatusFail,
		Summary: "connection refused: nothing listens on 10.0.0.1:6443"}})
	if s := screen(m); !strings.Contains(s, "API server unreachable: connection refused") {
		t.Errorf("no banner for the reachability check's failure:\n%s", s)
	}
	m = update(t, m, findMsg[runStartedMsg](t, m.startChecks(list[:1])))
	m = update(t, m, resultMsg{run: m.lastRun, res: checks.Result{CheckID: "probe.server", Status: checks.StatusOK, Summary: "answers"}})
	if s := screen(m); strings.Contains(s, "unreachable") {
		t.Errorf("the banner stays after the reachability check passed:\n%s", s)
	}
}
