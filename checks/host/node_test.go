//go:build linux

package host

import (
	"strings"
	"testing"
	"time"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/host/hosttest"
	"github.com/kockpit/kockpit/internal/nodefs"
)

// hostEnv is the Env of a run on the node tree tr, at the real time.
func hostEnv(tr *hosttest.Tree) *checks.Env {
	return &checks.Env{Host: &checks.Host{Root: tr.Dir, Since: nodefs.DefaultHostSince}, Now: time.Now}
}

// findingOn returns the first finding about the node file p (a node path under tr) whose
// message contains msg.
func findingOn(r checks.Result, tr *hosttest.Tree, p, msg string) *checks.Finding {
	for i, f := range r.Findings {
		if f.File != nil && f.File.Path == tr.Path(p) && strings.Contains(f.Message, msg) {
			return &r.Findings[i]
		}
	}
	return nil
}

// requireFinding fails the test unless a finding about p says msg with the severity.
func requireFinding(t *testing.T, r checks.Result, tr *hosttest.Tree, p, msg string, sev checks.Severity) *checks.Finding {
	t.Helper()
	f := findingOn(r, tr, p, msg)
	if f == nil {
		t.Fatalf("no finding on %s saying %q; got:\n%s", p, msg, describeFindings(r))
	}
	if f.Severity != sev {
		t.Errorf("finding %q is %v, want %v", f.Message, f.Severity, sev)
	}
	return f
}

func describeFindings(r checks.Result) string {
	var b strings.Builder
	b.WriteString(r.Status.String() + ": " + r.Summary + "\n")
	for _, f := range r.Findings {
		where := ""
		if f.File != nil {
			where = f.File.Path
		}
		b.WriteString("  " + f.Severity.String() + " " + where + ": " + f.Message + "\n")
	}
	return b.String()
}

// noProblems fails the test when a check reports Warn or Fail.
func noProblems(t *testing.T, r checks.Result) {
	t.Helper()
	if r.Status != checks.StatusOK {
		t.Errorf("want OK, got:\n%s", describeFindings(r))
	}
}

func TestHostChecksSkipOffNode(t *testing.T) {
	for _, c := range Checks() {
		if c.Category != checks.CategoryHost {
			continue
		}
		if c.Needs != checks.NeedsHost {
			t.Errorf("%s needs %b, want NeedsHost alone: host checks run without a cluster", c.ID, c.Needs)
		}
		r := checktest.RunCheck(t, &checks.Env{Now: time.Now}, c.ID)
		if r.Status != checks.StatusSkip || !strings.Contains(r.Summary, "not on a node") {
			t.Errorf("%s without a host: %v %q", c.ID, r.Status, r.Summary)
		}
	}
}
