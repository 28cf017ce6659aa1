//go:build linux

package host

import (
	"strings"
	"testing"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/host/hosttest"
)

func TestHostImmutable(t *testing.T) {
	tr := hosttest.New(t).
		File("/etc/resolv.conf", "nameserver 10.96.0.10\n", 0o644).
		File("/etc/hosts", "127.0.0.1 localhost\n", 0o644).
		File("/etc/kubernetes/manifests/etcd.yaml", "kind: Pod\n", 0o600).
		File("/etc/kubernetes/pki/ca.crt", "x", 0o644).
		Mkdir("/var/log/pods")
	if err := tr.SetAttrs("/etc/resolv.conf", true, false); err != nil {
		t.Skipf("cannot set the immutable flag (chattr +i) here: %v", err)
	}
	if err := tr.SetAttrs("/var/log/pods", false, true); err != nil {
		t.Skipf("cannot set the append-only flag (chattr +a) here: %v", err)
	}
	if err := tr.SetAttrs("/etc/kubernetes/pki/ca.crt", true, true); err != nil {
		t.Skipf("cannot set flags here: %v", err)
	}

	r := checktest.RunCheck(t, hostEnv(tr), "host.immutable")
	if r.Status != checks.StatusFail {
		t.Fatalf("status %v:\n%s", r.Status, describeFindings(r))
	}
	f := requireFinding(t, r, tr, "/etc/resolv.conf", "is immutable (chattr +i)", checks.StatusFail)
	if want := "chattr -i " + tr.Path("/etc/resolv.conf"); !strings.Contains(f.Hint, want) {
		t.Errorf("hint %q lacks %q", f.Hint, want)
	}
	if len(f.Commands) != 1 || f.Commands[0].String() != "lsattr -d "+tr.Path("/etc/resolv.conf") {
		t.Errorf("commands %q", f.Commands)
	}
	f = requireFinding(t, r, tr, "/var/log/pods", "is append-only (chattr +a)", checks.StatusFail)
	if !strings.Contains(f.Message, "files can be added to it but never renamed or deleted") || !strings.Contains(f.Hint, "chattr -a ") {
		t.Errorf("directory finding: %q / %q", f.Message, f.Hint)
	}
	f = requireFinding(t, r, tr, "/etc/kubernetes/pki/ca.crt", "is immutable (chattr +ia)", checks.StatusFail)
	if !strings.Contains(f.Hint, "chattr -ia ") {
		t.Errorf("hint %q", f.Hint)
	}
	if len(r.Findings) != 3 {
		t.Errorf("want 3 findings:\n%s", describeFindings(r))
	}

	// Cleared, the same tree is fine.
	for _, p := range []string{"/etc/resolv.conf", "/var/log/pods", "/etc/kubernetes/pki/ca.crt"} {
		if err := tr.SetAttrs(p, false, false); err != nil {
			t.Fatal(err)
		}
	}
	noProblems(t, checktest.RunCheck(t, hostEnv(tr), "host.immutable"))
}

func TestHostImmutableNothingToCheck(t *testing.T) {
	r := checktest.RunCheck(t, hostEnv(hosttest.New(t).File("/srv/x", "", 0o644)), "host.immutable")
	if r.Status != checks.StatusSkip || r.SkipReason != checks.SkipNotApplicable {
		t.Errorf("got %v %q", r.Status, r.Summary)
	}
}
